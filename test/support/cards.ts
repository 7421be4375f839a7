// Shared by this module's tests: an app without background workers, an admin, a small catalogue
// and ledger grants (coins from the payment gateway, cards and packs from the mint).
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV, bearer } from '../helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';
import type { Db } from '../../src/platform/db/tx.ts';
import { addMinted } from '../../src/modules/cards/pack-repo.ts';
import {
  COIN,
  SYSTEM_ACCOUNTS,
  balances,
  ensureWallet,
  transfer,
  walletAccountId,
} from '../../src/modules/cards/ports.ts';
import type { Rarity } from '../../src/modules/cards/rarity.ts';
import { variantsOf } from '../../src/modules/cards/repo.ts';

export function startCardsApp(): Promise<TestApp> {
  return createTestApp({ env: QUIET_ENV });
}

export const auth = (u: CreatedTestUser) => bearer(u.token);

export async function grantCoins(db: Db, userId: string, amount: bigint): Promise<void> {
  const wallet = await ensureWallet(db, userId);
  await transfer(db, {
    kind: 'test.grant',
    legs: [{ from: SYSTEM_ACCOUNTS.gateway, to: wallet, asset: COIN, amount }],
  });
}

/** Mints copies of a card's variant straight to a user, counting them against the print run. */
export async function grantCard(db: Db, userId: string, cardId: string, copies: bigint, level = 0): Promise<string> {
  const variant = (await variantsOf(db, [cardId])).find((v) => v.level === level);
  if (!variant) throw new Error('no such variant');
  if (!(await addMinted(db, variant.id, copies))) throw new Error('print run exhausted');
  const wallet = await ensureWallet(db, userId);
  await transfer(db, {
    kind: 'test.grant',
    legs: [{ from: SYSTEM_ACCOUNTS.mint, to: wallet, asset: variant.asset, amount: copies }],
  });
  return variant.asset;
}

export async function balanceOf(db: Db, userId: string, asset: string): Promise<bigint> {
  const [row] = await balances(db, walletAccountId(userId), asset);
  return row?.total ?? 0n;
}

export interface CardSpec {
  name: string;
  rarity: Rarity;
  element?: string;
  price?: number;
  maxSupply?: number | null;
  maxLevel?: number;
  text?: string;
}

/** Creates a set and its cards through the admin API; returns their ids by name. */
export async function createCatalog(
  t: TestApp,
  admin: CreatedTestUser,
  set: { code: string; name: string; releaseDate?: string },
  cards: CardSpec[],
) {
  const s = expectStatus(
    await t.app.inject({
      method: 'POST',
      url: '/api/sets',
      headers: auth(admin),
      payload: { releaseDate: '2025-01-01', ...set },
    }),
    201,
  ).json<{ id: string }>();
  const ids = new Map<string, string>();
  let number = 1;
  for (const c of cards) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/cards',
      headers: auth(admin),
      payload: {
        setId: s.id,
        number: number++,
        name: c.name,
        rarity: c.rarity,
        element: c.element ?? 'fire',
        price: c.price ?? 100,
        text: c.text ?? '',
        ...(c.maxSupply === undefined ? {} : { maxSupply: c.maxSupply }),
        ...(c.maxLevel === undefined ? {} : { maxLevel: c.maxLevel }),
      },
    });
    ids.set(c.name, expectStatus(res, 201).json<{ id: string }>().id);
  }
  return { setId: s.id, ids };
}

export async function createPack(t: TestApp, admin: CreatedTestUser, body: Record<string, unknown>) {
  return expectStatus(
    await t.app.inject({ method: 'POST', url: '/api/packs', headers: auth(admin), payload: body }),
    201,
  ).json<{ id: string; asset: string; dropTableHash: string }>();
}

export { QUIET_ENV, createTestUser, expectStatus, type CreatedTestUser, type TestApp };
