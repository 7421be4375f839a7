import { isDeepStrictEqual } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { connectClient, listenForWebSockets, type ServerFrame, type WsTestClient } from '../../../test/helpers/ws.ts';
import { applyDelta } from '../../platform/realtime/state.ts';
import { auth, createVariant, giveCards, grantCoins } from '../../../test/support/market.ts';

let t: TestApp;
let url: string;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let variantId: string;
const clients: WsTestClient[] = [];

function order(user: CreatedTestUser, body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/api/market/orders',
    headers: auth(user),
    payload: { cardId: variantId, type: 'limit', timeInForce: 'GTC', ...body },
  });
}

beforeAll(async () => {
  // Polling once a minute: every update below is delivered because its commit woke the dispatcher.
  t = await createTestApp({ env: { ...QUIET_ENV, RUN_WORKERS: 'true', LOG_LEVEL: 'error', OUTBOX_POLL_MS: '60000' } });
  url = await listenForWebSockets(t.app);
  const admin = await createTestUser(t, { role: 'admin' });
  [alice, bob] = await Promise.all([createTestUser(t), createTestUser(t)]);
  const { cardId } = await createVariant(t, admin, 'RTM');
  ({ variantId } = await giveCards(t.runtime.ctx.db, alice.id, cardId, 50n));
  await grantCoins(t.runtime.ctx.db, bob.id, 1_000_000n);
});

afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
});

afterAll(async () => {
  await t?.close();
});

/** Follows a state channel as a client would: snapshot, then deltas that must be numbered without gaps. */
async function follow(channel: string) {
  const { client } = await connectClient(url);
  clients.push(client);
  expect(await client.subscribe(channel)).toEqual({ type: 'subscribed', channel });
  const snapshot = await client.takeType('snapshot');
  const view = { seq: snapshot.seq as number, state: snapshot.data };
  const isDelta = (f: ServerFrame) => f.type === 'delta' && f.channel === channel;
  return {
    client,
    view,
    /** Applies deltas until `done(state)` holds. */
    async until(done: (state: unknown) => boolean) {
      while (!done(view.state)) {
        const delta = await client.take(isDelta);
        expect(delta.seq).toBe(view.seq + 1);
        view.seq = delta.seq as number;
        view.state = applyDelta(view.state, delta.data);
      }
    },
  };
}

describe('market realtime', () => {
  it('book and ticker: a snapshot on subscribe, then numbered deltas that end at the book the API shows', async () => {
    const book = await follow(`market.book.${variantId}`);
    const ticker = await follow(`market.ticker.${variantId}`);
    expect(book.view.state).toBeNull();
    for (const price of [100, 101, 102]) {
      expectStatus(await order(alice, { side: 'sell', quantity: 2, price }), 201);
    }
    expectStatus(await order(bob, { side: 'buy', quantity: 3, price: 101 }), 201);
    expectStatus(await order(bob, { side: 'buy', quantity: 1, price: 90 }), 201);
    const shown = expectStatus(await t.app.inject({ url: `/api/market/${variantId}/book` }), 200).json<{
      bids: unknown[];
      asks: unknown[];
    }>();
    expect(shown).toMatchObject({
      asks: [
        { price: 101, quantity: 1 },
        { price: 102, quantity: 2 },
      ],
    });
    const sameBook = (s: unknown) =>
      s !== null &&
      isDeepStrictEqual((s as typeof shown).asks, shown.asks) &&
      isDeepStrictEqual((s as typeof shown).bids, shown.bids);
    await book.until(sameBook);
    await ticker.until((s) => (s as { bestBid?: number } | null)?.bestBid === 90);
    expect(ticker.view.state).toMatchObject({ type: 'ticker', cardId: variantId, bestBid: 90, bestAsk: 101 });

    // A client joining now starts from the same book.
    const late = await follow(`market.book.${variantId}`);
    expect(sameBook(late.view.state)).toBe(true);
  });

  it('trades are never conflated: every fill reaches a subscriber, in order', async () => {
    const { client } = await connectClient(url);
    clients.push(client);
    const channel = `market.trades.${variantId}`;
    await client.subscribe(channel);
    expectStatus(await order(alice, { side: 'sell', quantity: 5, price: 110 }), 201);
    // Five fills in a row on the same book, close together: each one its own message.
    for (let i = 0; i < 5; i += 1) {
      expectStatus(await order(bob, { side: 'buy', quantity: 1, price: 110, timeInForce: 'IOC' }), 201);
    }
    await client.take((f) => f.type === 'message' && f.channel === channel && client.messagesOn(channel).length >= 5);
    const trades = client.messagesOn(channel) as { id: string; quantity: number; ts: string }[];
    expect(trades.map((m) => m.quantity)).toEqual([1, 1, 1, 1, 1]);
    const listed = expectStatus(await t.app.inject({ url: `/api/market/${variantId}/trades?limit=5` }), 200).json<{
      trades: { id: string }[];
    }>();
    expect(new Set(trades.map((m) => m.id))).toEqual(new Set(listed.trades.map((m) => m.id)));
    const times = trades.map((m) => Date.parse(m.ts));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
