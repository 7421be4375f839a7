import { randomInt } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV } from '../../../test/helpers/http.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { createCatalog } from '../../../test/support/cards.ts';
import { auth, createVariant, giveCards, grantCoins, writes } from '../../../test/support/market.ts';

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let carol: CreatedTestUser;
let dave: CreatedTestUser;
const db = () => t.runtime.ctx.db;
let codes = 0;

/** A fresh card variant with 20 copies for alice. */
async function freshVariant(): Promise<string> {
  const { cardId } = await createVariant(t, admin, `MD${++codes}`);
  const { variantId } = await giveCards(db(), alice.id, cardId, 20n);
  return variantId;
}

async function order(user: CreatedTestUser, cardId: string, side: 'buy' | 'sell', quantity: number, price: number) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/market/orders',
    headers: auth(user),
    payload: { cardId, side, type: 'limit', timeInForce: 'GTC', quantity, price },
  });
  return expectStatus(res, 201).json<{ id: string; status: string }>();
}

const get = (url: string, user?: CreatedTestUser) => t.app.inject({ url, headers: user ? auth(user) : {} });

interface Ticker {
  cardId: string;
  last: number | null;
  bestBid: number | null;
  bestAsk: number | null;
  change: number | null;
  high: number | null;
  low: number | null;
  volume: number;
  trades: number;
  thin: boolean;
}

interface HistoryItem {
  tradeId: string;
  cardId: string;
  side: string;
  role: string;
  price: number;
  quantity: number;
  fee: number;
  costBasis: number | null;
  realised: number | null;
  uncoveredQuantity: number;
  hold: unknown;
}
interface History {
  items: HistoryItem[];
  nextCursor: string | null;
  positions: { cardId: string; openQuantity: number; openCost: number; averageCost: number | null; realised: number }[];
  totalRealised: number;
}

beforeAll(async () => {
  t = await createTestApp({
    env: { ...QUIET_ENV, LOG_LEVEL: 'error', MARKET_DATA_RATE_LIMIT_MAX: '1000000', MARKET_DATA_CACHE_TTL_MS: '60000' },
  });
  [admin, alice, bob, carol, dave] = await Promise.all([
    createTestUser(t, { role: 'admin' }),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
  ]);
  await grantCoins(db(), bob.id, 1_000_000n);
  await grantCoins(db(), carol.id, 1_000_000n);
});

afterAll(async () => {
  await t?.close();
});

