import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { reconcile } from '../ledger/index.ts';
import { DEFAULT_MARKET_SETTINGS } from '../market/index.ts';
import { createListing as listOnBook } from '../market/index.ts';
import { createVariant } from '../../../test/support/market.ts';
import {
  auth,
  createListing,
  deleteListing,
  giveCards,
  grantCoins,
  purchase,
  total,
  updateListing,
  writes,
  type ListingJson,
} from '../../../test/support/marketplace.ts';

let t: TestApp;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let poor: CreatedTestUser;
let unverified: CreatedTestUser;
let variantId: string;
let asset: string;
let listing: ListingJson;
let cancelled: ListingJson;
let bobOrderId: string;
const db = () => t.runtime.ctx.db;

/** The request is refused with this problem and writes nothing at all. */
async function refused(send: () => Promise<LightMyRequestResponse>, status: number, code: string) {
  const before = await writes(db());
  const res = await send();
  expectProblem(res, status, code);
  expect(await writes(db())).toEqual(before);
  return res.json<Record<string, unknown>>();
}

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  const admin = await createTestUser(t, { role: 'admin' });
  [alice, bob, poor, unverified] = await Promise.all([
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t, { verified: false }),
  ]);
  const { cardId } = await createVariant(t, admin, 'MPIN');
  ({ variantId, asset } = await giveCards(db(), alice.id, cardId, 10n));
  await grantCoins(db(), bob.id, 100_000n);
  await grantCoins(db(), poor.id, 10n);
  listing = expectStatus(await createListing(t, alice, { cardId: variantId, quantity: 3, price: 100 }), 201).json();
  // One trade at 100 sets the reference of the price band: [10, 1000].
  expectStatus(await purchase(t, bob, { listingId: listing.id, quantity: 1 }), 201);
  cancelled = expectStatus(await createListing(t, alice, { cardId: variantId, quantity: 1, price: 150 }), 201).json();
  expectStatus(await deleteListing(t, alice, cancelled.id), 200);
  const order = await t.app.inject({
    method: 'POST',
    url: '/api/market/orders',
    headers: auth(bob),
    payload: { cardId: variantId, side: 'buy', type: 'limit', quantity: 1, price: 50 },
  });
  bobOrderId = expectStatus(order, 201).json<{ id: string }>().id;
});

afterAll(async () => {
  await t?.close();
});

