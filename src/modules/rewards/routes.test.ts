import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import {
  auth,
  coinsOf,
  expectBooksBalanced,
  packOpened,
  pointsOf,
  rewardsWrites,
  startRewardsApp,
} from '../../../test/support/rewards.ts';
import { factsOf } from './facts.ts';
import { checkin, recordFacts } from './service.ts';

let t: TestApp;
let ada: CreatedTestUser;
let bob: CreatedTestUser;
let admin: CreatedTestUser;
let unverified: CreatedTestUser;

beforeAll(async () => {
  t = await startRewardsApp();
  [ada, bob, admin, unverified] = await Promise.all([
    createTestUser(t),
    createTestUser(t),
    createTestUser(t, { role: 'admin' }),
    createTestUser(t, { verified: false }),
  ]);
}, 120_000);
afterAll(async () => t?.close());

const inject = (
  method: 'GET' | 'POST',
  url: string,
  user?: CreatedTestUser,
  payload?: Record<string, unknown>,
  headers: Record<string, string> = {},
) =>
  t.app.inject({
    method,
    url,
    headers: { ...(user ? auth(user) : {}), ...headers },
    ...(payload === undefined ? {} : { payload }),
  });

interface Problem {
  code: string;
  errors?: { field: string }[];
}
const fields = (body: Problem) => (body.errors ?? []).map((e) => e.field).join(',');

describe('daily check-in', () => {
  it('pays points once a day and refuses a second check-in without writing anything', async () => {
    const db = t.runtime.ctx.db;
    const first = await inject('POST', '/api/rewards/checkin', ada);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ streak: 1, points: 10, nextPoints: 15 });
    const before = await rewardsWrites(db);
    const second = await inject('POST', '/api/rewards/checkin', ada);
    expect(second.statusCode).toBe(409);
    expect(second.json<Problem>().code).toBe('already_checked_in');
    expect(await rewardsWrites(db)).toEqual(before);
    expect(await pointsOf(db, ada.id)).toBe(10n);

    const points = await inject('GET', '/api/rewards/points', ada);
    expect(points.statusCode).toBe(200);
    expect(points.json()).toMatchObject({ balance: 10, items: [{ points: 10, coins: 0 }], nextCursor: null });
  });

  it('grows the streak on consecutive days, restarts it after a gap, and completes the 7-day badge', async () => {
    const db = t.runtime.ctx.db;
    const day = (d: number) => new Date(Date.UTC(2025, 5, d, 9));
    const streaks = [];
    for (const d of [1, 2, 4, 5, 6, 7, 8, 9, 10]) streaks.push((await checkin(db, bob.id, day(d))).streak);
    expect(streaks).toEqual([1, 2, 1, 2, 3, 4, 5, 6, 7]);
    const list = await inject('GET', '/api/rewards/achievements', bob);
    const streak7 = list
      .json<{ items: { code: string; progress: number; claimable: boolean }[] }>()
      .items.find((a) => a.code === 'streak_7');
    expect(streak7).toMatchObject({ progress: 7, claimable: true });
    const badges = await inject('GET', '/api/rewards/badges', bob);
    const earned = badges.json<{ items: { code: string; earnedAt: string | null }[] }>().items;
    expect(earned.find((b) => b.code === 'streak_7')?.earnedAt).not.toBeNull();
    expect(earned.find((b) => b.code === 'first_pack')?.earnedAt).toBeNull();
  });
});

