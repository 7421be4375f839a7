import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { reconcile } from '../ledger/index.ts';
import { DEFAULT_MARKET_SETTINGS, expireDueOrders, placeOrder } from './service.ts';
import { auth, createVariant, giveCards, grantCoins, total, writes } from '../../../test/support/market.ts';

// Orders leave the book by expiry and by their card's retirement; admins set fees and the band.

let t: TestApp;
let admin: CreatedTestUser;
let moderator: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
const db = () => t.runtime.ctx.db;

function order(user: CreatedTestUser, variantId: string, body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/api/market/orders',
    headers: auth(user),
    payload: { cardId: variantId, type: 'limit', timeInForce: 'GTC', ...body },
  });
}

async function newBook(code: string) {
  const { cardId } = await createVariant(t, admin, code);
  const { variantId, asset } = await giveCards(db(), alice.id, cardId, 10n);
  return { cardId, variantId, asset };
}

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

const escrowHeld = async (orderId: string) => {
  const r = await db().execute<{ held: string }>(sql`
    SELECT coalesce(sum(b.available + b.held), 0)::text AS held FROM ledger_balances b
      JOIN market_orders o ON o.escrow_account_id = b.account_id WHERE o.id = ${orderId}`);
  return BigInt(r.rows[0]?.held ?? '0');
};

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  [admin, moderator, alice, bob] = await Promise.all([
    createTestUser(t, { role: 'admin' }),
    createTestUser(t, { role: 'moderator' }),
    createTestUser(t),
    createTestUser(t),
  ]);
  await grantCoins(db(), bob.id, 1_000_000n);
});

afterAll(async () => {
  await t?.close();
});

