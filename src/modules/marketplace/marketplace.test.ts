import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { createCatalog } from '../../../test/support/cards.ts';
import { reconcile, systemBalance } from '../ledger/index.ts';
import {
  auth,
  createListing,
  deleteListing,
  escrowMismatches,
  giveCards,
  grantCoins,
  purchase,
  total,
  updateListing,
  type ListingJson,
} from '../../../test/support/marketplace.ts';

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let carol: CreatedTestUser;
let cardA: string;
let variantA: string;
let assetA: string;
let variantB: string;
let assetB: string;
const db = () => t.runtime.ctx.db;

type Page = { items: ListingJson[]; nextCursor: string | null };
const browse = async (query: string) =>
  expectStatus(await t.app.inject({ url: `/api/marketplace/listings?${query}` }), 200).json<Page>();
const ids = (p: Page) => p.items.map((l) => l.id);
const queueSeq = async (id: string) => {
  const r = await db().execute<{ q: string }>(sql`SELECT queue_seq::text AS q FROM market_orders WHERE id = ${id}`);
  return BigInt(r.rows[0]?.q ?? '0');
};

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  [admin, alice, bob, carol] = await Promise.all([
    createTestUser(t, { role: 'admin' }),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
  ]);
  const { ids: cards } = await createCatalog(t, admin, { code: 'MPL', name: 'Marketplace set' }, [
    { name: 'Card A', rarity: 'common' },
    { name: 'Card B', rarity: 'rare' },
  ]);
  cardA = cards.get('Card A') ?? '';
  ({ variantId: variantA, asset: assetA } = await giveCards(db(), alice.id, cardA, 20n));
  ({ variantId: variantB, asset: assetB } = await giveCards(db(), carol.id, cards.get('Card B') ?? '', 5n));
  await grantCoins(db(), bob.id, 100_000n);
  await grantCoins(db(), carol.id, 100_000n);
});

afterAll(async () => {
  await t?.close();
});

