// Shared by this module's tests: an app with trades, two traders holding cards and coins, and
// helpers to read balances and count written rows.
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { QUIET_ENV, bearer } from '../helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';
import { createCatalog, grantCard, grantCoins } from './cards.ts';
import { modules } from '../../src/modules/index.ts';
import { tradesModule } from '../../src/modules/trades/index.ts';
import { COIN, balances, walletAccountId } from '../../src/modules/trades/ports.ts';

export interface World {
  t: TestApp;
  alice: CreatedTestUser;
  bob: CreatedTestUser;
  carol: CreatedTestUser;
  admin: CreatedTestUser;
  /** Variant ids: alice holds 20 of `drake`, bob 10 of `golem`; `spare` is issued but held by carol. */
  drake: string;
  golem: string;
  spare: string;
}

export function startTradesApp(
  opts: { database?: TestApp['database']; env?: Record<string, string> } = {},
): Promise<TestApp> {
  return createTestApp({
    env: { ...QUIET_ENV, ...opts.env },
    modules: [...modules.filter((m) => m.name !== tradesModule.name), tradesModule],
    ...(opts.database ? { database: opts.database } : {}),
  });
}

const variantOf = (asset: string) => asset.slice('CARD:'.length).toLowerCase();

export async function createWorld(t: TestApp): Promise<World> {
  const [alice, bob, carol, admin] = await Promise.all([
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t, { role: 'admin' }),
  ]);
  const { ids } = await createCatalog(t, admin, { code: 'TRD', name: 'Trade set' }, [
    { name: 'Drake', rarity: 'rare' },
    { name: 'Golem', rarity: 'common' },
    { name: 'Spare', rarity: 'common' },
  ]);
  const db = t.runtime.ctx.db;
  const id = (name: string) => ids.get(name) ?? '';
  const drake = variantOf(await grantCard(db, alice.id, id('Drake'), 20n));
  const golem = variantOf(await grantCard(db, bob.id, id('Golem'), 10n));
  const spare = variantOf(await grantCard(db, carol.id, id('Spare'), 1n));
  await grantCoins(db, alice.id, 10_000n);
  await grantCoins(db, bob.id, 5_000n);
  return { t, alice, bob, carol, admin, drake, golem, spare };
}

export const auth = (u: CreatedTestUser) => bearer(u.token);

export async function holding(t: TestApp, userId: string, asset: string): Promise<bigint> {
  const [b] = await balances(t.runtime.ctx.db, walletAccountId(userId), asset);
  return b?.total ?? 0n;
}

export const card = (variantId: string) => `CARD:${variantId.toUpperCase()}`;
export const coins = (t: TestApp, userId: string) => holding(t, userId, COIN);

/** Rows a trade request writes, to prove a refused one wrote nothing. */
export async function writtenRows(t: TestApp) {
  const r = await t.runtime.ctx.db.execute<{ offers: number; transfers: number; notes: number }>(sql`
    SELECT (SELECT count(*) FROM trade_offers)::int AS offers,
           (SELECT count(*) FROM ledger_transfers)::int AS transfers,
           (SELECT count(*) FROM notifications)::int AS notes`);
  return r.rows[0];
}

export function propose(t: TestApp, from: CreatedTestUser, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/trades', headers: auth(from), payload });
}

export function act(t: TestApp, who: CreatedTestUser, id: string, action: string, payload?: object) {
  return t.app.inject({
    method: 'POST',
    url: `/api/trades/${id}/${action}`,
    headers: auth(who),
    ...(payload ? { payload } : {}),
  });
}

export const none = { cards: [], coins: 0 };
