import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { appliedSeeds, runSeeds } from '../../platform/db/seed.ts';
import { demoCatalog } from './demo-data.ts';
import { cardsModule } from './index.ts';
import { COIN, DEMO_ACCOUNTS, findUserRef } from './ports.ts';
import { QUIET_ENV, balanceOf, expectStatus } from '../../../test/support/cards.ts';

let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, SEED_DEMO: 'true' }, seed: true });
}, 120_000);
afterAll(() => t?.close());

describe('demo seed', () => {
  it('loads the generated catalogue: six sets, 330 cards over every rarity, three products', async () => {
    expect(await appliedSeeds(t.runtime.ctx.db)).toEqual(
      expect.arrayContaining(['cards.demo-catalog', 'cards.demo-collections']),
    );
    const sets = expectStatus(await t.app.inject({ method: 'GET', url: '/api/sets' }), 200).json();
    expect(sets.items).toHaveLength(6);
    expect(sets.items.reduce((s: number, x: { cardCount: number }) => s + x.cardCount, 0)).toBe(330);
    const packs = expectStatus(await t.app.inject({ method: 'GET', url: '/api/packs' }), 200).json();
    expect(packs.items.map((p: { name: string }) => p.name)).toEqual(['Starter Pack', 'Booster Pack', 'Premium Vault']);
    const mythics = await t.app.inject({ method: 'GET', url: '/api/cards?rarity=mythic&sort=name&limit=100' });
    const expected = demoCatalog()
      .sets.flatMap((s) => s.cards)
      .filter((c) => c.rarity === 'mythic')
      .map((c) => c.name)
      .sort((a, b) => (a < b ? -1 : 1));
    expect(mythics.json().items.map((c: { name: string }) => c.name)).toEqual(expected);
  });

  it('gives demo accounts coins, sealed packs and a collection, and lets them open a pack at once', async () => {
    const account = DEMO_ACCOUNTS.find((a) => a.role === 'user');
    if (!account) throw new Error('no demo user');
    const user = await findUserRef(t.runtime.ctx.db, account.username);
    if (!user) throw new Error('demo user missing');
    // The grant itself: later demo data (bets, pledges) spends some of it through the ledger.
    const granted = await t.runtime.ctx.db.execute<{ amount: string }>(sql`
      SELECT sum(l.amount)::text AS amount FROM ledger_transfer_legs l JOIN ledger_transfers t ON t.id = l.transfer_id
      WHERE t.kind = 'demo.grant' AND l.to_account = ${user.id} AND l.asset = ${COIN}`);
    expect(granted.rows[0]?.amount).toBe('100000');
    expect(await balanceOf(t.runtime.ctx.db, user.id, COIN)).toBeGreaterThan(0n);
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: account.email, password: account.password, client: 'app' },
    });
    const headers = { authorization: `Bearer ${expectStatus(login, 200).json().accessToken}` };
    const collection = expectStatus(await t.app.inject({ method: 'GET', url: '/api/collection', headers }), 200).json();
    expect(collection.totals.distinctCards).toBeGreaterThan(20);
    const packs = expectStatus(await t.app.inject({ method: 'GET', url: '/api/packs' }), 200).json();
    const booster = packs.items.find((p: { name: string }) => p.name === 'Booster Pack');
    const opened = await t.app.inject({
      method: 'POST',
      url: '/api/packs/open',
      headers,
      payload: { packId: booster.id },
    });
    expect(expectStatus(opened, 201).json().cards).toHaveLength(5);
  });

  it('is demo data: never applied when demo seeding is off (the production default)', async () => {
    expect(cardsModule.seeds?.every((s) => s.demo)).toBe(true);
    expect(await runSeeds(t.runtime.ctx.db, cardsModule.seeds ?? [], { demo: false })).toEqual([]);
  });
});
