import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { createVariant, giveCards } from '../../../test/support/market.ts';
import { processMarket, settleDuePriceEvents } from './settlement.ts';
import {
  auth,
  bettor,
  expectReconciled,
  placeBet,
  startBettingApp,
  walletOf,
  writes,
  type EventView,
} from '../../../test/support/betting.ts';

/*
 * Card-price events: created only on cards that trade enough, settled by the sweep from the
 * exchange's recorded 1d candle of the day (the rule and the candle shown on the event), void when
 * no candle was recorded.
 */

const DAY_MS = 86_400_000;
let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let traded: string;
let thin: string;
const db = () => t.runtime.ctx.db;
const tomorrow = () => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + DAY_MS);
const noJob = async () => {};

async function order(user: CreatedTestUser, variantId: string, side: 'buy' | 'sell', price: number) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/market/orders',
    headers: { ...auth(user), 'idempotency-key': uuidv7() },
    payload: { cardId: variantId, side, type: 'limit', quantity: 1, price },
  });
  expectStatus(res, 201);
}

beforeAll(async () => {
  t = await startBettingApp({ BETTING_PRICE_MIN_TRADES: '3' });
  admin = await createTestUser(t, { role: 'admin' });
  alice = await bettor(t);
  bob = await bettor(t);
  const seller = await bettor(t);
  const a = await createVariant(t, admin, 'BETP');
  traded = (await giveCards(db(), seller.id, a.cardId, 10n)).variantId;
  const b = await createVariant(t, admin, 'BETQ');
  thin = (await giveCards(db(), seller.id, b.cardId, 10n)).variantId;
  for (const price of [1000, 1010, 1020]) {
    await order(seller, traded, 'sell', price);
    await order(alice, traded, 'buy', price);
  }
  await order(seller, thin, 'sell', 500);
  await order(alice, thin, 'buy', 500);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

async function priceEvent(variantId: string, threshold: number, date = tomorrow().toISOString().slice(0, 10)) {
  return t.app.inject({
    method: 'POST',
    url: '/api/admin/betting/price-events',
    headers: auth(admin),
    payload: { variantId, threshold, date },
  });
}

/** Writes the day's 1d candle as the exchange records it. */
async function recordDailyCandle(variantId: string, day: Date, close: number) {
  await db().execute(sql`
    INSERT INTO market_candles (variant_id, interval, bucket_start, open, high, low, close, volume, notional, trades)
    VALUES (${variantId}, '1d', ${day}, ${close - 50}, ${close + 20}, ${close - 60}, ${close}, 4, ${close * 4}, 4)
    ON CONFLICT (variant_id, interval, bucket_start) DO UPDATE SET close = excluded.close`);
}

describe('card-price events', () => {
  it('refuses thin markets, unknown cards and past dates with a 4xx naming the field; nothing written', async () => {
    const before = await writes(db());
    const thinRes = await priceEvent(thin, 600);
    expectProblem(thinRes, 422, 'thin_market');
    expect(thinRes.body).toContain('body.variantId');
    expect(json<{ trades: number; required: number }>(thinRes)).toMatchObject({ trades: 1, required: 3 });
    const unknown = await priceEvent(uuidv7(), 600);
    expectProblem(unknown, 400, 'validation_failed');
    expect(unknown.body).toContain('body.variantId');
    const past = await priceEvent(traded, 600, '2020-01-01');
    expectProblem(past, 400, 'validation_failed');
    expect(past.body).toContain('body.date');
    const negative = await priceEvent(traded, -5);
    expectProblem(negative, 400, 'validation_failed');
    expect(negative.body).toContain('threshold');
    expect(await writes(db())).toEqual(before);
  });

  it('settles from the recorded candle, matching a hand computation, and shows the rule and the candle', async () => {
    const res = await priceEvent(traded, 1200);
    expectStatus(res, 201);
    const e = json<EventView & { priceRule: { rule: string; threshold: number } }>(res);
    expect(e.priceRule.threshold).toBe(1200);
    expect(e.priceRule.rule).toContain('closes above 1200');
    const a = await walletOf(db(), alice);
    const b = await walletOf(db(), bob);
    expectStatus(await placeBet(t, alice, e, 0, 0, 1000), 201); // Yes
    expectStatus(await placeBet(t, bob, e, 0, 1, 3000), 201); // No
    const day = tomorrow();
    await recordDailyCandle(traded, day, 1234);
    // Not before the day is over.
    expect(await settleDuePriceEvents(db(), noJob, new Date(day.getTime() + DAY_MS / 2))).toBe(0);
    expect(await settleDuePriceEvents(db(), noJob, new Date(day.getTime() + DAY_MS + 60_000))).toBe(1);
    const market = e.markets[0]?.id ?? '';
    expect(await processMarket(db(), market)).toBe('settled');
    // Close 1234 > 1200: Yes wins. Pool 4000, takeout 10% = 400, Yes pool 1000 → alice gets 3600.
    expect(await walletOf(db(), alice)).toBe(a - 1000n + 3600n);
    expect(await walletOf(db(), bob)).toBe(b - 3000n);
    const settled = json<EventView & { settlement: { candle: { close: number }; result: string; rule: string } }>(
      await t.app.inject({ method: 'GET', url: `/api/betting/events/${e.id}` }),
    );
    expect(settled.settlement.result).toBe('Yes');
    expect(settled.settlement.candle).toMatchObject({ close: 1234, start: day.getTime() });
    expect(settled.settlement.rule).toContain('1200');
    expect(settled.markets[0]?.status).toBe('settled');
    await expectReconciled(db());
  });

  it('voids and refunds when no candle was recorded that day', async () => {
    const nextDay = new Date(tomorrow().getTime() + DAY_MS);
    const res = await priceEvent(traded, 900, nextDay.toISOString().slice(0, 10));
    const e = json<EventView>(res);
    const a = await walletOf(db(), alice);
    expectStatus(await placeBet(t, alice, e, 0, 1, 700), 201);
    expect(await settleDuePriceEvents(db(), noJob, new Date(nextDay.getTime() + DAY_MS + 1000))).toBe(1);
    expect(await processMarket(db(), e.markets[0]?.id ?? '')).toBe('void');
    expect(await walletOf(db(), alice)).toBe(a);
    await expectReconciled(db());
  });
});
