// Shared by this module's tests: an app, a card variant and funded users.
import { sql } from 'drizzle-orm';
import { bearer } from '../helpers/http.ts';
import type { CreatedTestUser } from '../helpers/users.ts';
import type { Db } from '../../src/platform/db/tx.ts';
import { createCatalog, grantCard, grantCoins, type TestApp } from './cards.ts';
import { COIN, balances } from '../../src/modules/ledger/index.ts';

export const auth = (u: CreatedTestUser) => bearer(u.token);

/** A fresh card; returns its base variant id (the book's cardId) and ledger asset. */
export async function createVariant(t: TestApp, admin: CreatedTestUser, code: string) {
  const { ids } = await createCatalog(t, admin, { code, name: `Set ${code}` }, [
    { name: `Card ${code}`, rarity: 'common' },
  ]);
  const cardId = ids.get(`Card ${code}`) ?? '';
  return { cardId };
}

/** Gives a user copies of the card's base variant; returns the variant id and asset. */
export async function giveCards(db: Db, userId: string, cardId: string, copies: bigint) {
  const asset = await grantCard(db, userId, cardId, copies);
  return { asset, variantId: asset.slice('CARD:'.length).toLowerCase() };
}

export { grantCoins };

export async function total(db: Db, accountId: string, asset: string = COIN): Promise<bigint> {
  const [b] = await balances(db, accountId, asset);
  return b?.total ?? 0n;
}

/** Rows a refused order must not write. */
export async function writes(db: Db) {
  const r = await db.execute<{ orders: number; trades: number; transfers: number; events: number }>(sql`
    SELECT (SELECT count(*) FROM market_orders)::int AS orders,
           (SELECT count(*) FROM market_trades)::int AS trades,
           (SELECT count(*) FROM ledger_transfers)::int AS transfers,
           (SELECT count(*) FROM platform_outbox_events)::int AS events`);
  return r.rows[0];
}