describe('claiming', () => {
  it('pays a claimable reward once; other users and automatic or unfinished achievements cannot claim', async () => {
    const db = t.runtime.ctx.db;
    const points = await pointsOf(db, bob.id);
    const coins = await coinsOf(db, bob.id);

    // Another user claiming the same achievement has nothing to claim, and nothing moves.
    const before = await rewardsWrites(db);
    const stranger = await inject('POST', '/api/rewards/claim/streak_7', ada);
    expect(stranger.statusCode).toBe(409);
    expect(stranger.json<Problem>().code).toBe('not_claimable');
    expect(await rewardsWrites(db)).toEqual(before);

    const claimed = await inject('POST', '/api/rewards/claim/streak_7', bob, undefined, { 'idempotency-key': 'c-1' });
    expect(claimed.statusCode, claimed.body).toBe(200);
    expect(claimed.json()).toMatchObject({ code: 'streak_7', claimable: false });
    expect(await pointsOf(db, bob.id)).toBe(points + 500n);
    expect(await coinsOf(db, bob.id)).toBe(coins + 1000n);

    // The same key replays the stored answer; a new attempt is refused; nothing is paid again.
    const replay = await inject('POST', '/api/rewards/claim/streak_7', bob, undefined, { 'idempotency-key': 'c-1' });
    expect(replay.statusCode).toBe(200);
    const again = await inject('POST', '/api/rewards/claim/streak_7', bob);
    expect(again.statusCode).toBe(409);
    expect(await pointsOf(db, bob.id)).toBe(points + 500n);

    await recordFacts(db, factsOf(packOpened(bob.id)));
    const auto = await inject('POST', '/api/rewards/claim/first_pack', bob);
    expect(auto.statusCode).toBe(409);
    expect(auto.json()).toMatchObject({ code: 'not_claimable', reason: 'automatic' });
    const unfinished = await inject('POST', '/api/rewards/claim/packs_10', bob);
    expect(unfinished.json()).toMatchObject({ code: 'not_claimable', reason: 'not_completed' });
    const unknown = await inject('POST', '/api/rewards/claim/no_such_thing', bob);
    expect(unknown.statusCode).toBe(404);
    await expectBooksBalanced(db);
  });

  it('shows each user only their own progress', async () => {
    const mine = await inject('GET', '/api/rewards/achievements', ada);
    const items = mine.json<{ items: { code: string; completedAt: string | null }[] }>().items;
    expect(items.find((a) => a.code === 'streak_7')?.completedAt).toBeNull();
    const pts = await inject('GET', '/api/rewards/points', ada);
    expect(pts.json<{ items: { source: string }[] }>().items.every((i) => i.source.startsWith('checkin:'))).toBe(true);
  });
});

describe('points leaderboard', () => {
  it('ranks users by points, cursor-paged', async () => {
    const page1 = await inject('GET', '/api/rewards/leaderboard?limit=1');
    expect(page1.statusCode).toBe(200);
    const p1 = page1.json<{ items: { rank: number; userId: string; points: number }[]; nextCursor: string | null }>();
    expect(p1.items[0]).toMatchObject({ rank: 1, userId: bob.id });
    expect(p1.nextCursor).not.toBeNull();
    const page2 = await inject('GET', `/api/rewards/leaderboard?limit=1&cursor=${p1.nextCursor ?? ''}`);
    const p2 = page2.json<{ items: { rank: number; userId: string; points: number }[] }>();
    expect(p2.items[0]).toMatchObject({ rank: 2, userId: ada.id, points: 10 });
  });
});

describe('bad input', () => {
  it('answers 400 naming the field and writes nothing', async () => {
    const db = t.runtime.ctx.db;
    const before = await rewardsWrites(db);
    const cases: [string, string, CreatedTestUser | undefined, Record<string, unknown> | undefined, string][] = [
      ['GET', '/api/rewards/points?limit=0', ada, undefined, 'limit'],
      ['GET', '/api/rewards/points?cursor=not-a-cursor', ada, undefined, 'cursor'],
      ['GET', '/api/rewards/leaderboard?limit=1000', undefined, undefined, 'limit'],
      ['GET', '/api/rewards/leaderboard?cursor=WyJ4Il0', undefined, undefined, 'cursor'],
      ['POST', '/api/rewards/claim/Not-A-Code', bob, undefined, 'id'],
      ['POST', '/api/admin/rewards/achievements', admin, { code: 'x' }, 'code'],
      [
        'POST',
        '/api/admin/rewards/achievements',
        admin,
        {
          code: 'bad_rule',
          name: 'n',
          description: 'd',
          rule: { kind: 'count', type: 'cards.pack_opened', threshold: 0 },
          reward: {},
          payout: 'auto',
        },
        'threshold',
      ],
      [
        'POST',
        '/api/admin/rewards/achievements',
        admin,
        {
          code: 'unknown_type',
          name: 'n',
          description: 'd',
          rule: { kind: 'count', type: 'nothing.here', threshold: 1 },
          reward: {},
          payout: 'auto',
        },
        'rule.type',
      ],
      ['POST', '/api/admin/rewards/backfill', admin, { code: 'x', extra: 1 }, 'extra'],
    ];
    for (const [method, url, user, payload, field] of cases) {
      const res = await inject(method as 'GET' | 'POST', url, user, payload);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      const body = res.json<Problem>();
      expect(`${fields(body)} ${JSON.stringify(body)}`, url).toContain(field);
    }
    expect(await rewardsWrites(db)).toEqual(before);
  });
});