describe('listing lifecycle', () => {
  let l1: ListingJson;
  let l2: ListingJson;
  let l3: ListingJson;

  it('creates listings that escrow the cards and show what buyer and seller get', async () => {
    l1 = expectStatus(await createListing(t, alice, { cardId: variantA, quantity: 5, price: 100 }), 201).json();
    expect(l1).toMatchObject({
      cardId: variantA,
      price: 100,
      quantity: 5,
      remaining: 5,
      status: 'open',
      buyerPays: 525,
      sellerReceives: 500,
      seller: { id: alice.id, username: alice.username },
    });
    expect(await total(db(), alice.id, assetA)).toBe(15n);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    l2 = expectStatus(
      await createListing(t, alice, { cardId: variantA, quantity: 2, price: 120, expiresAt }),
      201,
    ).json();
    expect(l2).toMatchObject({ expiresAt, buyerPays: 252, sellerReceives: 240 });
    l3 = expectStatus(await createListing(t, carol, { cardId: variantB, quantity: 1, price: 300 }), 201).json();
    expect(l3).toMatchObject({ rarity: 'rare', cardName: 'Card B', set: { code: 'MPL' }, buyerPays: 315 });
    expect(await total(db(), carol.id, assetB)).toBe(4n);

    const mine = expectStatus(
      await t.app.inject({ url: '/api/marketplace/my-listings', headers: auth(alice) }),
      200,
    ).json<Page>();
    expect(ids(mine)).toEqual([l2.id, l1.id]);
    expect(mine.items[1]).toMatchObject({ buyerPays: 525, sellerReceives: 500 });
    const page1 = await t.app.inject({ url: '/api/marketplace/my-listings?limit=1', headers: auth(alice) });
    const first = expectStatus(page1, 200).json<Page>();
    expect(ids(first)).toEqual([l2.id]);
    const page2 = await t.app.inject({
      url: `/api/marketplace/my-listings?limit=1&cursor=${first.nextCursor}`,
      headers: auth(alice),
    });
    expect(expectStatus(page2, 200).json<Page>()).toMatchObject({ items: [{ id: l1.id }], nextCursor: null });
    expectProblem(
      await t.app.inject({
        url: `/api/marketplace/my-listings?status=done&cursor=${first.nextCursor}`,
        headers: auth(alice),
      }),
      400,
      'validation_failed',
    );
  });

  it('filters, sorts and pages', async () => {
    expect(ids(await browse('set=MPL&sort=price'))).toEqual([l1.id, l2.id, l3.id]);
    expect(ids(await browse('set=MPL&sort=-price'))).toEqual([l3.id, l2.id, l1.id]);
    expect(ids(await browse('set=MPL&sort=newest'))).toEqual([l3.id, l2.id, l1.id]);
    expect(ids(await browse(`card=${cardA}&sort=price`))).toEqual([l1.id, l2.id]);
    expect(ids(await browse(`card=${variantB}`))).toEqual([l3.id]);
    expect(ids(await browse('set=MPL&rarity=rare'))).toEqual([l3.id]);
    expect(ids(await browse('set=MPL&minPrice=110&sort=price'))).toEqual([l2.id, l3.id]);
    expect(ids(await browse('set=MPL&maxPrice=110'))).toEqual([l1.id]);
    expect(ids(await browse(`seller=${carol.username}`))).toEqual([l3.id]);
    expect(ids(await browse(`seller=${alice.id}&sort=price`))).toEqual([l1.id, l2.id]);
    expect(ids(await browse('seller=nobody-by-that-name'))).toEqual([]);
    const full = await browse('set=MPL');
    expect(full.items.every((l) => l.buyerPays > 0 && l.sellerReceives > 0)).toBe(true);

    for (const sort of ['price', '-price', 'newest']) {
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const p: Page = await browse(`set=MPL&sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
        walked.push(...ids(p));
        cursor = p.nextCursor;
      } while (cursor);
      expect(walked).toEqual(ids(await browse(`set=MPL&sort=${sort}`)));
    }
    const first = await browse('set=MPL&sort=price&limit=1');
    expectProblem(
      await t.app.inject({ url: `/api/marketplace/listings?sort=newest&cursor=${first.nextCursor}` }),
      400,
      'validation_failed',
    );
    expectProblem(await t.app.inject({ url: '/api/marketplace/listings?cursor=garbage' }), 400, 'validation_failed');
    expectProblem(await t.app.inject({ url: '/api/marketplace/listings?limit=101' }), 400, 'validation_failed');
  });

  it('lowers the quantity in place and returns the surplus; raising it escrows more and loses priority', async () => {
    const seq = await queueSeq(l1.id);
    const down = expectStatus(await updateListing(t, alice, l1.id, { quantity: 3 }), 200).json<ListingJson>();
    expect(down).toMatchObject({ quantity: 3, remaining: 3, buyerPays: 315, sellerReceives: 300 });
    expect(await total(db(), alice.id, assetA)).toBe(15n);
    expect(await queueSeq(l1.id)).toBe(seq);

    const up = expectStatus(await updateListing(t, alice, l1.id, { quantity: 6 }), 200).json<ListingJson>();
    expect(up).toMatchObject({ quantity: 6, remaining: 6 });
    expect(await total(db(), alice.id, assetA)).toBe(12n);
    expect(await queueSeq(l1.id)).toBeGreaterThan(seq);
    expect(await escrowMismatches(db())).toEqual([]);
  });

  it('re-prices and sells at once to a resting bid the new price crosses', async () => {
    const bobBefore = await total(db(), bob.id);
    const feesBefore = await systemBalance(db(), 'fees');
    const bid = await t.app.inject({
      method: 'POST',
      url: '/api/market/orders',
      headers: auth(bob),
      payload: { cardId: variantA, side: 'buy', type: 'limit', timeInForce: 'GTC', quantity: 1, price: 95 },
    });
    expect(expectStatus(bid, 201).json()).toMatchObject({ status: 'open' });
    const seq = await queueSeq(l1.id);
    const moved = expectStatus(await updateListing(t, alice, l1.id, { price: 94 }), 200).json<ListingJson>();
    // Filled at the resting bid's 95; the rest of the listing rests at 94.
    expect(moved).toMatchObject({ price: 94, quantity: 6, remaining: 5, sold: 1, status: 'open' });
    expect(await queueSeq(l1.id)).toBeGreaterThan(seq);
    expect(await total(db(), alice.id)).toBe(95n);
    expect(await total(db(), bob.id)).toBe(bobBefore - 100n);
    expect(await total(db(), bob.id, assetA)).toBe(1n);
    expect(await systemBalance(db(), 'fees')).toBe(feesBefore + 5n);
    await drainOutbox(t);
    const book = expectStatus(await t.app.inject({ url: `/api/market/${variantA}/book` }), 200).json();
    expect(book.bids).toEqual([]);
    expect(book.asks[0]).toMatchObject({ price: 94, quantity: 5 });
  });

  it('withdraws a listing and returns its cards', async () => {
    const done = expectStatus(await deleteListing(t, alice, l2.id), 200).json<ListingJson>();
    expect(done).toMatchObject({ status: 'cancelled', remaining: 2 });
    expect(await total(db(), alice.id, assetA)).toBe(14n);
    expect(ids(await browse('set=MPL'))).not.toContain(l2.id);
    const closed = expectStatus(
      await t.app.inject({ url: '/api/marketplace/my-listings?status=done', headers: auth(alice) }),
      200,
    ).json<Page>();
    expect(ids(closed)).toEqual([l2.id]);
    expectProblem(await deleteListing(t, alice, l2.id), 409, 'listing_not_open');
    expectProblem(await updateListing(t, alice, l2.id, { price: 90 }), 409, 'listing_not_open');
  });

  it('sells part of a listing, then the rest, with exact balances', async () => {
    const aliceBefore = await total(db(), alice.id);
    const carolBefore = await total(db(), carol.id);
    const feesBefore = await systemBalance(db(), 'fees');
    const published = async () => {
      const r = await db().execute<{ channel: string }>(
        sql`SELECT m->>'channel' AS channel FROM platform_outbox_events, jsonb_array_elements(payload->'messages') m WHERE type = 'market.publish' ORDER BY seq`,
      );
      return r.rows.map((row) => row.channel);
    };
    const channelsBefore = (await published()).length;
    const part = expectStatus(await purchase(t, carol, { listingId: l1.id, quantity: 2 }), 201).json();
    const channels = (await published()).slice(channelsBefore);
    for (const c of [`market.trades.${variantA}`, `market.book.${variantA}`, `user.${carol.id}`, `user.${alice.id}`]) {
      expect(channels).toContain(c);
    }
    // 2 × 94 = 188, fee ceil(5 % of 188) = 10, paid by the buyer.
    expect(part).toMatchObject({
      listingId: l1.id,
      status: 'filled',
      price: 94,
      quantity: 2,
      filledNotional: 188,
      fee: 10,
      paid: 198,
      buyerPays: 198,
      sellerReceives: 188,
      listingRemaining: 3,
    });
    const rest = expectStatus(await purchase(t, carol, { listingId: l1.id, quantity: 3 }), 201).json();
    expect(rest).toMatchObject({ filledNotional: 282, fee: 15, paid: 297, listingRemaining: 0 });
    expect(await total(db(), carol.id)).toBe(carolBefore - 198n - 297n);
    expect(await total(db(), carol.id, assetA)).toBe(5n);
    expect(await total(db(), alice.id)).toBe(aliceBefore + 188n + 282n);
    expect(await systemBalance(db(), 'fees')).toBe(feesBefore + 25n);

    const mine = expectStatus(
      await t.app.inject({ url: '/api/marketplace/my-listings?status=done', headers: auth(alice) }),
      200,
    ).json<Page>();
    expect(mine.items.find((l) => l.id === l1.id)).toMatchObject({ status: 'filled', remaining: 0, sold: 6 });
    expectProblem(await purchase(t, bob, { listingId: l1.id, quantity: 1 }), 409, 'listing_unavailable');
    expectProblem(await updateListing(t, alice, l1.id, { quantity: 2 }), 409, 'listing_not_open');
    expectProblem(await deleteListing(t, alice, l1.id), 409, 'listing_not_open');
    expect(await escrowMismatches(db())).toEqual([]);
    const report = await reconcile(db());
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('replays a purchase sent again with the same Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'buy-l3-once' };
    const first = expectStatus(await purchase(t, bob, { listingId: l3.id, quantity: 1 }, headers), 201);
    const again = expectStatus(await purchase(t, bob, { listingId: l3.id, quantity: 1 }, headers), 201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await total(db(), bob.id, assetB)).toBe(1n);
  });
});

describe('one book for listings and exchange orders', () => {
  it('fills an exchange buy order against a listing, which the book shows', async () => {
    const l = expectStatus(await createListing(t, alice, { cardId: variantA, quantity: 2, price: 110 }), 201).json<{
      id: string;
    }>();
    await drainOutbox(t);
    const book = expectStatus(await t.app.inject({ url: `/api/market/${variantA}/book` }), 200).json();
    expect(book.asks).toEqual([expect.objectContaining({ price: 110, quantity: 2, orders: 1 })]);
    const aliceBefore = await total(db(), alice.id);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/market/orders',
      headers: auth(bob),
      payload: { cardId: variantA, side: 'buy', type: 'limit', timeInForce: 'GTC', quantity: 1, price: 115 },
    });
    expect(expectStatus(res, 201).json()).toMatchObject({ status: 'filled', filledNotional: 110 });
    expect(await total(db(), alice.id)).toBe(aliceBefore + 110n);
    const [listing] = (await browse(`card=${variantA}`)).items;
    expect(listing).toMatchObject({ id: l.id, remaining: 1, sold: 1 });

    // A listing priced through a resting bid sells at the bid's price on creation.
    expectStatus(
      await t.app.inject({
        method: 'POST',
        url: '/api/market/orders',
        headers: auth(bob),
        payload: { cardId: variantA, side: 'buy', type: 'limit', timeInForce: 'GTC', quantity: 1, price: 108 },
      }),
      201,
    );
    const crossing = expectStatus(await createListing(t, alice, { cardId: variantA, quantity: 1, price: 100 }), 201);
    expect(crossing.json()).toMatchObject({ status: 'filled', remaining: 0, sold: 1 });

    // Re-pricing through one's own bid cancels the bid (self-trade prevention) instead of trading.
    const coins = await total(db(), alice.id);
    const own = await t.app.inject({
      method: 'POST',
      url: '/api/market/orders',
      headers: auth(alice),
      payload: { cardId: variantA, side: 'buy', type: 'limit', timeInForce: 'GTC', quantity: 1, price: 100 },
    });
    const ownBid = expectStatus(own, 201).json<{ id: string; status: string }>();
    expect(ownBid.status).toBe('open');
    const moved = expectStatus(await updateListing(t, alice, l.id, { price: 95 }), 200).json<ListingJson>();
    expect(moved).toMatchObject({ price: 95, remaining: 1, sold: 1, status: 'open' });
    const done = await t.app.inject({ url: '/api/market/orders?status=done', headers: auth(alice) });
    const bid = expectStatus(done, 200)
      .json<{ orders: { id: string; status: string; cancelReason: string }[] }>()
      .orders.find((o) => o.id === ownBid.id);
    expect(bid).toMatchObject({ status: 'cancelled', cancelReason: 'self_trade' });
    expect(await total(db(), alice.id)).toBe(coins);
    await drainOutbox(t);
    const after = expectStatus(await t.app.inject({ url: `/api/market/${variantA}/book` }), 200).json();
    expect(after).toMatchObject({ bids: [], asks: [{ price: 95, quantity: 1 }] });
    expect(await escrowMismatches(db())).toEqual([]);
    expect((await reconcile(db())).ok).toBe(true);
  });
});

describe('price suggestion', () => {
  it('falls back to the rarity floor below five trades and uses the median above', async () => {
    const before = expectStatus(await t.app.inject({ url: `/api/marketplace/price-suggestion/${variantB}` }), 200);
    expect(before.json()).toMatchObject({ basis: 'rarity_floor', price: 7500, rarity: 'rare', minTrades: 5 });
    expect(before.json().sampleSize).toBe(1);

    const suggestion = await t.app.inject({ url: `/api/marketplace/price-suggestion/${variantA}` });
    const s = expectStatus(suggestion, 200).json();
    // Trades of A so far, one per fill: 95, 94, 94, 110, 108 → five, median 95.
    expect(s).toMatchObject({ basis: 'trades', price: 95, buyerPays: 100, sellerReceives: 95 });
    expect(s.sampleSize).toBe(5);
    expect(s.oldestTradeAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(typeof s.oldestTradeAt).toBe('string');
    expectProblem(
      await t.app.inject({ url: `/api/marketplace/price-suggestion/${crypto.randomUUID()}` }),
      404,
      'not_found',
    );
  });
});
