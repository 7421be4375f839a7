import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { bearer, json, QUIET_ENV } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { encodeCursor } from '../../platform/http/cursor.ts';
import { rebuildAll } from './aggregate.ts';
import type { QualificationRules } from './compute.ts';
import { DAY, HOUR, insertBotRecord, insertTrade, flagWash } from '../../../test/support/leaderboards.ts';

/*
 * The leaderboards API as its users meet it: who may read which board, bad input named by field,
 * private data kept out, the caller's own rank, and the people boards' numbers.
 */

let t: TestApp;
let admin: CreatedTestUser;
let moderator: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let carol: CreatedTestUser;
let aliceBot: string;
let bobBot: string;
const RULES: QualificationRules = { minTrades: 1, minAgeHours: 48, minAllocation: 1000 };
const card = uuidv7();
const db = () => t.runtime.ctx.db;

const rising = (step: number, now: number) =>
  Array.from({ length: 10 * 24 + 1 }, (_, i) => ({ t: now - (240 - i) * HOUR, equity: 100_000 + i * step }));
const trip = (now: number, hoursAgo: number, buy: number, sell: number) => [
  { variantId: card, side: 'buy' as const, price: buy, quantity: 1, fee: 0, at: now - (hoursAgo + 1) * HOUR },
  { variantId: card, side: 'sell' as const, price: sell, quantity: 1, fee: 0, at: now - hoursAgo * HOUR },
];

beforeAll(async () => {
  t = await createTestApp({ env: { ...QUIET_ENV, LEADERBOARD_PREVIEW_RATE_LIMIT_MAX: '1000' } });
  admin = await createTestUser(t, { role: 'admin' });
  moderator = await createTestUser(t, { role: 'moderator' });
  alice = await createTestUser(t);
  bob = await createTestUser(t);
  carol = await createTestUser(t);
  const now = Date.now();
  const base = { mode: 'paper' as const, allocation: 100_000, createdAt: now - 20 * DAY };
  aliceBot = await insertBotRecord(db(), {
    ...base,
    ownerId: alice.id,
    equity: rising(20, now),
    fills: trip(now, 5, 100, 120),
  });
  bobBot = await insertBotRecord(db(), {
    ...base,
    ownerId: bob.id,
    equity: rising(10, now),
    fills: trip(now, 5, 100, 90),
  });
  // Exchange trades: alice buys 2 at 100 and 1 at 130 (fee 3), then sells 2 at 150 (fee 4):
  // average cost (200 + 133) / 3 = 111 per copy, so 2 copies cost 222 and bring 300 − 4 = 296.
  const at = (h: number) => now - h * HOUR;
  await insertTrade(db(), {
    variantId: card,
    buyerId: alice.id,
    sellerId: carol.id,
    price: 100,
    quantity: 2,
    buyerFee: 0,
    sellerFee: 0,
    at: at(30),
  });
  await insertTrade(db(), {
    variantId: card,
    buyerId: alice.id,
    sellerId: carol.id,
    price: 130,
    quantity: 1,
    buyerFee: 3,
    sellerFee: 0,
    at: at(20),
  });
  await insertTrade(db(), {
    variantId: card,
    buyerId: bob.id,
    sellerId: alice.id,
    price: 150,
    quantity: 2,
    buyerFee: 0,
    sellerFee: 4,
    at: at(10),
  });
  // A wash-flagged round trip between bob and carol at absurd prices never counts.
  const washed = await insertTrade(db(), {
    variantId: card,
    buyerId: carol.id,
    sellerId: bob.id,
    price: 9_000,
    quantity: 2,
    buyerFee: 0,
    sellerFee: 0,
    at: at(5),
  });
  await flagWash(db(), washed, [bob.id, carol.id], 'open');
  // A bot's own account trading never appears among people.
  await insertTrade(db(), {
    variantId: card,
    buyerId: aliceBot,
    sellerId: carol.id,
    price: 100,
    quantity: 1,
    buyerFee: 0,
    sellerFee: 0,
    at: at(4),
  });
  await db().execute(sql`UPDATE identity_users SET collection_visibility = 'private' WHERE id = ${bob.id}`);
  await rebuildAll({ db: db(), rules: RULES });
}, 120_000);
afterAll(() => t?.close());

const get = (url: string, user?: CreatedTestUser) =>
  t.app.inject({ method: 'GET', url, ...(user ? { headers: bearer(user.token) } : {}) });

interface Board {
  items: { rank: number; botId: string; owner: string; value: number }[];
  nextCursor: string | null;
  myRank: number | null;
}

describe('authorization', () => {
  const signedIn = ['/api/leaderboards', '/api/leaderboards/traders', '/api/leaderboards/collectors'];

  it('the full boards need a token; the preview does not', async () => {
    for (const url of signedIn) expectProblem(await get(url), 401, 'unauthorized');
    expectStatus(await get('/api/leaderboards/preview'), 200);
  });

  it('every role reads the same boards; only the caller’s own rank differs', async () => {
    const asAlice = json<Board>(expectStatus(await get('/api/leaderboards?mode=paper', alice), 200));
    const asBob = json<Board>(expectStatus(await get('/api/leaderboards?mode=paper', bob), 200));
    const asModerator = json<Board>(expectStatus(await get('/api/leaderboards?mode=paper', moderator), 200));
    expect(asAlice.items).toEqual(asBob.items);
    expect(asModerator.items).toEqual(asBob.items);
    expect(asAlice.items.map((i) => i.botId)).toEqual([aliceBot, bobBot]);
    expect(asAlice.myRank).toBe(1);
    expect(asBob.myRank).toBe(2);
    expect(asModerator.myRank).toBeNull();
  });

  it('only an admin may trigger a rebuild', async () => {
    const post = (user?: CreatedTestUser) =>
      t.app.inject({
        method: 'POST',
        url: '/api/admin/leaderboards/rebuild',
        ...(user ? { headers: bearer(user.token) } : {}),
      });
    expectProblem(await post(), 401, 'unauthorized');
    expectProblem(await post(alice), 403, 'forbidden');
    expectProblem(await post(moderator), 403, 'forbidden');
    expect(json(expectStatus(await post(admin), 202))).toEqual({ queued: true });
  });
});

