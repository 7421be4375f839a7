import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { reconcile } from '../ledger/index.ts';
import { auth, createVariant, giveCards, grantCoins } from '../../../test/support/market.ts';

let a: TestApp;
let b: TestApp;
let variantId: string;
let asset: string;
const sellers: CreatedTestUser[] = [];
const buyers: CreatedTestUser[] = [];

/** Deterministic pseudo-random stream, so a failure replays. */
function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

beforeAll(async () => {
  if (!onPostgres) return;
  a = await createTestApp({ env: QUIET_ENV });
  // A second API process on the same database: the per-card lock must hold across processes.
  b = await createTestApp({ env: QUIET_ENV, database: a.database });
  const admin = await createTestUser(a, { role: 'admin' });
  const { cardId } = await createVariant(a, admin, 'RACE');
  for (let i = 0; i < 4; i++) {
    const s = await createTestUser(a);
    ({ variantId, asset } = await giveCards(a.runtime.ctx.db, s.id, cardId, 20n));
    sellers.push(s);
    const buyer = await createTestUser(a);
    await grantCoins(a.runtime.ctx.db, buyer.id, 50_000n);
    buyers.push(buyer);
  }
});

afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('concurrent orders on one card', () => {
  it.skipIf(!onPostgres)('keep the book uncrossed, escrow exact and the ledger reconciled', async () => {
    const rnd = lcg(42);
    const requests = Array.from({ length: 48 }, (_, i) => {
      const sell = rnd() < 0.5;
      const users = sell ? sellers : buyers;
      const user = users[Math.floor(rnd() * users.length)];
      if (!user) throw new Error('no user');
      const tif = rnd() < 0.2 ? 'IOC' : 'GTC';
      const payload = {
        cardId: variantId,
        side: sell ? 'sell' : 'buy',
        type: 'limit',
        timeInForce: tif,
        quantity: 1 + Math.floor(rnd() * 4),
        price: 90 + Math.floor(rnd() * 21),
      };
      const app = i % 2 === 0 ? a : b;
      return app.app.inject({ method: 'POST', url: '/api/market/orders', headers: auth(user), payload });
    });
    const replies = await Promise.all(requests);
    for (const r of replies) expect([201, 409], r.body).toContain(r.statusCode);
    expect(replies.filter((r) => r.statusCode === 201).length).toBeGreaterThan(30);

    const db = a.runtime.ctx.db;
    const trades = await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM market_trades`);
    expect(trades.rows[0]?.n).toBeGreaterThan(0);
    const book = (await a.app.inject({ url: `/api/market/${variantId}/book` })).json<{
      bids: { price: number }[];
      asks: { price: number }[];
    }>();
    const bid = book.bids[0]?.price;
    const ask = book.asks[0]?.price;
    if (bid !== undefined && ask !== undefined) expect(bid).toBeLessThan(ask);

    // Every open sell order's escrow holds exactly its remaining cards; closed orders hold nothing.
    const mismatched = await db.execute<{ id: string }>(sql`
      SELECT o.id FROM market_orders o
      LEFT JOIN ledger_balances bal ON bal.account_id = o.escrow_account_id AND bal.asset = ${asset}
      WHERE o.side = 'sell'
        AND COALESCE(bal.available, 0) + COALESCE(bal.held, 0) <> CASE WHEN o.status = 'open' THEN o.remaining ELSE 0 END`);
    expect(mismatched.rows).toEqual([]);
    const report = await reconcile(db);
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