describe('bad input writes nothing', () => {
  it('refuses listings with bad quantities, prices, cards or cards one does not own', async () => {
    const body = { cardId: variantId, quantity: 1, price: 100 };
    for (const bad of [{ quantity: 0 }, { quantity: -1 }, { quantity: 1.5 }, { price: 0 }, { price: -5 }]) {
      const p = await refused(() => createListing(t, alice, { ...body, ...bad }), 400, 'validation_failed');
      expect(JSON.stringify(p.errors)).toContain(`body.${Object.keys(bad)[0]}`);
    }
    const low = await refused(() => createListing(t, alice, { ...body, price: 5 }), 422, 'price_out_of_band');
    expect(low).toMatchObject({ min: 10, max: 1000 });
    await refused(() => createListing(t, alice, { ...body, price: 2000 }), 422, 'price_out_of_band');
    await refused(() => createListing(t, alice, { ...body, cardId: crypto.randomUUID() }), 404, 'not_found');
    await refused(() => createListing(t, alice, { ...body, cardId: 'not-a-card' }), 400, 'validation_failed');
    await refused(() => createListing(t, alice, { ...body, colour: 'red' }), 400, 'validation_failed');
    const past = new Date(Date.now() - 60_000).toISOString();
    const expiry = await refused(() => createListing(t, alice, { ...body, expiresAt: past }), 400, 'validation_failed');
    expect(JSON.stringify(expiry.errors)).toContain('body.expiresAt');
    // Bob holds the one card he bought.
    await refused(() => createListing(t, bob, { ...body, quantity: 2 }), 409, 'insufficient_funds');
    await refused(() => createListing(t, alice, { ...body, quantity: 50 }), 409, 'insufficient_funds');
  });

  it('refuses purchases of too many, of one’s own, of closed or unknown listings, or without the coins', async () => {
    const more = await refused(
      () => purchase(t, bob, { listingId: listing.id, quantity: 5 }),
      409,
      'insufficient_quantity',
    );
    expect(more.available).toBe(2);
    await refused(() => purchase(t, bob, { listingId: listing.id, quantity: 0 }), 400, 'validation_failed');
    await refused(() => purchase(t, alice, { listingId: listing.id, quantity: 1 }), 422, 'own_listing');
    await refused(() => purchase(t, bob, { listingId: cancelled.id, quantity: 1 }), 409, 'listing_unavailable');
    await refused(() => purchase(t, bob, { listingId: crypto.randomUUID(), quantity: 1 }), 404, 'not_found');
    await refused(() => purchase(t, alice, { listingId: bobOrderId, quantity: 1 }), 404, 'not_found');
    await refused(() => purchase(t, poor, { listingId: listing.id, quantity: 1 }), 409, 'insufficient_funds');
    expect(await total(db(), poor.id)).toBe(10n);
  });

  it('refuses changes to another user’s listing, bad changes and closed listings', async () => {
    await refused(() => updateListing(t, bob, listing.id, { price: 90 }), 404, 'not_found');
    await refused(() => deleteListing(t, bob, listing.id), 404, 'not_found');
    await refused(() => updateListing(t, bob, bobOrderId, { price: 60 }), 404, 'not_found');
    await refused(() => deleteListing(t, bob, bobOrderId), 404, 'not_found');
    await refused(() => updateListing(t, alice, crypto.randomUUID(), { price: 90 }), 404, 'not_found');
    await refused(() => updateListing(t, alice, listing.id, {}), 400, 'validation_failed');
    await refused(() => updateListing(t, alice, listing.id, { price: 0 }), 400, 'validation_failed');
    await refused(() => updateListing(t, alice, listing.id, { quantity: -2 }), 400, 'validation_failed');
    await refused(() => updateListing(t, alice, listing.id, { price: 5000 }), 422, 'price_out_of_band');
    await refused(() => updateListing(t, alice, listing.id, { quantity: 100 }), 409, 'insufficient_funds');
    await refused(() => updateListing(t, alice, cancelled.id, { quantity: 1 }), 409, 'listing_not_open');
    await refused(() => deleteListing(t, alice, cancelled.id), 409, 'listing_not_open');
    expect(await total(db(), alice.id, asset)).toBe(7n);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('refuses a listing whose seller would receive nothing after a seller-paid fee', async () => {
    const settings = {
      ...DEFAULT_MARKET_SETTINGS,
      fees: { rateBps: 500n, minimumFee: 50n, payer: 'seller' as const },
    };
    const before = await writes(db());
    await expect(
      withTransaction(db(), (tx) =>
        listOnBook(tx, { userId: alice.id, variantId, price: 40n, quantity: 2n }, settings),
      ),
    ).rejects.toMatchObject({ code: 'no_seller_proceeds', status: 422 });
    expect(await writes(db())).toEqual(before);
  });
});

describe('authorization', () => {
  const routes = () => [
    () =>
      t.app.inject({
        method: 'POST',
        url: '/api/marketplace/create-listing',
        payload: { cardId: variantId, quantity: 1, price: 100 },
      }),
    () => t.app.inject({ method: 'PUT', url: `/api/marketplace/listings/${listing.id}`, payload: { price: 101 } }),
    () => t.app.inject({ method: 'DELETE', url: `/api/marketplace/listings/${listing.id}` }),
    () =>
      t.app.inject({
        method: 'POST',
        url: '/api/marketplace/purchase',
        payload: { listingId: listing.id, quantity: 1 },
      }),
  ];

  it('needs a token on every route that acts for a user', async () => {
    for (const send of routes()) await refused(send, 401, 'unauthorized');
    await refused(() => t.app.inject({ url: '/api/marketplace/my-listings' }), 401, 'unauthorized');
  });

  it('needs a verified email to move cards or coins', async () => {
    const as = (u: CreatedTestUser) => auth(u);
    await refused(
      () => createListing(t, unverified, { cardId: variantId, quantity: 1, price: 100 }),
      403,
      'email_not_verified',
    );
    await refused(() => updateListing(t, unverified, listing.id, { price: 101 }), 403, 'email_not_verified');
    await refused(() => deleteListing(t, unverified, listing.id), 403, 'email_not_verified');
    await refused(() => purchase(t, unverified, { listingId: listing.id, quantity: 1 }), 403, 'email_not_verified');
    // Reading one's own listings needs no verified email.
    expectStatus(await t.app.inject({ url: '/api/marketplace/my-listings', headers: as(unverified) }), 200);
  });

  it('shows each user only their own listings', async () => {
    const bobs = expectStatus(await t.app.inject({ url: '/api/marketplace/my-listings', headers: auth(bob) }), 200);
    expect(bobs.json()).toEqual({ items: [], nextCursor: null });
    const done = await t.app.inject({ url: '/api/marketplace/my-listings?status=done', headers: auth(bob) });
    expect(expectStatus(done, 200).json()).toEqual({ items: [], nextCursor: null });
    const alices = expectStatus(await t.app.inject({ url: '/api/marketplace/my-listings', headers: auth(alice) }), 200);
    expect(alices.json<{ items: ListingJson[] }>().items.map((l) => l.id)).toEqual([listing.id]);
  });

  it('serves listings and price suggestions to anyone', async () => {
    const all = expectStatus(await t.app.inject({ url: '/api/marketplace/listings' }), 200);
    expect(all.json<{ items: ListingJson[] }>().items.map((l) => l.id)).toEqual([listing.id]);
    const s = expectStatus(await t.app.inject({ url: `/api/marketplace/price-suggestion/${variantId}` }), 200);
    expect(s.json()).toMatchObject({ basis: 'rarity_floor', price: 500, sampleSize: 1 });
  });
});
