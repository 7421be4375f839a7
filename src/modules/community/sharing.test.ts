import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { grantCoins, total } from '../../../test/support/market.ts';
import { scanFeed } from './index.ts';
import {
  auth,
  botCard,
  botOf,
  communityCounts,
  expectNoCode,
  share,
  startCommunityApp,
  strategyOf,
} from '../../../test/support/community.ts';

/*
 * Sharing rules as users meet them: protected code is seen by its owner only, on every route;
 * private strategies and their bots do not exist for anyone else; unlisted ones open only by their
 * link; forks copy one version and nothing of value.
 */

let t: TestApp;
let admin: CreatedTestUser;
let moderator: CreatedTestUser;
let ada: CreatedTestUser;
let bob: CreatedTestUser;
let card: string;
const s = { protectedCode: '', open: '', private: '', unlisted: '' };
const b = { protectedCode: '', open: '', private: '', unlisted: '' };
let linkToken = '';

beforeAll(async () => {
  t = await startCommunityApp();
  admin = await createTestUser(t, { role: 'admin' });
  moderator = await createTestUser(t, { role: 'moderator' });
  ada = await createTestUser(t);
  bob = await createTestUser(t);
  card = await botCard(t, admin, ada, 'SHR1');
  s.protectedCode = await strategyOf(t, ada, 'code');
  s.open = await strategyOf(t, ada);
  s.private = await strategyOf(t, ada);
  s.unlisted = await strategyOf(t, ada);
  for (const key of Object.keys(s) as (keyof typeof s)[]) b[key] = await botOf(t, ada, s[key], card);
  expectStatus(
    await share(t, ada, s.protectedCode, { visibility: 'public', mode: 'protected', description: 'Code edge' }),
    200,
  );
  expectStatus(await share(t, ada, s.open, { visibility: 'public', mode: 'open', description: 'Open trend' }), 200);
  const unlisted = await share(t, ada, s.unlisted, { visibility: 'unlisted', mode: 'open' });
  expectStatus(unlisted, 200);
  linkToken = json<{ linkToken: string }>(unlisted).linkToken;
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const get = (url: string, user?: CreatedTestUser) =>
  t.app.inject({ method: 'GET', url, ...(user ? { headers: auth(user) } : {}) });

describe('sharing settings', () => {
  it('are private by default and read back by the owner only', async () => {
    const own = await get(`/api/community/strategies/${s.private}/sharing`, ada);
    expectStatus(own, 200);
    expect(json(own)).toMatchObject({ visibility: 'private', mode: 'protected', linkToken: null });
    const set = await get(`/api/community/strategies/${s.unlisted}/sharing`, ada);
    expect(json(set)).toMatchObject({ visibility: 'unlisted', mode: 'open', linkToken });
    expectProblem(await get(`/api/community/strategies/${s.unlisted}/sharing`, bob), 404, 'not_found');
    expectProblem(await get(`/api/community/strategies/${s.unlisted}/sharing`, moderator), 404, 'not_found');
  });

  it('refuses bad input naming the field, writing nothing', async () => {
    const before = await communityCounts(t);
    const cases: [Record<string, unknown>, string][] = [
      [{ visibility: 'secret', mode: 'open' }, 'body.visibility'],
      [{ visibility: 'public' }, 'body.mode'],
      [{ visibility: 'public', mode: 'open', colour: 'red' }, 'body.colour'],
      [{ visibility: 'public', mode: 'open', description: 'x'.repeat(2001) }, 'body.description'],
    ];
    for (const [body, field] of cases) {
      const res = await share(t, ada, s.private, body);
      expectProblem(res, 400, 'validation_failed');
      expect(json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field)).toContain(field);
    }
    const badId = await t.app.inject({
      method: 'PUT',
      url: '/api/community/strategies/not-a-uuid/sharing',
      headers: auth(ada),
      payload: { visibility: 'public', mode: 'open' },
    });
    expectProblem(badId, 400, 'validation_failed');
    expect(await communityCounts(t)).toEqual(before);
  });

  it("refuses another user's strategy as not found, writing nothing", async () => {
    const before = await communityCounts(t);
    expectProblem(await share(t, bob, s.private, { visibility: 'public', mode: 'open' }), 404, 'not_found');
    expect(await communityCounts(t)).toEqual(before);
  });
});

describe('protected code', () => {
  it('is never shown to anyone but the owner: detail, versions, bot page, list', async () => {
    for (const who of [bob, moderator, admin, undefined]) {
      const detail = await get(`/api/community/strategies/${s.protectedCode}`, who);
      expectStatus(detail, 200);
      expect(json(detail)).toMatchObject({ mode: 'protected', visibility: 'public', description: 'Code edge' });
      expectNoCode(detail);
      const versions = await get(`/api/community/strategies/${s.protectedCode}/versions`, who);
      expectStatus(versions, 200);
      expect(json(versions)).toMatchObject({ codeVisible: false, items: [{ version: 1 }] });
      expectNoCode(versions);
      const page = await get(`/api/community/bots/${b.protectedCode}`, who);
      expectStatus(page, 200);
      expect(json(page)).toMatchObject({ code: null, mode: 'protected' });
      expectNoCode(page);
      const list = await get('/api/community/bots?limit=100', who);
      expectStatus(list, 200);
      expectNoCode(list);
    }
    const own = await get(`/api/community/strategies/${s.protectedCode}`, ada);
    expect(json(own).source).toContain('secret-edge-42');
    const ownVersions = await get(`/api/community/strategies/${s.protectedCode}/versions`, ada);
    expect(json<{ items: { source: string }[] }>(ownVersions).items[0]?.source).toContain('secret-edge-42');
    const ownPage = await get(`/api/community/bots/${b.protectedCode}`, ada);
    expect(json<{ code: { source: string } }>(ownPage).code.source).toContain('secret-edge-42');
  });

  it('cannot be forked, and the refusal writes nothing', async () => {
    const before = await communityCounts(t);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/community/strategies/${s.protectedCode}/fork`,
      headers: auth(bob),
      payload: {},
    });
    expectProblem(res, 403, 'fork_not_allowed');
    expectNoCode(res);
    expect(await communityCounts(t)).toEqual(before);
  });

  it('never reaches the feed, which carries names and numbers only', async () => {
    await t.app.inject({ method: 'PUT', url: `/api/community/users/${ada.username}/follow`, headers: auth(bob) });
    await t.app.inject({ method: 'PUT', url: `/api/community/bots/${b.protectedCode}/follow`, headers: auth(bob) });
    const added = await t.app.inject({
      method: 'POST',
      url: `/api/strategies/${s.protectedCode}/versions`,
      headers: auth(ada),
      payload: { source: 'function decide(input) { /* secret-edge-42 v2 */ return { intents: [] }; }' },
    });
    expectStatus(added, 201);
    await scanFeed(t.runtime.ctx.db);
    const feed = await get('/api/community/feed', bob);
    expectStatus(feed, 200);
    const kinds = json<{ items: { kind: string; strategyId: string }[] }>(feed).items;
    expect(kinds).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'strategy_version', strategyId: s.protectedCode }),
        expect.objectContaining({ kind: 'bot_shared', strategyId: s.protectedCode }),
      ]),
    );
    expectNoCode(feed);
    // The bot's follower is told about the new version, without code either.
    await drainOutbox(t);
    const notes = await get('/api/notifications', bob);
    expect(notes.body).toContain('community.strategy_version');
    expect(notes.body).not.toContain('secret-edge-42');
  });
});

describe('private and unlisted', () => {
  it('private strategies and their bots are not found by others on every route', async () => {
    for (const who of [bob, moderator, undefined]) {
      expectProblem(await get(`/api/community/strategies/${s.private}`, who), 404, 'not_found');
      expectProblem(await get(`/api/community/strategies/${s.private}/versions`, who), 404, 'not_found');
      expectProblem(await get(`/api/community/bots/${b.private}`, who), 404, 'not_found');
      expectProblem(await get(`/api/community/bots/${b.private}/comments`, who), 404, 'not_found');
      const list = json<{ items: { id: string }[] }>(await get('/api/community/bots?limit=100', who));
      expect(list.items.map((x) => x.id)).not.toContain(b.private);
    }
    const before = await communityCounts(t);
    for (const [method, url, payload] of [
      ['POST', `/api/community/strategies/${s.private}/fork`, {}],
      ['POST', `/api/community/bots/${b.private}/comments`, { body: 'hello' }],
      ['PUT', `/api/community/bots/${b.private}/like`, undefined],
      ['PUT', `/api/community/bots/${b.private}/follow`, undefined],
      ['POST', '/api/community/reports', { targetType: 'bot', targetId: b.private, reason: 'spam' }],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: auth(bob), ...(payload ? { payload } : {}) });
      expectProblem(res, 404, 'not_found');
    }
    expect(await communityCounts(t)).toEqual(before);
    // The owner still sees their own bot's page.
    expect(json(await get(`/api/community/bots/${b.private}`, ada))).toMatchObject({ visibility: 'private' });
  });

  it('unlisted ones open only with their link token, and are not listed', async () => {
    expectProblem(await get(`/api/community/strategies/${s.unlisted}`, bob), 404, 'not_found');
    expectProblem(await get(`/api/community/bots/${b.unlisted}`, bob), 404, 'not_found');
    const wrong = 'A'.repeat(linkToken.length);
    expectProblem(await get(`/api/community/bots/${b.unlisted}?token=${wrong}`, bob), 404, 'not_found');
    expectStatus(await get(`/api/community/strategies/${s.unlisted}?token=${linkToken}`, bob), 200);
    expectStatus(await get(`/api/community/bots/${b.unlisted}?token=${linkToken}`), 200);
    const list = json<{ items: { id: string }[] }>(await get('/api/community/bots?limit=100', bob));
    expect(list.items.map((x) => x.id)).not.toContain(b.unlisted);
    // A new link retires the old one.
    const rotated = await share(t, ada, s.unlisted, { visibility: 'unlisted', mode: 'open', rotateLink: true });
    const fresh = json<{ linkToken: string }>(rotated).linkToken;
    expect(fresh).not.toBe(linkToken);
    expectProblem(await get(`/api/community/bots/${b.unlisted}?token=${linkToken}`, bob), 404, 'not_found');
    expectStatus(await get(`/api/community/bots/${b.unlisted}?token=${fresh}`, bob), 200);
    linkToken = fresh;
  });
});

describe('forks', () => {
  it('copy one version into a new private strategy with lineage, and nothing of value', async () => {
    await grantCoins(t.runtime.ctx.db, ada.id, 50_000n);
    await grantCoins(t.runtime.ctx.db, bob.id, 20_000n);
    const db = t.runtime.ctx.db;
    const botsOf = async (id: string) =>
      (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM bots WHERE owner_id = ${id}`)).rows[0]?.n;
    const before = {
      ada: await total(db, ada.id),
      bob: await total(db, bob.id),
      adaBots: await botsOf(ada.id),
      bobBots: await botsOf(bob.id),
      transfers: (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ledger_transfers`)).rows[0]?.n,
    };
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/community/strategies/${s.open}/fork`,
      headers: auth(bob),
      payload: { name: 'My trend' },
    });
    expectStatus(res, 201);
    const forked = json<{ fork: { id: string; sourceVersion: number }; strategy: { id: string; document: unknown } }>(
      res,
    );
    expect(forked.fork.sourceVersion).toBe(1);
    expect(forked.strategy.document).toBeTruthy();
    expect({
      ada: await total(db, ada.id),
      bob: await total(db, bob.id),
      adaBots: await botsOf(ada.id),
      bobBots: await botsOf(bob.id),
      transfers: (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM ledger_transfers`)).rows[0]?.n,
    }).toEqual(before);
    // The copy is bob's own private strategy, with its lineage.
    const mine = await get(`/api/strategies/${forked.strategy.id}`, bob);
    expect(json(mine)).toMatchObject({ ownerId: bob.id, name: 'My trend', latestVersion: 1 });
    expectProblem(await get(`/api/community/strategies/${forked.strategy.id}`, ada), 404, 'not_found');
    const lineage = await get(`/api/community/strategies/${forked.strategy.id}`, bob);
    expect(json(lineage)).toMatchObject({
      visibility: 'private',
      forkedFrom: { strategyId: s.open, version: 1, author: { username: ada.username } },
    });
    // The author sees who forked it; nobody else does.
    const forks = await get(`/api/community/strategies/${s.open}/forks`, ada);
    expectStatus(forks, 200);
    expect(json(forks)).toMatchObject({
      items: [{ forkedStrategyId: forked.strategy.id, forkedBy: { username: bob.username }, sourceVersion: 1 }],
    });
    expectProblem(await get(`/api/community/strategies/${s.open}/forks`, bob), 404, 'not_found');
  });

  it('refuse a version that does not exist, naming it, writing nothing', async () => {
    const before = await communityCounts(t);
    for (const [payload, field] of [
      [{ version: 99 }, 'body.version'],
      [{ version: 0 }, 'body.version'],
      [{ name: '' }, 'body.name'],
      [{ copyBots: true }, 'body.copyBots'],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/community/strategies/${s.open}/fork`,
        headers: auth(bob),
        payload,
      });
      expectProblem(res, 400, 'validation_failed');
      expect(json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field)).toContain(field);
    }
    const token = await t.app.inject({
      method: 'POST',
      url: `/api/community/strategies/${s.open}/fork?token=<script>`,
      headers: auth(bob),
      payload: {},
    });
    expectProblem(token, 400, 'validation_failed');
    expect(await communityCounts(t)).toEqual(before);
  });
});