describe('bad input', () => {
  const cases: [string, string][] = [
    ['/api/leaderboards?period=1y', 'query.period'],
    ['/api/leaderboards?metric=luck', 'query.metric'],
    ['/api/leaderboards?mode=demo', 'query.mode'],
    ['/api/leaderboards?minTrades=-1', 'query.minTrades'],
    ['/api/leaderboards?cardId=nope', 'query.cardId'],
    ['/api/leaderboards?limit=0', 'query.limit'],
    ['/api/leaderboards?cursor=not-a-cursor', 'query.cursor'],
    [`/api/leaderboards?cursor=${encodeCursor(['x'])}`, 'query.cursor'],
    [`/api/leaderboards?cursor=${encodeCursor([1, 5])}`, 'query.cursor'],
    ['/api/leaderboards?extra=1', 'query'],
    ['/api/leaderboards/traders?period=forever', 'query.period'],
    ['/api/leaderboards/traders?cursor=%%%', 'query.cursor'],
    ['/api/leaderboards/collectors?period=7d', 'query'],
  ];
  it.each(cases)('%s is a 400 naming %s', async (url, field) => {
    const res = await get(url, alice);
    expectProblem(res, 400, 'validation_failed');
    const fields = json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field);
    expect(fields.some((f) => f === field || f.startsWith(`${field}`))).toBe(true);
  });
});

describe('boards', () => {
  it('pages with the platform cursor and shows no private data', async () => {
    const first = json<Board>(expectStatus(await get('/api/leaderboards?mode=paper&limit=1', alice), 200));
    expect(first.items.map((i) => [i.rank, i.botId, i.owner])).toEqual([[1, aliceBot, alice.username]]);
    const second = json<Board>(
      expectStatus(await get(`/api/leaderboards?mode=paper&limit=1&cursor=${first.nextCursor}`, alice), 200),
    );
    expect(second.items.map((i) => [i.rank, i.botId])).toEqual([[2, bobBot]]);
    expect(second.nextCursor).toBeNull();
    const text =
      (await get('/api/leaderboards?mode=paper', alice)).body + (await get('/api/leaderboards/preview')).body;
    for (const secret of [alice.email, bob.email, alice.id, bob.id, '"document"', '"source"', 'allocation']) {
      expect(text).not.toContain(secret);
    }
  });

  it('filters by card and set, and ranks within the filter', async () => {
    const other = json<Board>(expectStatus(await get(`/api/leaderboards?mode=paper&cardId=${uuidv7()}`, alice), 200));
    expect(other).toMatchObject({ items: [], myRank: null });
    const mine = json<Board>(expectStatus(await get(`/api/leaderboards?mode=paper&cardId=${card}`, bob), 200));
    expect(mine.items.map((i) => i.rank)).toEqual([1, 2]);
    expect(mine.myRank).toBe(2);
  });

  it('the preview is served from the cache between rebuilds', async () => {
    const one = json<{ generatedAt: string }>(await get('/api/leaderboards/preview'));
    const two = json<{ generatedAt: string }>(await get('/api/leaderboards/preview'));
    expect(two.generatedAt).toBe(one.generatedAt);
  });

  it('ranks traders by realised profit with an average cost, without bots or wash trades', async () => {
    const board = json<{ items: { username: string; value: number; count: number }[]; myRank: number | null }>(
      expectStatus(await get('/api/leaderboards/traders?period=7d', alice), 200),
    );
    const byName = new Map(board.items.map((i) => [i.username, i]));
    expect(byName.get(alice.username)).toMatchObject({ value: 296 - 222, count: 3 });
    expect(byName.get(bob.username)).toMatchObject({ value: 0, count: 1 });
    expect(byName.get(carol.username)?.value).toBe(0);
    expect(board.items.map((i) => i.username)).not.toContain(aliceBot);
    expect(board.items).toHaveLength(3);
    expect(board.myRank).toBe(1);
  });

  it('lists only public collections', async () => {
    const board = json<{ items: { username: string }[]; myRank: number | null }>(
      expectStatus(await get('/api/leaderboards/collectors', bob), 200),
    );
    expect(board.items.map((i) => i.username)).not.toContain(bob.username);
    expect(board.myRank).toBeNull();
  });
});

describe('preview rate limit', () => {
  it('answers 429 problem+json once an address used its budget', async () => {
    const small = await createTestApp({ env: { ...QUIET_ENV, LEADERBOARD_PREVIEW_RATE_LIMIT_MAX: '2' } });
    try {
      const replies = [];
      for (let i = 0; i < 3; i++) replies.push(await small.app.inject({ url: '/api/leaderboards/preview' }));
      expectProblem(replies[2] as (typeof replies)[number], 429, 'rate_limited');
    } finally {
      await small.close();
    }
  }, 60_000);
});
