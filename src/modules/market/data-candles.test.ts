import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { placeOrder } from './service.ts';
import { createVariant, giveCards, grantCoins } from '../../../test/support/market.ts';

/*
 * Candles served by the API, built trade by trade as fills are stored, against a brute-force
 * recomputation from the trades the API lists, for random trade streams and several intervals.
 */

let t: TestApp;
let admin: CreatedTestUser;
let seller: CreatedTestUser;
let buyer: CreatedTestUser;
const db = () => t.runtime.ctx.db;
let runs = 0;

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const INTERVALS = {
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '4h': 240 * MINUTE,
  '1d': DAY,
};

interface ApiTrade {
  id: string;
  price: number;
  quantity: number;
  ts: string;
}
interface ApiCandle {
  start: string;
  open: number | null;
  high: number | null;
  low: number | null;
  close: number | null;
  volume: number;
  trades: number;
  thin: boolean;
}

/** Every trade of the card through the paged trades route, oldest first (time, then id). */
async function allTrades(cardId: string): Promise<{ ts: number; id: string; price: number; quantity: number }[]> {
  const out: ApiTrade[] = [];
  let cursor: string | null = null;
  do {
    const url: string = `/api/market/${cardId}/trades?limit=200${cursor ? `&cursor=${cursor}` : ''}`;
    const page = expectStatus(await t.app.inject({ url }), 200).json<{
      trades: ApiTrade[];
      nextCursor: string | null;
    }>();
    out.push(...page.trades);
    cursor = page.nextCursor;
  } while (cursor);
  return out
    .map((x) => ({ ...x, ts: Date.parse(x.ts) }))
    .sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The series the route must answer, computed by scanning every trade for every bucket. */
function bruteForce(
  trades: { ts: number; price: number; quantity: number }[],
  ms: number,
  from: number,
  to: number,
): ApiCandle[] {
  const out: ApiCandle[] = [];
  for (let start = Math.floor(from / ms) * ms; start < to; start += ms) {
    const inside = trades.filter((x) => x.ts >= start && x.ts < start + ms);
    const lastDay = trades.filter((x) => x.ts >= start + ms - DAY && x.ts < start + ms);
    const prices = inside.map((x) => x.price);
    out.push({
      start: new Date(start).toISOString(),
      open: inside[0]?.price ?? null,
      high: prices.length ? Math.max(...prices) : null,
      low: prices.length ? Math.min(...prices) : null,
      close: inside.at(-1)?.price ?? null,
      volume: inside.reduce((s, x) => s + x.quantity, 0),
      trades: inside.length,
      thin: lastDay.length < 5,
    });
  }
  return out;
}

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error', MARKET_DATA_RATE_LIMIT_MAX: '1000000' } });
  [admin, seller, buyer] = await Promise.all([
    createTestUser(t, { role: 'admin' }),
    createTestUser(t),
    createTestUser(t),
  ]);
  await grantCoins(db(), buyer.id, 100_000_000n);
});

afterAll(async () => {
  await t?.close();
});

describe('candles through persistence', () => {
  it('match a brute-force recomputation from the stored trades, empty intervals included', async () => {
    const day0 = Math.floor(Date.now() / DAY) * DAY - 20 * DAY;
    const stream = fc.array(
      fc.record({
        // Seconds after day0 within three days; several trades may share a second.
        offset: fc.integer({ min: 0, max: 3 * 86_400 }),
        price: fc.integer({ min: 90, max: 110 }),
        quantity: fc.integer({ min: 1, max: 3 }),
      }),
      { minLength: 1, maxLength: 14 },
    );
    const range = fc.record({
      // Minutes around the stream, not aligned to any bucket.
      fromMinute: fc.integer({ min: -600, max: 2_000 }),
      spanMinutes: fc.integer({ min: 1, max: 3 * 1440 }),
    });
    await fc.assert(
      fc.asyncProperty(stream, range, async (fills, { fromMinute, spanMinutes }) => {
        const { cardId } = await createVariant(t, admin, `CP${++runs}`);
        const { variantId } = await giveCards(db(), seller.id, cardId, 100n);
        // In time order, as fills happen: each pair of orders crosses exactly and leaves the book empty.
        for (const f of [...fills].sort((a, b) => a.offset - b.offset)) {
          const at = new Date(day0 + f.offset * 1000);
          for (const [userId, side] of [
            [seller.id, 'sell'],
            [buyer.id, 'buy'],
          ] as const) {
            await withTransaction(db(), (tx) =>
              placeOrder(tx, {
                userId,
                variantId,
                side,
                type: 'limit',
                timeInForce: 'GTC',
                price: BigInt(f.price),
                quantity: BigInt(f.quantity),
                at,
              }),
            );
          }
        }
        const trades = await allTrades(variantId);
        expect(trades).toHaveLength(fills.length);
        const from = day0 + fromMinute * MINUTE + 17_000;
        const to = from + spanMinutes * MINUTE;
        for (const [interval, ms] of Object.entries(INTERVALS)) {
          const url =
            `/api/market/${variantId}/candles?interval=${interval}` +
            `&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
          const body = expectStatus(await t.app.inject({ url }), 200).json<{ thin: boolean; candles: ApiCandle[] }>();
          expect(body.candles, interval).toEqual(bruteForce(trades, ms, from, to));
          // Every trade is weeks old: the card is thin now.
          expect(body.thin).toBe(true);
        }
      }),
      { numRuns: 12 },
    );
  }, 240_000);
});