describe('shared bot list', () => {
  it('searches by name, description and author, and pages newest first', async () => {
    const byDescription = json<{ items: { id: string }[] }>(await get('/api/community/bots?q=open%20trend'));
    expect(byDescription.items.map((x) => x.id)).toEqual([b.open]);
    const byAuthor = json<{ items: { id: string }[] }>(await get(`/api/community/bots?q=${ada.username}`));
    expect(byAuthor.items.map((x) => x.id).sort()).toEqual([b.open, b.protectedCode].sort());
    const first = json<{ items: { id: string }[]; nextCursor: string }>(await get('/api/community/bots?limit=1'));
    expect(first.items.map((x) => x.id)).toEqual([b.open]);
    const second = json<{ items: { id: string }[]; nextCursor: string | null }>(
      await get(`/api/community/bots?limit=1&cursor=${first.nextCursor}`),
    );
    expect(second.items.map((x) => x.id)).toEqual([b.protectedCode]);
    expect(second.nextCursor).toBeNull();
  });

  it('sorts by likes and by board return, deterministically and in pages', async () => {
    await t.app.inject({ method: 'PUT', url: `/api/community/bots/${b.protectedCode}/like`, headers: auth(bob) });
    const likes = json<{ items: { id: string; likes: number }[] }>(await get('/api/community/bots?sort=likes'));
    expect(likes.items.map((x) => [x.id, x.likes])).toEqual([
      [b.protectedCode, 1],
      [b.open, 0],
    ]);
    // The leaderboard's stored standings: the open bot ahead on return.
    const db = t.runtime.ctx.db;
    for (const [id, ret, rank] of [
      [b.open, 0.3, 1],
      [b.protectedCode, 0.1, 2],
    ] as const) {
      await db.execute(sql`
        INSERT INTO leaderboard_entries (board, period, subject_id, owner_id, name, variant_ids, set_ids, qualified,
          total_return, sharpe, trades, rank_return, rank_sharpe, computed_at)
        VALUES ('paper', '30d', ${id}, ${ada.id}, 'bot', '{}', '{}', true, ${ret}, ${ret * 10}, 12, ${rank}, ${rank}, now())`);
    }
    const first = json<{ items: { id: string; standing: { totalReturn: number } }[]; nextCursor: string }>(
      await get('/api/community/bots?sort=return&period=30d&limit=1'),
    );
    expect(first.items.map((x) => [x.id, x.standing.totalReturn])).toEqual([[b.open, 0.3]]);
    const second = json<{ items: { id: string }[]; nextCursor: string | null }>(
      await get(`/api/community/bots?sort=return&period=30d&limit=1&cursor=${first.nextCursor}`),
    );
    expect(second.items.map((x) => x.id)).toEqual([b.protectedCode]);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses bad sorts, periods, limits and cursors naming the field', async () => {
    for (const [query, field] of [
      ['sort=best', 'query.sort'],
      ['period=1y', 'query.period'],
      ['limit=0', 'query.limit'],
      ['cursor=garbage', 'query.cursor'],
      ['colour=red', 'query.colour'],
    ] as const) {
      const res = await get(`/api/community/bots?${query}`);
      expectProblem(res, 400, 'validation_failed');
      expect(json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field)).toContain(field);
    }
  });
});