describe('GET /api/market/history', () => {
  let card: string;

  beforeAll(async () => {
    card = await freshVariant();
    // Bob buys 2 @ 100 as taker (fee 10), 1 @ 130 as maker (fee 7), then sells 2 @ 150 to Carol (she pays the fee).
    await order(alice, card, 'sell', 2, 100);
    await order(bob, card, 'buy', 2, 100);
    await order(bob, card, 'buy', 1, 130);
    await order(alice, card, 'sell', 1, 130);
    await order(carol, card, 'buy', 2, 150);
    await order(bob, card, 'sell', 2, 150);
  });

  it('lists my fills newest first with FIFO realised profit net of fees and my position', async () => {
    const h = expectStatus(await get('/api/market/history', bob), 200).json<History>();
    expect(h.items.map((i) => [i.side, i.role, i.price, i.quantity, i.fee, i.costBasis, i.realised])).toEqual([
      // Proceeds 2 × 150 − 0 fee; cost of the first lot 2 × 100 + 10 → realised 90.
      ['sell', 'taker', 150, 2, 0, 210, 90],
      ['buy', 'maker', 130, 1, 7, null, null],
      ['buy', 'taker', 100, 2, 10, null, null],
    ]);
    expect(h.items.every((i) => i.cardId === card && i.hold === null && i.uncoveredQuantity === 0)).toBe(true);
    // What is left: the 130 lot with its fee.
    expect(h.positions).toEqual([{ cardId: card, openQuantity: 1, openCost: 137, averageCost: 137, realised: 90 }]);
    expect(h.totalRealised).toBe(90);
    expect(h.nextCursor).toBeNull();
  });

  it('pages with a cursor and refuses a foreign one', async () => {
    const first = expectStatus(await get('/api/market/history?limit=2', bob), 200).json<History>();
    expect(first.items.map((i) => i.price)).toEqual([150, 130]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const next = expectStatus(
      await get(`/api/market/history?limit=2&cursor=${first.nextCursor ?? ''}`, bob),
      200,
    ).json<History>();
    expect(next.items.map((i) => i.price)).toEqual([100]);
    expect(next.nextCursor).toBeNull();
    // The same figures on every page: the cost basis runs over all fills.
    expect(next.totalRealised).toBe(90);
    // Bob's cursor after his sale to Carol names a trade Alice had no part in.
    const top = expectStatus(await get('/api/market/history?limit=1', bob), 200).json<History>();
    const bad = await get(`/api/market/history?cursor=${top.nextCursor ?? ''}`, alice);
    expectProblem(bad, 400, 'validation_failed');
    expect(JSON.stringify(bad.json())).toContain('query.cursor');
    expectProblem(await get('/api/market/history?cursor=not-a-cursor', bob), 400, 'validation_failed');
    expectStatus(await get('/api/market/history?limit=0', bob), 400);
  });

  it('shows sellers their side, and never another user’s fills', async () => {
    const a = expectStatus(await get('/api/market/history', alice), 200).json<History>();
    expect(a.items.map((i) => [i.side, i.role, i.price, i.quantity, i.fee])).toEqual([
      ['sell', 'taker', 130, 1, 0],
      ['sell', 'maker', 100, 2, 0],
    ]);
    // Cards from grants have no purchase on the market: their sale realises nothing.
    expect(a.items.map((i) => [i.realised, i.uncoveredQuantity])).toEqual([
      [0, 1],
      [0, 2],
    ]);
    const c = expectStatus(await get('/api/market/history', carol), 200).json<History>();
    expect(c.items.map((i) => [i.side, i.role, i.price, i.quantity, i.fee])).toEqual([['buy', 'maker', 150, 2, 15]]);
    const d = expectStatus(await get('/api/market/history', dave), 200).json<History>();
    expect(d).toEqual({ items: [], nextCursor: null, positions: [], totalRealised: 0 });
    // An admin's history is theirs alone, too.
    const ad = expectStatus(await get('/api/market/history', admin), 200).json<History>();
    expect(ad.items).toEqual([]);
  });

  it('shows a review hold on the one fill it concerns, to the user whose receipt is held', async () => {
    const held = await freshVariant();
    await order(alice, held, 'sell', 1, 100);
    await order(bob, held, 'buy', 1, 100);
    // Six times the previous price: the seller gained, so what she received is held for review.
    await order(alice, held, 'sell', 1, 600);
    await order(carol, held, 'buy', 1, 600);
    const a = expectStatus(await get('/api/market/history?limit=2', alice), 200).json<History>();
    const [top, previous] = a.items;
    expect(top).toMatchObject({ cardId: held, price: 600, side: 'sell' });
    expect(top?.hold).toEqual({ reason: expect.any(String), releaseAt: expect.any(String), released: false });
    const { releaseAt } = top?.hold as { releaseAt: string };
    expect(Date.parse(releaseAt)).toBeGreaterThan(Date.now());
    expect(previous?.hold).toBeNull();
    // The buyer sees the same trade without the seller's hold.
    const c = expectStatus(await get('/api/market/history?limit=1', carol), 200).json<History>();
    expect(c.items[0]).toMatchObject({ tradeId: top?.tradeId, hold: null });
  });

  it('needs a valid token', async () => {
    expectProblem(await get('/api/market/history'), 401, 'unauthorized');
    const res = await t.app.inject({ url: '/api/market/history', headers: { authorization: 'Bearer nope' } });
    expect(res.statusCode).toBe(401);
  });
});

describe('tickers', () => {
  let traded: string;
  let quoted: string;
  let idle: string;

  beforeAll(async () => {
    [traded, quoted, idle] = [await freshVariant(), await freshVariant(), await freshVariant()];
    await order(alice, traded, 'sell', 2, 100);
    await order(bob, traded, 'buy', 2, 100);
    await order(alice, traded, 'sell', 1, 120);
    await order(bob, traded, 'buy', 1, 120);
    await order(alice, traded, 'sell', 3, 90);
    await order(bob, traded, 'buy', 1, 90);
    await order(bob, traded, 'buy', 1, 80);
    await order(bob, quoted, 'buy', 4, 50);
    await order(alice, quoted, 'sell', 1, 70);
  });

  it('GET /api/market/tickers: every active card with its 24 h figures, busiest first', async () => {
    // An unusual limit keeps this list's cache key apart from other test apps sharing one Redis.
    const all = expectStatus(await get('/api/market/tickers?limit=499'), 200).json<{ tickers: Ticker[] }>();
    const ids = all.tickers.map((x) => x.cardId);
    expect(ids).toContain(traded);
    expect(ids).toContain(quoted);
    expect(ids).not.toContain(idle);
    const volumes = all.tickers.map((x) => x.volume);
    expect(volumes).toEqual([...volumes].sort((a, b) => b - a));

    const some = expectStatus(
      await get(`/api/market/tickers?cardIds=${quoted}&cardIds=${traded}&cardIds=${idle}`),
      200,
    ).json<{ tickers: Ticker[] }>();
    expect(some.tickers).toEqual([
      {
        cardId: traded,
        last: 90,
        bestBid: 80,
        bestAsk: 90,
        change: -10,
        high: 120,
        low: 90,
        volume: 4,
        trades: 3,
        thin: true,
      },
      {
        cardId: quoted,
        last: null,
        bestBid: 50,
        bestAsk: 70,
        change: null,
        high: null,
        low: null,
        volume: 0,
        trades: 0,
        thin: true,
      },
    ]);
    const single = expectStatus(await get(`/api/market/${traded}/ticker`), 200).json<Ticker>();
    expect(single).toEqual(some.tickers[0]);
    const one = expectStatus(await get(`/api/market/tickers?limit=1&cardIds=${quoted}&cardIds=${traded}`), 200);
    expect(one.json<{ tickers: Ticker[] }>().tickers.map((x) => x.cardId)).toEqual([traded]);
  });

  it('marks a card thin below 5 trades in 24 h and not from 5 on', async () => {
    // Two more fills: the 2 left of the 90 ask, then a new one.
    await order(alice, traded, 'sell', 2, 90);
    await order(bob, traded, 'buy', 4, 90);
    await drainOutbox(t);
    const ticker = expectStatus(await get(`/api/market/${traded}/ticker`), 200).json<Ticker>();
    expect(ticker).toMatchObject({ trades: 5, volume: 8, thin: false });
  });

  it('takes a card id where the card has one variant, and names the variants where it has several', async () => {
    const { cardId } = await createVariant(t, admin, `MD${++codes}`);
    const several = await get(`/api/market/${cardId}/book`);
    expectProblem(several, 400, 'card_has_variants');
    const named = several.json<{ variants: { id: string; variant: string }[] }>().variants;
    expect(named.map((v) => v.variant)).toEqual(['base', 'foil', 'holo', 'gold'].slice(0, named.length));
    expect(named.length).toBeGreaterThan(1);
    expectStatus(await get(`/api/market/${named[0]?.id}/book`), 200);

    const { ids } = await createCatalog(t, admin, { code: `MD${++codes}`, name: 'Single' }, [
      { name: 'Only Base', rarity: 'common', maxLevel: 0 },
    ]);
    const single = ids.get('Only Base') ?? '';
    const book = expectStatus(await get(`/api/market/${single}/book`), 200).json<{ cardId: string }>();
    expect(book.cardId).not.toBe(single);
    expect(expectStatus(await get(`/api/market/${book.cardId}/ticker`), 200).json<Ticker>().cardId).toBe(book.cardId);
  });

  it('refuses bad input with a problem naming the field, and writes nothing', async () => {
    const before = await writes(db());
    const bad = await get('/api/market/tickers?cardIds=nope');
    expectProblem(bad, 400, 'validation_failed');
    expect(bad.body).toContain('cardIds');
    expectProblem(await get('/api/market/tickers?limit=0'), 400, 'validation_failed');
    expectProblem(await get('/api/market/tickers?sort=price'), 400, 'validation_failed');
    expectProblem(await get(`/api/market/${uuidv7()}/ticker`), 404, 'not_found');
    expectProblem(await get('/api/market/not-a-uuid/ticker'), 400, 'validation_failed');
    const from = new Date().toISOString();
    const backwards = await get(`/api/market/${traded}/candles?interval=1h&from=${from}&to=${from}`);
    expectProblem(backwards, 400, 'validation_failed');
    expect(backwards.body).toContain('query.to');
    const tooMany = await get(`/api/market/${traded}/candles?interval=1m&from=2020-01-01T00:00:00Z&to=${from}`);
    expectProblem(tooMany, 400, 'validation_failed');
    expect(tooMany.body).toContain('query.from');
    expectProblem(await get(`/api/market/${traded}/book?levels=0`), 400, 'validation_failed');
    expect(await writes(db())).toEqual(before);
  });

  it('answers anonymous callers and signed-in ones alike (public data)', async () => {
    for (const path of ['tickers', `${traded}/ticker`, `${traded}/book`, `${traded}/trades`]) {
      expectStatus(await get(`/api/market/${path}`), 200);
      expectStatus(await get(`/api/market/${path}`, dave), 200);
    }
  });
});

describe('candles', () => {
  it('lists every interval of the range, empty ones explicit, each marked thin on its own 24 h', async () => {
    const card = await freshVariant();
    const day = 86_400_000;
    const base = Math.floor(Date.now() / day) * day - 10 * day;
    const trade = async (at: number, price: number, quantity: number) => {
      const { placeOrder } = await import('./service.ts');
      const { withTransaction } = await import('../../platform/db/tx.ts');
      for (const [userId, side] of [
        [alice.id, 'sell'],
        [bob.id, 'buy'],
      ] as const) {
        await withTransaction(db(), (tx) =>
          placeOrder(tx, {
            userId,
            variantId: card,
            side,
            type: 'limit',
            timeInForce: 'GTC',
            price: BigInt(price),
            quantity: BigInt(quantity),
            at: new Date(at),
          }),
        );
      }
    };
    // Day 1: six trades in the 01:00 hour; day 2: one trade at 05:30.
    for (let i = 0; i < 6; i++) await trade(base + 3_600_000 + i * 60_000, 100 + i, 1);
    await trade(base + day + 5.5 * 3_600_000, 90, 2);
    const from = new Date(base).toISOString();
    const to = new Date(base + 2 * day).toISOString();
    const res = expectStatus(await get(`/api/market/${card}/candles?interval=4h&from=${from}&to=${to}`), 200);
    const body = res.json<{ thin: boolean; candles: Record<string, unknown>[] }>();
    expect(body.thin).toBe(true);
    expect(body.candles).toHaveLength(12);
    const empty = { open: null, high: null, low: null, close: null, volume: 0, trades: 0 };
    expect(body.candles[0]).toEqual({
      start: from,
      open: 100,
      high: 105,
      low: 100,
      close: 105,
      volume: 6,
      trades: 6,
      thin: false,
    });
    // The 24 h ending with each of the next five 4 h buckets still holds the six trades.
    for (let i = 1; i <= 5; i++) expect(body.candles[i]).toEqual({ start: expect.any(String), ...empty, thin: false });
    expect(body.candles[6]).toEqual({ start: new Date(base + day).toISOString(), ...empty, thin: true });
    expect(body.candles[7]).toMatchObject({ open: 90, close: 90, volume: 2, trades: 1, thin: true });
    expect(body.candles.slice(8)).toEqual(Array.from({ length: 4 }, () => expect.objectContaining(empty)));
  });
});

describe('cached reads', () => {
  const lookups = async () => {
    const metric = t.runtime.ctx.metrics.registry.getSingleMetric('market_data_cache_lookups_total');
    const values = (await metric?.get())?.values ?? [];
    const of = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
    return { hit: of('hit'), miss: of('miss') };
  };

  it('serve repeated reads from the cache until a trade of the card is delivered', async () => {
    const card = await freshVariant();
    const other = await freshVariant();
    await order(alice, card, 'sell', 1, 100);
    await order(bob, card, 'buy', 1, 100);
    await order(alice, other, 'sell', 1, 100);
    await drainOutbox(t);
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 3_600_000).toISOString();
    // The card's own reads; the tickers list is checked apart, since any card's change anywhere drops it.
    const paths = [
      `/api/market/${card}/ticker`,
      `/api/market/${card}/book`,
      `/api/market/${card}/trades`,
      `/api/market/${card}/candles?interval=1h&from=${from}&to=${to}`,
      `/api/market/${other}/book`,
    ];
    const read = async () => Promise.all(paths.map(async (p) => expectStatus(await get(p), 200).json()));
    const tickers = async () =>
      expectStatus(await get(`/api/market/tickers?cardIds=${card}`), 200).json<{ tickers: Ticker[] }>();

    const before = await lookups();
    const first = await read();
    const afterMiss = await lookups();
    expect(afterMiss.miss - before.miss).toBe(paths.length);
    expect(await read()).toEqual(first);
    const afterHit = await lookups();
    expect(afterHit.hit - afterMiss.hit).toBe(paths.length);
    expect(afterHit.miss).toBe(afterMiss.miss);
    expect((await tickers()).tickers).toEqual([first[0]]);

    // A change written behind the market's back is not seen: the reads come from the cache.
    await db().execute(sql`
      INSERT INTO market_trades (id, variant_id, maker_order_id, taker_order_id, maker_owner_id, taker_owner_id,
                                 taker_side, price, quantity, buyer_fee, seller_fee)
      VALUES (${uuidv7()}, ${card}, ${uuidv7()}, ${uuidv7()}, ${alice.id}, ${bob.id}, 'buy', 100, 1, 0, 0)`);
    expect(await read()).toEqual(first);

    // A trade through the exchange: once its event is delivered the card's reads are fresh.
    await order(alice, card, 'sell', 2, 110);
    await order(bob, card, 'buy', 1, 110);
    await drainOutbox(t);
    const [ticker, book, trades, candles, otherBook] = await read();
    expect(ticker).toMatchObject({ last: 110, trades: 3, volume: 3, bestAsk: 110 });
    expect(book).toMatchObject({ asks: [{ price: 110, quantity: 1, orders: 1 }] });
    expect((trades as { trades: { price: number }[] }).trades.map((x) => x.price)).toEqual([110, 100, 100]);
    expect((candles as { candles: { trades: number }[] }).candles.reduce((s, c) => s + c.trades, 0)).toBe(2);
    expect((await tickers()).tickers).toEqual([ticker]);
    // Another card's cached reads are left alone: still a hit.
    expect(otherBook).toEqual(first[4]);
    const beforeOther = await lookups();
    expectStatus(await get(`/api/market/${other}/book`), 200);
    expect((await lookups()).hit - beforeOther.hit).toBe(1);
  });
});

describe('per-address rate limit of market data', () => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await createTestApp({ env: { ...QUIET_ENV, MARKET_DATA_RATE_LIMIT_MAX: '3' } });
  });

  afterAll(async () => {
    await limited?.close();
  });

  it('answers 429 problem+json past the limit, for that address only, signed in or not', async () => {
    const user = await createTestUser(limited);
    // A fresh address per run: with Redis the counters outlive one test app.
    const ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
    const other = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
    const hit = (remoteAddress: string, headers: Record<string, string> = {}) =>
      limited.app.inject({ url: '/api/market/tickers', remoteAddress, headers });
    for (let i = 0; i < 2; i++) expectStatus(await hit(ip), 200);
    expectStatus(await hit(ip, auth(user)), 200);
    expectProblem(await hit(ip), 429, 'rate_limited');
    // The budget is the address's, whoever signs in from it.
    expectProblem(await hit(ip, auth(user)), 429, 'rate_limited');
    expectStatus(await hit(other), 200);
  });
});