describe('authorization', () => {
  it('refuses anonymous callers, unverified accounts on value-moving routes, and non-admins on admin routes', async () => {
    const db = t.runtime.ctx.db;
    const before = await rewardsWrites(db);
    for (const [method, url] of [
      ['POST', '/api/rewards/checkin'],
      ['GET', '/api/rewards/badges'],
      ['GET', '/api/rewards/achievements'],
      ['GET', '/api/rewards/points'],
      ['POST', '/api/rewards/claim/streak_7'],
      ['POST', '/api/admin/rewards/backfill'],
      ['POST', '/api/admin/rewards/achievements'],
    ] as const) {
      expect((await inject(method, url)).statusCode, url).toBe(401);
    }
    expect((await inject('POST', '/api/rewards/checkin', unverified)).statusCode).toBe(403);
    expect((await inject('POST', '/api/rewards/claim/streak_7', unverified)).statusCode).toBe(403);
    expect((await inject('POST', '/api/admin/rewards/backfill', ada, {})).statusCode).toBe(403);
    const body = {
      code: 'admin_only',
      name: 'n',
      description: 'd',
      rule: { kind: 'count', type: 'cards.pack_opened', threshold: 1 },
      reward: { points: 1 },
      payout: 'auto',
    };
    expect((await inject('POST', '/api/admin/rewards/achievements', ada, body)).statusCode).toBe(403);
    expect(await rewardsWrites(db)).toEqual(before);
  });

  it('lets an admin add an achievement, awarding those who already qualify', async () => {
    const db = t.runtime.ctx.db;
    const body = {
      code: 'one_pack_bonus',
      name: 'Bonus',
      description: 'Open a pack.',
      rule: { kind: 'count', type: 'cards.pack_opened', threshold: 1 },
      reward: { points: 2 },
      payout: 'auto',
    };
    const before = await pointsOf(db, bob.id);
    const res = await inject('POST', '/api/admin/rewards/achievements', admin, body);
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json<{ backfill: { completed: number } }>().backfill.completed).toBeGreaterThanOrEqual(1);
    expect(await pointsOf(db, bob.id)).toBe(before + 2n);
    const audit = await inject('GET', '/api/admin/audit?action=admin.rewards.achievement_added', admin);
    expect(audit.json<{ items: { actorId: string; targetId: string }[] }>().items).toEqual([
      expect.objectContaining({ actorId: admin.id, targetId: 'one_pack_bonus' }),
    ]);
    const dup = await inject('POST', '/api/admin/rewards/achievements', admin, body);
    expect(dup.statusCode).toBe(409);
    const backfill = await inject('POST', '/api/admin/rewards/backfill', admin, { code: 'one_pack_bonus' });
    expect(backfill.statusCode).toBe(200);
    expect(backfill.json()).toMatchObject({ items: [{ code: 'one_pack_bonus', completed: 0 }] });
    expect(await pointsOf(db, bob.id)).toBe(before + 2n);
    await expectBooksBalanced(db);
  });
});
