import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { reconcile, systemBalance } from '../ledger/index.ts';
import { createVariant } from '../../../test/support/market.ts';
import {
  createListing,
  escrowMismatches,
  giveCards,
  grantCoins,
  purchase,
  total,
} from '../../../test/support/marketplace.ts';

const ROUNDS = 12;

let a: TestApp;
let b: TestApp;
let seller: CreatedTestUser;
let buyers: CreatedTestUser[];
let variantId: string;
let asset: string;

beforeAll(async () => {
  if (!onPostgres) return;
  a = await createTestApp({ env: QUIET_ENV });
  // A second API process on the same database: the per-card lock must hold across processes.
  b = await createTestApp({ env: QUIET_ENV, database: a.database });
  const admin = await createTestUser(a, { role: 'admin' });
  const { cardId } = await createVariant(a, admin, 'MPRACE');
  seller = await createTestUser(a);
  ({ variantId, asset } = await giveCards(a.runtime.ctx.db, seller.id, cardId, BigInt(ROUNDS)));
  buyers = [await createTestUser(a), await createTestUser(a)];
  for (const buyer of buyers) await grantCoins(a.runtime.ctx.db, buyer.id, 100_000n);
});

afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('two buyers racing for the last unit of a listing', () => {
  it.skipIf(!onPostgres)('exactly one wins each time; the ledger reconciles and no coins stay in escrow', async () => {
    const db = a.runtime.ctx.db;
    const [first, second] = buyers;
    if (!first || !second) throw new Error('no buyers');
    const feesBefore = await systemBalance(db, 'fees');
    const wins = new Map<string, number>([
      [first.id, 0],
      [second.id, 0],
    ]);
    for (let round = 0; round < ROUNDS; round++) {
      const listing = expectStatus(
        await createListing(a, seller, { cardId: variantId, quantity: 1, price: 100 }),
        201,
      ).json<{ id: string }>();
      const [x, y] = await Promise.all([
        purchase(a, first, { listingId: listing.id, quantity: 1 }),
        purchase(b, second, { listingId: listing.id, quantity: 1 }),
      ]);
      const statuses = [x.statusCode, y.statusCode].sort();
      expect(statuses, `${x.body} ${y.body}`).toEqual([201, 409]);
      const loser = x.statusCode === 409 ? x : y;
      expect(['listing_unavailable', 'insufficient_quantity']).toContain(loser.json<{ code: string }>().code);
      const winner = x.statusCode === 201 ? first : second;
      wins.set(winner.id, (wins.get(winner.id) ?? 0) + 1);
    }

    // Each unit sold once: 100 + a fee of 5, nothing more and nothing stuck.
    expect((wins.get(first.id) ?? 0) + (wins.get(second.id) ?? 0)).toBe(ROUNDS);
    for (const buyer of buyers) {
      const won = BigInt(wins.get(buyer.id) ?? 0);
      expect(await total(db, buyer.id, asset)).toBe(won);
      expect(await total(db, buyer.id)).toBe(100_000n - 105n * won);
    }
    expect(await total(db, seller.id)).toBe(100n * BigInt(ROUNDS));
    expect(await systemBalance(db, 'fees')).toBe(feesBefore + 5n * BigInt(ROUNDS));
    const trades = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM market_trades`);
    expect(trades.rows[0]?.n).toBe(ROUNDS);
    expect(await escrowMismatches(db)).toEqual([]);
    const report = await reconcile(db);
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
