import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { reconcile, systemBalance } from '../ledger/index.ts';
import { DEFAULT_MARKET_SETTINGS, placeOrder } from './service.ts';
import { auth, createVariant, giveCards, grantCoins, total, writes } from '../../../test/support/market.ts';

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let carol: CreatedTestUser;
let variantId: string;
let asset: string;
const db = () => t.runtime.ctx.db;

function order(user: CreatedTestUser, body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/api/market/orders',
    headers: auth(user),
    payload: { cardId: variantId, type: 'limit', timeInForce: 'GTC', ...body },
  });
}

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  [admin, alice, bob, carol] = await Promise.all([
    createTestUser(t, { role: 'admin' }),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
  ]);
  const { cardId } = await createVariant(t, admin, 'MKT');
  ({ variantId, asset } = await giveCards(db(), alice.id, cardId, 10n));
  await grantCoins(db(), bob.id, 100_000n);
  await grantCoins(db(), carol.id, 100_000n);
});

afterAll(async () => {
  await t?.close();
});

describe('the exchange', () => {
  it('fills crossing orders at the maker price and settles through the ledger', async () => {
    const ask = expectStatus(await order(alice, { side: 'sell', quantity: 3, price: 100 }), 201).json();
    expect(ask).toMatchObject({ status: 'open', remaining: 3, buyerPays: 315, sellerReceives: 300 });
    expect(await total(db(), alice.id, asset)).toBe(7n);

    const bid = expectStatus(await order(bob, { side: 'buy', quantity: 2, price: 120 }), 201).json();
    // Filled at the resting 100, not the bid's 120; 5 % fee on 200 paid by the buyer.
    expect(bid).toMatchObject({ status: 'filled', filledQuantity: 2, filledNotional: 200, feePaid: 10, remaining: 0 });
    expect(await total(db(), bob.id)).toBe(100_000n - 210n);
    expect(await total(db(), bob.id, asset)).toBe(2n);
    expect(await total(db(), alice.id)).toBe(200n);
    expect(await systemBalance(db(), 'fees')).toBeGreaterThanOrEqual(10n);

    const book = expectStatus(await t.app.inject({ url: `/api/market/${variantId}/book` }), 200).json();
    expect(book).toMatchObject({ bids: [], asks: [{ price: 100, quantity: 1, orders: 1 }] });
    const trades = expectStatus(await t.app.inject({ url: `/api/market/${variantId}/trades` }), 200).json();
    expect(trades.trades).toEqual([expect.objectContaining({ price: 100, quantity: 2, takerSide: 'buy' })]);
    const ticker = expectStatus(await t.app.inject({ url: `/api/market/${variantId}/ticker` }), 200).json();
    expect(ticker).toMatchObject({ last: 100, bestAsk: 100, bestBid: null, volume: 2, trades: 1, thin: true });
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    const candles = expectStatus(
      await t.app.inject({ url: `/api/market/${variantId}/candles?interval=1h&from=${from}&to=${to}` }),
      200,
    ).json();
    // Every hour of the range is listed; only the one with the trade has prices.
    expect(candles.candles.filter((c: { trades: number }) => c.trades > 0)).toEqual([
      expect.objectContaining({ open: 100, close: 100, volume: 2, trades: 1 }),
    ]);
    expect(candles.candles.filter((c: { trades: number }) => c.trades === 0)).not.toHaveLength(0);

    const channels = await db().execute<{ channel: string }>(
      sql`SELECT m->>'channel' AS channel FROM platform_outbox_events, jsonb_array_elements(payload->'messages') m WHERE type = 'market.publish'`,
    );
    const names = channels.rows.map((r) => r.channel);
    for (const c of [`market.trades.${variantId}`, `market.ticker.${variantId}`, `market.book.${variantId}`]) {
      expect(names).toContain(c);
    }
    expect(names).toContain(`user.${bob.id}`);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('returns the unfilled part of an IOC order', async () => {
    const before = await total(db(), bob.id);
    const res = expectStatus(await order(bob, { side: 'buy', quantity: 5, price: 100, timeInForce: 'IOC' }), 201);
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelReason: 'ioc_remainder', filledQuantity: 1 });
    expect(await total(db(), bob.id)).toBe(before - 105n);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('cancels only the owner’s order and returns its escrow', async () => {
    const ask = expectStatus(await order(alice, { side: 'sell', quantity: 2, price: 150 }), 201).json<{ id: string }>();
    expect(await total(db(), alice.id, asset)).toBe(5n);
    const url = `/api/market/orders/${ask.id}`;
    expectProblem(await t.app.inject({ method: 'DELETE', url, headers: auth(carol) }), 404, 'not_found');
    const done = expectStatus(await t.app.inject({ method: 'DELETE', url, headers: auth(alice) }), 200).json();
    expect(done).toMatchObject({ status: 'cancelled', remaining: 2 });
    expect(await total(db(), alice.id, asset)).toBe(7n);
    expectProblem(await t.app.inject({ method: 'DELETE', url, headers: auth(alice) }), 409, 'order_not_open');
    const mine = expectStatus(
      await t.app.inject({ url: '/api/market/orders?status=done', headers: auth(alice) }),
      200,
    ).json();
    expect(mine.orders.map((o: { id: string }) => o.id)).toContain(ask.id);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('fills a market buy up to its protection price and returns the rest of its escrow', async () => {
    expectStatus(await order(alice, { side: 'sell', quantity: 2, price: 100 }), 201);
    expectStatus(await order(alice, { side: 'sell', quantity: 1, price: 104 }), 201);
    const before = await total(db(), bob.id);
    const res = expectStatus(await order(bob, { side: 'buy', type: 'market', quantity: 5 }), 201).json();
    // 2 × 100 + 1 × 104 = 304, fee ceil(5 % of 304) = 16; the unfilled escrow came back.
    expect(res).toMatchObject({ status: 'cancelled', filledQuantity: 3, filledNotional: 304, feePaid: 16 });
    expect(await total(db(), bob.id)).toBe(before - 320n);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('cancels the user’s own resting order instead of trading with it', async () => {
    const ask = expectStatus(await order(alice, { side: 'sell', quantity: 1, price: 100 }), 201).json<{ id: string }>();
    const cardsBefore = await total(db(), alice.id, asset);
    const bid = expectStatus(await order(alice, { side: 'buy', quantity: 1, price: 100 }), 201).json<{ id: string }>();
    expect(await total(db(), alice.id, asset)).toBe(cardsBefore + 1n);
    const done = expectStatus(
      await t.app.inject({ url: '/api/market/orders?status=done', headers: auth(alice) }),
      200,
    ).json<{ orders: { id: string; cancelReason: string | null }[] }>();
    expect(done.orders.find((o) => o.id === ask.id)?.cancelReason).toBe('self_trade');
    const url = `/api/market/orders/${bid.id}`;
    expectStatus(await t.app.inject({ method: 'DELETE', url, headers: auth(alice) }), 200);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('refuses bad orders with a clear 4xx and writes nothing', async () => {
    const before = await writes(db());
    expectStatus(await order(bob, { side: 'buy', quantity: 0, price: 100 }), 400);
    expectStatus(await order(bob, { side: 'buy', quantity: -1, price: 100 }), 400);
    expectProblem(await order(bob, { side: 'buy', quantity: 1, price: 5000 }), 422, 'price_out_of_band');
    expectProblem(await order(bob, { side: 'buy', quantity: 1, price: 5 }), 422, 'price_out_of_band');
    expectProblem(
      await order(bob, { side: 'buy', quantity: 1, price: 100, cardId: '00000000-0000-4000-8000-00000000beef' }),
      404,
      'not_found',
    );
    expectProblem(await order(carol, { side: 'sell', quantity: 1, price: 100 }), 409, 'insufficient_funds');
    await expect(
      withTransaction(db(), (tx) =>
        placeOrder(
          tx,
          { userId: bob.id, variantId, side: 'buy', type: 'limit', timeInForce: 'GTC', price: 101n, quantity: 1n },
          { ...DEFAULT_MARKET_SETTINGS, tickSize: 5n },
        ),
      ),
    ).rejects.toMatchObject({ code: 'off_tick', status: 400 });
    expect(await writes(db())).toEqual(before);
    expectStatus(await t.app.inject({ url: `/api/market/${variantId}/candles?interval=2m&from=x&to=y` }), 400);
  });

  it('publishes fills on the card’s channels after commit, and nothing for a refused order', async () => {
    await drainOutbox(t);
    const received: unknown[] = [];
    const candles: unknown[] = [];
    const stop = await t.runtime.ctx.realtime.subscribe(`market.trades.${variantId}`, (_c, m) => received.push(m));
    const stopCandles = await t.runtime.ctx.realtime.subscribe(`market.candles.${variantId}.1m`, (_c, m) =>
      candles.push(m),
    );
    try {
      expectProblem(await order(carol, { side: 'sell', quantity: 1, price: 100 }), 409, 'insufficient_funds');
      await drainOutbox(t);
      expect(received).toEqual([]);
      expect(candles).toEqual([]);
      expectStatus(await order(alice, { side: 'sell', quantity: 1, price: 100 }), 201);
      expectStatus(await order(bob, { side: 'buy', quantity: 1, price: 100 }), 201);
      await drainOutbox(t);
      await vi.waitFor(() => expect(received).toEqual([expect.objectContaining({ type: 'trade', price: 100 })]));
      // The minute's candle as it now stands, on its own channel.
      await vi.waitFor(() =>
        expect(candles).toEqual([expect.objectContaining({ type: 'candle', interval: '1m', close: 100 })]),
      );
    } finally {
      await stop();
      await stopCandles();
    }
  });
});
