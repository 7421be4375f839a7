import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import {
  auth,
  botCard,
  botOf,
  communityCounts,
  share,
  startCommunityApp,
  strategyOf,
} from '../../../test/support/community.ts';

/*
 * Reports and moderation, the authorization matrix of every community route, a live bot's delayed
 * trades and the write rate limit.
 */

let t: TestApp;
let admin: CreatedTestUser;
let moderator: CreatedTestUser;
let ada: CreatedTestUser;
let bob: CreatedTestUser;
let card: string;
let strategy: string;
let bot: string;

beforeAll(async () => {
  t = await startCommunityApp({ COMMUNITY_TRADE_DELAY_MINUTES: '60' });
  admin = await createTestUser(t, { role: 'admin' });
  moderator = await createTestUser(t, { role: 'moderator' });
  ada = await createTestUser(t);
  bob = await createTestUser(t);
  card = await botCard(t, admin, ada, 'MOD1');
  strategy = await strategyOf(t, ada);
  bot = await botOf(t, ada, strategy, card);
  expectStatus(await share(t, ada, strategy, { visibility: 'public', mode: 'open' }), 200);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const inject = (method: Method, url: string, user?: CreatedTestUser, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    ...(user ? { headers: auth(user) } : {}),
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
const ids = (res: { json: () => unknown }) => (res.json() as { items: { id: string }[] }).items.map((x) => x.id);

describe('moderation', () => {
  it('report → queue → hide → invisible to others → unhide → resolve', async () => {
    const posted = await inject('POST', `/api/community/bots/${bot}/comments`, bob, { body: 'buy my course' });
    const commentId = json<{ id: string }>(posted).id;
    const report = await inject('POST', '/api/community/reports', ada, {
      targetType: 'comment',
      targetId: commentId,
      reason: 'spam',
    });
    expectStatus(report, 201);
    const reportId = json<{ id: string }>(report).id;
    // Reporting again while open returns the same report.
    const again = await inject('POST', '/api/community/reports', ada, {
      targetType: 'comment',
      targetId: commentId,
      reason: 'still spam',
    });
    expectStatus(again, 200);
    expect(json(again).id).toBe(reportId);

    const queue = await inject('GET', '/api/community/moderation/reports', moderator);
    expectStatus(queue, 200);
    expect(json(queue)).toMatchObject({
      items: [{ id: reportId, targetType: 'comment', targetId: commentId, reason: 'spam', targetHidden: false }],
    });

    const hidden = await inject('POST', '/api/community/moderation/hidden', moderator, {
      targetType: 'comment',
      targetId: commentId,
      reason: 'spam',
    });
    expectStatus(hidden, 201);
    const seen = async (user?: CreatedTestUser) =>
      json<{ items: { id: string; body: string | null; state: string }[] }>(
        await inject('GET', `/api/community/bots/${bot}/comments`, user),
      ).items.find((c) => c.id === commentId);
    for (const who of [ada, undefined]) {
      const c = await seen(who);
      expect(c).toMatchObject({ state: 'removed', body: null });
      expect(JSON.stringify(c)).not.toContain('course');
    }
    expect(await seen(bob)).toMatchObject({ state: 'hidden', body: 'buy my course' });
    expect(await seen(moderator)).toMatchObject({ state: 'hidden', body: 'buy my course' });
    const flagged = await inject('GET', '/api/community/moderation/reports', moderator);
    expect(json(flagged)).toMatchObject({ items: [{ id: reportId, targetHidden: true }] });

    expectStatus(await inject('DELETE', `/api/community/moderation/hidden/comment/${commentId}`, moderator), 204);
    expect(await seen(ada)).toMatchObject({ state: 'visible', body: 'buy my course' });
    expectProblem(
      await inject('DELETE', `/api/community/moderation/hidden/comment/${commentId}`, moderator),
      404,
      'not_found',
    );

    const resolved = await inject('POST', `/api/community/moderation/reports/${reportId}/resolve`, admin, {
      outcome: 'resolved',
      note: 'warned the user',
    });
    expectStatus(resolved, 200);
    expect(json(resolved)).toMatchObject({ status: 'resolved', resolutionNote: 'warned the user' });
    expectProblem(
      await inject('POST', `/api/community/moderation/reports/${reportId}/resolve`, moderator, {
        outcome: 'dismissed',
      }),
      409,
      'report_closed',
    );
    expect(ids(await inject('GET', '/api/community/moderation/reports', moderator))).not.toContain(reportId);
    expect(ids(await inject('GET', '/api/community/moderation/reports?status=resolved', moderator))).toContain(
      reportId,
    );
  });

  it('hides a bot, and everything of a user, from everyone but them and moderators', async () => {
    const hide = await inject('POST', '/api/community/moderation/hidden', moderator, {
      targetType: 'bot',
      targetId: bot,
      reason: 'misleading',
    });
    expectStatus(hide, 201);
    expectProblem(await inject('GET', `/api/community/bots/${bot}`, bob), 404, 'not_found');
    expectProblem(await inject('PUT', `/api/community/bots/${bot}/like`, bob), 404, 'not_found');
    expect(ids(await inject('GET', '/api/community/bots', bob))).not.toContain(bot);
    expect(json(await inject('GET', `/api/community/bots/${bot}`, ada))).toMatchObject({ hidden: true });
    expect(json(await inject('GET', `/api/community/bots/${bot}`, moderator))).toMatchObject({ hidden: true });
    expect(ids(await inject('GET', '/api/community/bots', moderator))).toContain(bot);
    expectStatus(await inject('DELETE', `/api/community/moderation/hidden/bot/${bot}`, moderator), 204);
    expectStatus(await inject('GET', `/api/community/bots/${bot}`, bob), 200);

    expectStatus(
      await inject('POST', '/api/community/moderation/hidden', admin, {
        targetType: 'user',
        targetId: ada.id,
        reason: 'x',
      }),
      201,
    );
    expectProblem(await inject('GET', `/api/community/bots/${bot}`, bob), 404, 'not_found');
    expectProblem(await inject('GET', `/api/community/strategies/${strategy}`, bob), 404, 'not_found');
    expectStatus(await inject('GET', `/api/community/strategies/${strategy}`, ada), 200);
    expectStatus(await inject('DELETE', `/api/community/moderation/hidden/user/${ada.id}`, admin), 204);
    expectStatus(await inject('GET', `/api/community/bots/${bot}`, bob), 200);
  });

  it('refuses bad input naming the field, and reports of oneself or of what one cannot see, writing nothing', async () => {
    const before = await communityCounts(t);
    for (const [method, url, user, payload, status, field] of [
      [
        'POST',
        '/api/community/reports',
        bob,
        { targetType: 'planet', targetId: bot, reason: 'x' },
        400,
        'body.targetType',
      ],
      ['POST', '/api/community/reports', bob, { targetType: 'bot', targetId: 'x', reason: 'x' }, 400, 'body.targetId'],
      ['POST', '/api/community/reports', bob, { targetType: 'bot', targetId: bot, reason: '' }, 400, 'body.reason'],
      [
        'POST',
        '/api/community/reports',
        ada,
        { targetType: 'bot', targetId: bot, reason: 'mine' },
        422,
        'body.targetId',
      ],
      ['POST', '/api/community/moderation/hidden', moderator, { targetType: 'bot', targetId: bot }, 400, 'body.reason'],
      ['GET', '/api/community/moderation/reports?status=lost', moderator, undefined, 400, 'query.status'],
      [
        'POST',
        `/api/community/moderation/reports/${uuidv7()}/resolve`,
        moderator,
        { outcome: 'maybe' },
        400,
        'body.outcome',
      ],
    ] as const) {
      const res = await inject(method, url, user, payload);
      expect(res.statusCode, res.body).toBe(status);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field)).toContain(field);
    }
    expectProblem(
      await inject('POST', '/api/community/reports', bob, { targetType: 'user', targetId: uuidv7(), reason: 'x' }),
      404,
      'not_found',
    );
    expectProblem(
      await inject('POST', '/api/community/moderation/hidden', moderator, {
        targetType: 'comment',
        targetId: uuidv7(),
        reason: 'x',
      }),
      404,
      'not_found',
    );
    expectProblem(
      await inject('POST', `/api/community/moderation/reports/${uuidv7()}/resolve`, moderator, {
        outcome: 'dismissed',
      }),
      404,
      'not_found',
    );
    expect(await communityCounts(t)).toEqual(before);
  });
});

describe('bad input on the remaining routes', () => {
  it('is a 400 problem naming the field, and writes nothing', async () => {
    const before = await communityCounts(t);
    const cases: [Method, string, unknown, string, CreatedTestUser?][] = [
      ['GET', '/api/community/strategies/123', undefined, 'params.id'],
      ['GET', `/api/community/strategies/${strategy}?token=short`, undefined, 'query.token'],
      ['GET', `/api/community/strategies/${strategy}/versions?limit=500`, undefined, 'query.limit'],
      ['GET', `/api/community/strategies/${strategy}/versions?cursor=bad`, undefined, 'query.cursor'],
      ['GET', `/api/community/strategies/${strategy}/forks?cursor=bad`, undefined, 'query.cursor', ada],
      ['GET', '/api/community/bots/nope', undefined, 'params.id'],
      ['GET', `/api/community/bots/${bot}/comments?limit=-1`, undefined, 'query.limit'],
      ['PATCH', `/api/community/comments/${uuidv7()}`, { body: '' }, 'body.body'],
      ['PATCH', `/api/community/comments/${uuidv7()}`, { body: 'x', parentId: uuidv7() }, 'body.parentId'],
      ['DELETE', '/api/community/comments/zzz', undefined, 'params.id'],
      ['PUT', '/api/community/bots/zzz/like', undefined, 'params.id'],
      ['DELETE', '/api/community/bots/zzz/follow', undefined, 'params.id'],
      ['PUT', `/api/community/bots/${bot}/like?token=${'%00'.repeat(20)}`, undefined, 'query.token'],
      ['GET', '/api/community/feed?limit=0', undefined, 'query.limit'],
      ['GET', '/api/community/moderation/reports?cursor=bad', undefined, 'query.cursor'],
      ['DELETE', `/api/community/moderation/hidden/planet/${uuidv7()}`, undefined, 'params.targetType'],
      [
        'POST',
        '/api/community/moderation/hidden',
        { targetType: 'bot', targetId: bot, reason: 'x', extra: 1 },
        'body.extra',
      ],
    ];
    for (const [method, url, payload, field, user] of cases) {
      const res = await inject(method, url, user ?? moderator, payload);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field)).toContain(field);
    }
    expect(await communityCounts(t)).toEqual(before);
  });
});

