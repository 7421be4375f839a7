// Shared by this module's tests: requests, balances and the escrow invariant of listings.
import { sql } from 'drizzle-orm';
import type { TestApp } from '../helpers/app.ts';
import type { CreatedTestUser } from '../helpers/users.ts';
import type { Db } from '../../src/platform/db/tx.ts';
import { auth } from './market.ts';

export { auth, giveCards, grantCoins, total, writes } from './market.ts';

export interface ListingJson {
  id: string;
  cardId: string;
  price: number;
  quantity: number;
  remaining: number;
  sold: number;
  status: string;
  buyerPays: number;
  sellerReceives: number;
  seller: { id: string; username: string | null };
}

export function createListing(t: TestApp, user: CreatedTestUser, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/marketplace/create-listing', headers: auth(user), payload });
}

export function purchase(
  t: TestApp,
  user: CreatedTestUser,
  payload: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return t.app.inject({
    method: 'POST',
    url: '/api/marketplace/purchase',
    headers: { ...auth(user), ...headers },
    payload,
  });
}

export function updateListing(t: TestApp, user: CreatedTestUser, id: string, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'PUT', url: `/api/marketplace/listings/${id}`, headers: auth(user), payload });
}

export function deleteListing(t: TestApp, user: CreatedTestUser, id: string) {
  return t.app.inject({ method: 'DELETE', url: `/api/marketplace/listings/${id}`, headers: auth(user) });
}

/**
 * Orders whose escrow does not hold exactly what is open: a sell order its remaining cards, any
 * closed order nothing at all.
 */
export async function escrowMismatches(db: Db) {
  const r = await db.execute<{ id: string }>(sql`
    SELECT o.id FROM market_orders o
    JOIN cards_variants v ON v.id = o.variant_id
    LEFT JOIN ledger_balances bal ON bal.account_id = o.escrow_account_id AND bal.asset = v.asset
    WHERE o.side = 'sell'
      AND COALESCE(bal.available, 0) + COALESCE(bal.held, 0) <> CASE WHEN o.status = 'open' THEN o.remaining ELSE 0 END
    UNION ALL
    SELECT o.id FROM market_orders o
    JOIN ledger_balances bal ON bal.account_id = o.escrow_account_id
    WHERE o.status <> 'open' AND bal.available + bal.held <> 0`);
  return r.rows;
}