describe('order expiry', () => {
  it('cancels what is left when the time comes and returns the escrow, partial fills included', async () => {
    const { variantId, asset } = await newBook('EXP');
    const ask = expectStatus(
      await order(alice, variantId, { side: 'sell', quantity: 1, price: 100, expiresAt: inMinutes(10) }),
      201,
    ).json<{ id: string; expiresAt: string }>();
    const coinsBefore = await total(db(), bob.id);
    const bid = expectStatus(
      await order(bob, variantId, { side: 'buy', quantity: 3, price: 100, expiresAt: inMinutes(20) }),
      201,
    ).json<{ id: string }>();
    expect(await total(db(), alice.id, asset)).toBe(9n);
    // One filled (100 + 5 fee); two still escrowed at 105 each.
    expect(await total(db(), bob.id)).toBe(coinsBefore - 105n - 210n);
    expect(await escrowHeld(bid.id)).toBe(210n);

    // Not due yet: nothing happens.
    expect(await expireDueOrders(db(), new Date(Date.now() + 5 * 60_000))).toBe(0);
    expect(await expireDueOrders(db(), new Date(Date.now() + 30 * 60_000))).toBe(1);

    expect(await escrowHeld(bid.id)).toBe(0n);
    expect(await total(db(), bob.id)).toBe(coinsBefore - 105n);
    const done = expectStatus(
      await t.app.inject({ url: '/api/market/orders?status=done', headers: auth(bob) }),
      200,
    ).json<{ orders: { id: string; status: string; cancelReason: string; filledQuantity: number }[] }>();
    expect(done.orders.find((o) => o.id === bid.id)).toMatchObject({
      status: 'cancelled',
      cancelReason: 'expired',
      filledQuantity: 1,
    });
    expect(ask.expiresAt).toBeTruthy();
    const book = expectStatus(await t.app.inject({ url: `/api/market/${variantId}/book` }), 200).json();
    expect(book.bids).toEqual([]);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('never lets an expired order trade, even before the sweep reaches it', async () => {
    const { variantId, asset } = await newBook('EXL');
    const hourAgo = new Date(Date.now() - 3_600_000);
    // A GTC ask placed two hours ago that expired an hour ago; the sweep has not run since.
    const stale = await withTransaction(db(), (tx) =>
      placeOrder(tx, {
        userId: alice.id,
        variantId,
        side: 'sell',
        type: 'limit',
        timeInForce: 'GTC',
        price: 100n,
        quantity: 2n,
        at: new Date(hourAgo.getTime() - 3_600_000),
        expiresAt: hourAgo,
      }),
    );
    expect(await total(db(), alice.id, asset)).toBe(8n);
    const book = expectStatus(await t.app.inject({ url: `/api/market/${variantId}/book` }), 200).json();
    expect(book.asks).toEqual([]);

    const bid = expectStatus(await order(bob, variantId, { side: 'buy', quantity: 1, price: 100 }), 201).json();
    expect(bid).toMatchObject({ status: 'open', filledQuantity: 0 });
    expect(await total(db(), alice.id, asset)).toBe(10n);
    const done = expectStatus(
      await t.app.inject({ url: '/api/market/orders?status=done', headers: auth(alice) }),
      200,
    ).json<{ orders: { id: string; cancelReason: string }[] }>();
    expect(done.orders.find((o) => o.id === stale.id)?.cancelReason).toBe('expired');
    expectStatus(
      await t.app.inject({ method: 'DELETE', url: `/api/market/orders/${bid.id}`, headers: auth(bob) }),
      200,
    );
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('hides an expired listing from buyers and refuses its purchase before the sweep', async () => {
    const { variantId } = await newBook('EXM');
    const hourAgo = new Date(Date.now() - 3_600_000);
    const listing = await withTransaction(db(), (tx) =>
      placeOrder(tx, {
        userId: alice.id,
        variantId,
        side: 'sell',
        type: 'limit',
        timeInForce: 'GTC',
        price: 100n,
        quantity: 1n,
        source: 'listing',
        at: new Date(hourAgo.getTime() - 3_600_000),
        expiresAt: hourAgo,
      }),
    );
    const browse = expectStatus(await t.app.inject({ url: `/api/marketplace/listings?card=${variantId}` }), 200);
    expect(browse.json().items).toEqual([]);
    const coins = await total(db(), bob.id);
    const buy = await t.app.inject({
      method: 'POST',
      url: '/api/marketplace/purchase',
      headers: auth(bob),
      payload: { listingId: listing.id, quantity: 1 },
    });
    expectProblem(buy, 409, 'listing_unavailable');
    expect(await total(db(), bob.id)).toBe(coins);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('refuses an expiry in the past, too far ahead, or on an order that does not rest; nothing written', async () => {
    const { variantId } = await newBook('EXQ');
    const before = await writes(db());
    const past = new Date(Date.now() - 60_000).toISOString();
    expectProblem(
      await order(bob, variantId, { side: 'buy', quantity: 1, price: 100, expiresAt: past }),
      400,
      'invalid_expiry',
    );
    expectProblem(
      await order(bob, variantId, { side: 'buy', quantity: 1, price: 100, expiresAt: inMinutes(91 * 24 * 60) }),
      400,
      'invalid_expiry',
    );
    expectProblem(
      await order(bob, variantId, {
        side: 'buy',
        quantity: 1,
        price: 100,
        timeInForce: 'IOC',
        expiresAt: inMinutes(5),
      }),
      400,
      'invalid_expiry',
    );
    expectStatus(await order(bob, variantId, { side: 'buy', quantity: 1, price: 100, expiresAt: 'tomorrow' }), 400);
    expect(await writes(db())).toEqual(before);
  });
});

describe('card retirement', () => {
  it('closes the card’s book: open orders are cancelled, escrow returned, new orders refused', async () => {
    const { cardId, variantId, asset } = await newBook('RET');
    const ask = expectStatus(await order(alice, variantId, { side: 'sell', quantity: 4, price: 100 }), 201).json();
    const coins = await total(db(), bob.id);
    const bid = expectStatus(await order(bob, variantId, { side: 'buy', quantity: 2, price: 90 }), 201).json();
    expect(await total(db(), alice.id, asset)).toBe(6n);

    const retire = await t.app.inject({
      method: 'PUT',
      url: `/api/cards/${cardId}`,
      headers: auth(admin),
      payload: { retired: true },
    });
    expectStatus(retire, 200);
    await drainOutbox(t);

    expect(await total(db(), alice.id, asset)).toBe(10n);
    expect(await total(db(), bob.id)).toBe(coins);
    for (const [user, id] of [
      [alice, ask.id],
      [bob, bid.id],
    ] as const) {
      const done = expectStatus(
        await t.app.inject({ url: '/api/market/orders?status=done', headers: auth(user) }),
        200,
      ).json<{ orders: { id: string; cancelReason: string }[] }>();
      expect(done.orders.find((o) => o.id === id)?.cancelReason).toBe('card_retired');
    }
    expectProblem(await order(bob, variantId, { side: 'buy', quantity: 1, price: 90 }), 409, 'card_retired');
    expect((await reconcile(db())).ok).toBe(true);
  });
});

describe('exchange settings', () => {
  const url = '/api/admin/market/config';
  const body = { commissionBps: 1000, minimumFee: 2, priceBand: 3, marketProtectionBps: 300 };

  it('are read and changed by admins only', async () => {
    expectStatus(await t.app.inject({ url }), 401);
    expectStatus(await t.app.inject({ method: 'PUT', url, payload: body }), 401);
    for (const user of [alice, moderator]) {
      expectProblem(await t.app.inject({ url, headers: auth(user) }), 403, 'forbidden');
      expectProblem(await t.app.inject({ method: 'PUT', url, headers: auth(user), payload: body }), 403, 'forbidden');
    }
    const current = expectStatus(await t.app.inject({ url, headers: auth(admin) }), 200).json();
    expect(current).toMatchObject({ commissionBps: 500, minimumFee: 1, feePayer: 'buyer', priceBand: 10 });
  });

  it('refuses bad settings naming the field, and changes nothing', async () => {
    const before = expectStatus(await t.app.inject({ url, headers: auth(admin) }), 200).json();
    for (const bad of [
      { ...body, commissionBps: -1 },
      { ...body, priceBand: 1 },
      { ...body, marketProtectionBps: 0 },
      { ...body, extra: true },
      { commissionBps: 100 },
    ]) {
      const res = await t.app.inject({ method: 'PUT', url, headers: auth(admin), payload: bad });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body).toMatch(/commissionBps|priceBand|marketProtectionBps|extra|minimumFee/);
    }
    expect(expectStatus(await t.app.inject({ url, headers: auth(admin) }), 200).json()).toEqual(before);
  });

  it('apply to new orders while resting orders keep the terms they were escrowed under', async () => {
    const { variantId } = await newBook('CFG');
    // Under the default 5 %: a resting bid escrows 100 + 5.
    const bid = expectStatus(await order(bob, variantId, { side: 'buy', quantity: 1, price: 100 }), 201).json();
    expect(bid.buyerPays).toBe(105);

    const saved = expectStatus(await t.app.inject({ method: 'PUT', url, headers: auth(admin), payload: body }), 200);
    expect(saved.json()).toMatchObject(body);
    const audit = await db().execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM platform_audit_log WHERE action = 'admin.market.config'`,
    );
    expect(audit.rows[0]?.n).toBe(1);

    try {
      // The old bid fills at its own 5 %; a new bid quotes and pays 10 %.
      const coins = await total(db(), bob.id);
      const ask = expectStatus(await order(alice, variantId, { side: 'sell', quantity: 2, price: 100 }), 201).json();
      expect(ask.filledQuantity).toBe(1);
      const next = expectStatus(await order(bob, variantId, { side: 'buy', quantity: 1, price: 100 }), 201).json();
      expect(next).toMatchObject({ status: 'filled', feePaid: 10, buyerPays: 110 });
      expect(await total(db(), bob.id)).toBe(coins - 110n);
      // The band is now 3× the last trade (100): 301 is refused, 300 is not.
      expectProblem(await order(bob, variantId, { side: 'buy', quantity: 1, price: 301 }), 422, 'price_out_of_band');
      expectStatus(await order(bob, variantId, { side: 'buy', quantity: 1, price: 300, timeInForce: 'IOC' }), 201);
      expect((await reconcile(db())).ok).toBe(true);
    } finally {
      const reset = { commissionBps: 500, minimumFee: 1, priceBand: 10, marketProtectionBps: 500 };
      expectStatus(await t.app.inject({ method: 'PUT', url, headers: auth(admin), payload: reset }), 200);
    }
  });

  it('refuses a sell whose commission would take all of the proceeds when the seller pays', async () => {
    const { variantId } = await newBook('SLP');
    const before = await writes(db());
    const sellerPays = {
      ...DEFAULT_MARKET_SETTINGS,
      fees: { rateBps: 500n, minimumFee: 50n, payer: 'seller' as const },
    };
    await expect(
      withTransaction(db(), (tx) =>
        placeOrder(
          tx,
          { userId: alice.id, variantId, side: 'sell', type: 'limit', timeInForce: 'GTC', price: 10n, quantity: 5n },
          sellerPays,
        ),
      ),
    ).rejects.toMatchObject({ code: 'invalid_price', status: 400 });
    expect(await writes(db())).toEqual(before);
  });
});