describe('authorization matrix', () => {
  const id = () => bot;
  const routes: { method: Method; url: () => string; access: 'public' | 'user' | 'moderate'; payload?: unknown }[] = [
    { method: 'GET', url: () => `/api/community/strategies/${strategy}`, access: 'public' },
    { method: 'GET', url: () => `/api/community/strategies/${strategy}/versions`, access: 'public' },
    { method: 'GET', url: () => '/api/community/bots', access: 'public' },
    { method: 'GET', url: () => `/api/community/bots/${id()}`, access: 'public' },
    { method: 'GET', url: () => `/api/community/bots/${id()}/comments`, access: 'public' },
    { method: 'GET', url: () => `/api/community/strategies/${strategy}/sharing`, access: 'user' },
    {
      method: 'PUT',
      url: () => `/api/community/strategies/${strategy}/sharing`,
      access: 'user',
      payload: { visibility: 'public', mode: 'open' },
    },
    { method: 'POST', url: () => `/api/community/strategies/${strategy}/fork`, access: 'user', payload: {} },
    { method: 'GET', url: () => `/api/community/strategies/${strategy}/forks`, access: 'user' },
    { method: 'POST', url: () => `/api/community/bots/${id()}/comments`, access: 'user', payload: { body: 'hi' } },
    { method: 'PUT', url: () => `/api/community/bots/${id()}/like`, access: 'user' },
    { method: 'DELETE', url: () => `/api/community/bots/${id()}/like`, access: 'user' },
    { method: 'PUT', url: () => `/api/community/bots/${id()}/follow`, access: 'user' },
    { method: 'DELETE', url: () => `/api/community/bots/${id()}/follow`, access: 'user' },
    { method: 'PATCH', url: () => `/api/community/comments/${uuidv7()}`, access: 'user', payload: { body: 'x' } },
    { method: 'DELETE', url: () => `/api/community/comments/${uuidv7()}`, access: 'user' },
    { method: 'PUT', url: () => `/api/community/users/${ada.username}/follow`, access: 'user' },
    { method: 'DELETE', url: () => `/api/community/users/${ada.username}/follow`, access: 'user' },
    { method: 'GET', url: () => '/api/community/feed', access: 'user' },
    {
      method: 'POST',
      url: () => '/api/community/reports',
      access: 'user',
      get payload() {
        return { targetType: 'user', targetId: ada.id, reason: 'x' };
      },
    },
    { method: 'GET', url: () => '/api/community/moderation/reports', access: 'moderate' },
    {
      method: 'POST',
      url: () => `/api/community/moderation/reports/${uuidv7()}/resolve`,
      access: 'moderate',
      payload: { outcome: 'dismissed' },
    },
    {
      method: 'POST',
      url: () => '/api/community/moderation/hidden',
      access: 'moderate',
      payload: { targetType: 'user', targetId: uuidv7(), reason: 'x' },
    },
    { method: 'DELETE', url: () => `/api/community/moderation/hidden/user/${uuidv7()}`, access: 'moderate' },
  ];

  it('covers every community route in the API document', async () => {
    const doc = json<{ paths: Record<string, Record<string, unknown>> }>(await inject('GET', '/api/docs/json'));
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/community'))
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(documented).toHaveLength(routes.length);
  });

  it('answers 401 without a token on every signed-in route, and serves public ones anonymously', async () => {
    for (const r of routes) {
      const res = await inject(r.method, r.url(), undefined, r.payload);
      if (r.access === 'public') expectStatus(res, 200);
      else expectProblem(res, 401, 'unauthorized');
    }
  });

  it('answers 403 to users on moderation routes, and lets moderators and admins in', async () => {
    for (const r of routes.filter((x) => x.access === 'moderate')) {
      expectProblem(await inject(r.method, r.url(), bob, r.payload), 403, 'forbidden');
      for (const who of [moderator, admin]) {
        const res = await inject(r.method, r.url(), who, r.payload);
        expect([401, 403]).not.toContain(res.statusCode);
      }
    }
  });

  it("answers 404 to the wrong user on an owner's routes, writing nothing", async () => {
    const before = await communityCounts(t);
    expectProblem(await inject('GET', `/api/community/strategies/${strategy}/sharing`, bob), 404, 'not_found');
    expectProblem(
      await inject('PUT', `/api/community/strategies/${strategy}/sharing`, bob, {
        visibility: 'private',
        mode: 'open',
      }),
      404,
      'not_found',
    );
    expectProblem(await inject('GET', `/api/community/strategies/${strategy}/forks`, bob), 404, 'not_found');
    const adas = json<{ id: string }>(
      await inject('POST', `/api/community/bots/${bot}/comments`, ada, { body: 'mine' }),
    );
    const mid = await communityCounts(t);
    expectProblem(await inject('PATCH', `/api/community/comments/${adas.id}`, bob, { body: 'x' }), 404, 'not_found');
    expectProblem(await inject('DELETE', `/api/community/comments/${adas.id}`, moderator), 404, 'not_found');
    expect(await communityCounts(t)).toEqual(mid);
    expect(mid?.comments).toBe((before?.comments ?? 0) + 1);
  });
});

