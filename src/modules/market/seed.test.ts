import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { reconcile } from '../ledger/index.ts';
import { DEMO_BOOKS, DEMO_HISTORY_DAYS } from './seed.ts';

let t: TestApp;
const db = () => t.runtime.ctx.db;

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, SEED_DEMO: 'true' }, seed: true });
}, 300_000);
afterAll(() => t?.close());

describe('demo market data', () => {
  it('replays about a month of trades through the exchange on a dozen cards, and the ledger reconciles', async () => {
    const r = await db().execute<{ books: number; trades: number; first: Date; last: Date; fills: number }>(sql`
      SELECT count(DISTINCT variant_id)::int AS books, count(*)::int AS trades,
             min(ts) AS first, max(ts) AS last,
             (SELECT count(*)::int FROM ledger_transfers WHERE kind = 'market.fill') AS fills
        FROM market_trades`);
    const row = r.rows[0];
    expect(row?.books).toBe(DEMO_BOOKS);
    expect(row?.trades).toBeGreaterThan(DEMO_BOOKS * DEMO_HISTORY_DAYS);
    // Each trade was settled by its own ledger transfer: made by matching, not written into tables.
    expect(row?.fills).toBe(row?.trades);
    const span = new Date(row?.last ?? 0).getTime() - new Date(row?.first ?? 0).getTime();
    expect(span).toBeGreaterThan((DEMO_HISTORY_DAYS - 2) * 24 * 3_600_000);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('leaves open books, listings, tickers and daily candles to look at on first start', async () => {
    const busiest = await db().execute<{ variant_id: string }>(sql`
      SELECT variant_id FROM market_trades GROUP BY variant_id ORDER BY count(*) DESC LIMIT 1`);
    const cardId = busiest.rows[0]?.variant_id ?? '';
    const book = expectStatus(await t.app.inject({ url: `/api/market/${cardId}/book` }), 200).json();
    expect(book.bids.length).toBeGreaterThanOrEqual(3);
    expect(book.asks.length).toBeGreaterThanOrEqual(3);
    expect(book.bids[0].price).toBeLessThan(book.asks[0].price);
    const ticker = expectStatus(await t.app.inject({ url: `/api/market/${cardId}/ticker` }), 200).json();
    expect(ticker.last).toBeGreaterThan(0);
    const to = new Date(Date.now() + 24 * 3_600_000).toISOString();
    const from = new Date(Date.now() - DEMO_HISTORY_DAYS * 24 * 3_600_000).toISOString();
    const candles = expectStatus(
      await t.app.inject({ url: `/api/market/${cardId}/candles?interval=1d&from=${from}&to=${to}` }),
      200,
    ).json<{ candles: { trades: number }[] }>();
    expect(candles.candles.filter((c) => c.trades > 0).length).toBeGreaterThan(DEMO_HISTORY_DAYS / 2);
    const listings = await db().execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM market_orders WHERE source = 'listing' AND status = 'open'`,
    );
    expect(listings.rows[0]?.n).toBe(DEMO_BOOKS * 2);
  });
});
