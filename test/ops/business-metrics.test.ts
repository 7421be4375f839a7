import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV } from '../helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';
import { connectClient, listenForWebSockets } from '../helpers/ws.ts';
import { createPack, grantCoins } from '../support/cards.ts';
import { auth, createVariant, giveCards } from '../support/market.ts';
import { declaredFamilies, metricValue, scrape } from './metrics-text.ts';

// Business counters are per process, so each check compares the value before and after an action.

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let cardId: string;
const db = () => t.runtime.ctx.db;

async function change(names: [string, Record<string, string>?][], action: () => Promise<void>) {
  const before = await Promise.all(names.map(([n, l]) => metricValue(t, n, l)));
  await action();
  const after = await Promise.all(names.map(([n, l]) => metricValue(t, n, l)));
  return after.map((v, i) => v - (before[i] as number));
}

function order(user: CreatedTestUser, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/market/orders',
    headers: { ...auth(user), ...headers },
    payload: { cardId, type: 'limit', timeInForce: 'GTC', ...body },
  });
}

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  [admin, alice, bob] = await Promise.all([createTestUser(t, { role: 'admin' }), createTestUser(t), createTestUser(t)]);
  const card = await createVariant(t, admin, 'OPS');
  // Orders name the variant the book trades.
  ({ variantId: cardId } = await giveCards(db(), alice.id, card.cardId, 10n));
  await grantCoins(db(), bob.id, 100_000n);
  // Starting an application is slow while the restore drill's processes share the machine.
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('business counters on /metrics', () => {
  it('declares every business family, the websocket gauge and the pool size', async () => {
    const families = declaredFamilies(await scrape(t));
    for (const [name, type] of [
      ['market_orders_total', 'counter'],
      ['market_fills_total', 'counter'],
      ['market_traded_quantity_total', 'counter'],
      ['market_traded_value_minor_units_total', 'counter'],
      ['wallet_transfers_total', 'counter'],
      ['payments_deposits_total', 'counter'],
      ['payment_webhooks_total', 'counter'],
      ['card_pack_openings_total', 'counter'],
      ['fraud_flags_total', 'counter'],
      ['bot_ticks_total', 'counter'],
      ['bot_schedule_lag_seconds', 'histogram'],
      ['realtime_connections', 'gauge'],
      ['db_pool_max_connections', 'gauge'],
    ]) {
      expect(families.get(name as string), name).toBe(type);
    }
    expect(await metricValue(t, 'db_pool_max_connections')).toBe(t.config.DB_POOL_SIZE);
  });

  it('counts orders, fills and volume, through the batch path and the idempotent path', async () => {
    const [sells, buys, fills, quantity, value] = await change(
      [
        ['market_orders_total', { side: 'sell', type: 'limit' }],
        ['market_orders_total', { side: 'buy', type: 'limit' }],
        ['market_fills_total'],
        ['market_traded_quantity_total'],
        ['market_traded_value_minor_units_total'],
      ],
      async () => {
        expectStatus(await order(alice, { side: 'sell', quantity: 3, price: 100 }), 201);
        const bid = await order(bob, { side: 'buy', quantity: 2, price: 120 }, { 'idempotency-key': 'ops-metrics-1' });
        expect(expectStatus(bid, 201).json()).toMatchObject({ status: 'filled', filledQuantity: 2 });
      },
    );
    expect({ sells, buys, fills, quantity, value }).toEqual({ sells: 1, buys: 1, fills: 1, quantity: 2, value: 200 });
  });

  it('does not count a refused order', async () => {
    const [orders] = await change([['market_orders_total']], async () => {
      // Bob holds no copies of the card: the sell is refused and nothing is written.
      const res = await order(bob, { side: 'sell', quantity: 50, price: 100 });
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
    });
    expect(orders).toBe(0);
  });

  it('counts coin transfers between users', async () => {
    const [transfers, amount] = await change(
      [['wallet_transfers_total'], ['wallet_transferred_minor_units_total']],
      async () => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/wallet/transfer',
          headers: auth(bob),
          payload: { to: alice.username, amount: 1234 },
        });
        expectStatus(res, 201);
      },
    );
    expect({ transfers, amount }).toEqual({ transfers: 1, amount: 1234 });
  });

  it('counts settled deposits and the provider callbacks, accepted and refused', async () => {
    const [succeeded, amount, applied, ignored, rejected] = await change(
      [
        ['payments_deposits_total', { result: 'succeeded' }],
        ['payments_deposited_minor_units_total'],
        ['payment_webhooks_total', { provider: 'sandbox', outcome: 'applied' }],
        // Paying the settled checkout again sends a new event for a payment no longer pending.
        ['payment_webhooks_total', { provider: 'sandbox', outcome: 'ignored' }],
        ['payment_webhooks_total', { provider: 'sandbox', outcome: 'rejected' }],
      ],
      async () => {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/wallet/deposit',
          headers: auth(alice),
          payload: { amount: 5000 },
        });
        const path = new URL(expectStatus(res, 201).json<{ payment: { checkoutUrl: string } }>().payment.checkoutUrl)
          .pathname;
        expect((await t.app.inject({ method: 'POST', url: `${path}/complete` })).body).toContain('Payment complete');
        expect((await t.app.inject({ method: 'POST', url: `${path}/complete` })).body).toContain('already settled');
        const forged = await t.app.inject({
          method: 'POST',
          url: '/api/payments/webhooks/sandbox',
          headers: { 'content-type': 'application/json', 'sandbox-signature': 't=1,v1=00' },
          payload: '{"id":"evt_forged"}',
        });
        expect(forged.statusCode).toBeGreaterThanOrEqual(400);
        expect(forged.statusCode).toBeLessThan(500);
      },
    );
    expect({ succeeded, amount, applied, ignored, rejected }).toEqual({
      succeeded: 1,
      amount: 5000,
      applied: 1,
      ignored: 1,
      rejected: 1,
    });
  });

  it('counts pack openings', async () => {
    const pack = await createPack(t, admin, {
      name: 'Metrics pack',
      price: 100,
      slots: [{ weights: { common: 1 } }],
    });
    await grantCoins(db(), alice.id, 1_000n);
    const [openings] = await change([['card_pack_openings_total']], async () => {
      const post = (url: string, payload: object) =>
        t.app.inject({ method: 'POST', url, headers: auth(alice), payload });
      expectStatus(await post(`/api/packs/${pack.id}/purchase`, { quantity: 2 }), 201);
      expectStatus(await post('/api/packs/open', { packId: pack.id }), 201);
      expectStatus(await post('/api/packs/open', { packId: pack.id }), 201);
      // A third opening has no pack left to open: refused and not counted.
      expect((await post('/api/packs/open', { packId: pack.id })).statusCode).toBeGreaterThanOrEqual(400);
    });
    expect(openings).toBe(2);
  });

  it('shows the open websocket connections', async () => {
    const url = await listenForWebSockets(t.app);
    const before = await metricValue(t, 'realtime_connections');
    const { client } = await connectClient(url, { token: alice.token });
    expect(await metricValue(t, 'realtime_connections')).toBe(before + 1);
    client.terminate();
    await client.closed;
    // The server sees the close a moment after the client.
    for (let i = 0; i < 50 && (await metricValue(t, 'realtime_connections')) !== before; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await metricValue(t, 'realtime_connections')).toBe(before);
  });
});