describe('a live bot’s page', () => {
  it('shows its trades only after the delay to others, at once to its owner', async () => {
    const liveBot = await botOf(t, ada, strategy, card, 'live');
    const db = t.runtime.ctx.db;
    const now = Date.now();
    for (const [minutesAgo, price] of [
      [120, 101],
      [10, 202],
    ] as const) {
      await db.execute(sql`
        INSERT INTO bot_fills (id, bot_id, order_id, variant_id, side, price, quantity, fee, at)
        VALUES (${uuidv7()}, ${liveBot}, ${uuidv7()}, ${card}, 'buy', ${price}, 1, 0, ${new Date(now - minutesAgo * 60_000)})`);
    }
    const other = json<{ recentTrades: { price: number }[]; tradesDelayedUntil: string | null }>(
      await inject('GET', `/api/community/bots/${liveBot}`, bob),
    );
    expect(other.recentTrades.map((x) => x.price)).toEqual([101]);
    expect(Date.parse(other.tradesDelayedUntil ?? '')).toBeLessThanOrEqual(now - 59 * 60_000);
    const owner = json<{ recentTrades: { price: number }[]; tradesDelayedUntil: string | null }>(
      await inject('GET', `/api/community/bots/${liveBot}`, ada),
    );
    expect(owner.recentTrades.map((x) => x.price)).toEqual([202, 101]);
    expect(owner.tradesDelayedUntil).toBeNull();
  });
});

describe('write rate limit', () => {
  it('answers 429 past the per-user budget of community writes', async () => {
    const limited = await startCommunityApp({ COMMUNITY_WRITE_RATE_LIMIT_MAX: '3' });
    try {
      const u = await createTestUser(limited);
      const v = await createTestUser(limited);
      const codes: number[] = [];
      for (let i = 0; i < 4; i += 1) {
        const res = await limited.app.inject({
          method: 'PUT',
          url: `/api/community/users/${v.username}/follow`,
          headers: auth(u),
        });
        codes.push(res.statusCode);
      }
      expect(codes).toEqual([200, 200, 200, 429]);
      // Reads are not counted against it.
      const read = await limited.app.inject({ method: 'GET', url: '/api/community/feed', headers: auth(u) });
      expectStatus(read, 200);
    } finally {
      await limited.close();
    }
  });
});
