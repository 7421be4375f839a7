import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { scanFeed } from './index.ts';
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
 * Comments, likes, follows and the feed: threads and their shape after deletes, the edit window,
 * plain text, idempotent likes and follows, blocks, notifications and paging.
 */

let t: TestApp;
let ada: CreatedTestUser;
let bob: CreatedTestUser;
let carol: CreatedTestUser;
let strategy: string;
let bot: string;

beforeAll(async () => {
  t = await startCommunityApp({ COMMUNITY_COMMENT_EDIT_MINUTES: '10' });
  const admin = await createTestUser(t, { role: 'admin' });
  ada = await createTestUser(t);
  bob = await createTestUser(t);
  carol = await createTestUser(t);
  const card = await botCard(t, admin, ada, 'SOC1');
  strategy = await strategyOf(t, ada);
  bot = await botOf(t, ada, strategy, card);
  expectStatus(await share(t, ada, strategy, { visibility: 'public', mode: 'open', description: 'Trend' }), 200);
}, 120_000);

afterAll(async () => {
  await t?.close();
});

const inject = (
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  user?: CreatedTestUser,
  payload?: unknown,
) =>
  t.app.inject({
    method,
    url,
    ...(user ? { headers: auth(user) } : {}),
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
const comment = (user: CreatedTestUser, body: string, parentId?: string) =>
  inject('POST', `/api/community/bots/${bot}/comments`, user, { body, ...(parentId ? { parentId } : {}) });

interface CommentOut {
  id: string;
  parentId: string | null;
  body: string | null;
  state: string;
  author: { username: string } | null;
}
const thread = async (user?: CreatedTestUser) =>
  json<{ items: CommentOut[] }>(await inject('GET', `/api/community/bots/${bot}/comments?limit=100`, user)).items;

describe('comments', () => {
  it('thread by parent, notify the parent author, and keep their shape when one is deleted', async () => {
    const root = await comment(bob, 'Does it trade weekends?');
    expectStatus(root, 201);
    const rootId = json<CommentOut>(root).id;
    const reply = await comment(ada, 'Yes, every hourly close.', rootId);
    expectStatus(reply, 201);
    expect(json(reply)).toMatchObject({ parentId: rootId, author: { username: ada.username } });
    await drainOutbox(t);
    const notes = await inject('GET', '/api/notifications', bob);
    expect(notes.body).toContain('community.comment_reply');

    expectStatus(await inject('DELETE', `/api/community/comments/${rootId}`, bob), 204);
    expectStatus(await inject('DELETE', `/api/community/comments/${rootId}`, bob), 204);
    const items = await thread(carol);
    expect(items.find((c) => c.id === rootId)).toMatchObject({ state: 'deleted', body: null, author: null });
    expect(items.find((c) => c.parentId === rootId)).toMatchObject({
      state: 'visible',
      body: 'Yes, every hourly close.',
    });
    // A deleted comment takes no new replies and cannot be edited.
    expectProblem(await comment(carol, 'late', rootId), 400, 'validation_failed');
    expectProblem(
      await inject('PATCH', `/api/community/comments/${rootId}`, bob, { body: 'x' }),
      409,
      'comment_deleted',
    );
  });

  it('are plain text: control characters are removed, markup is stored as text', async () => {
    const res = await comment(carol, 'Hi there\u0007 <b>bold</b>\r\nline two\u202E');
    expectStatus(res, 201);
    expect(json(res).body).toBe('Hi there <b>bold</b>\nline two');
    const before = await communityCounts(t);
    // A NUL character is refused for every route before the comment's own cleaning.
    const nul = await comment(carol, 'Hi\u0000 there');
    expectProblem(nul, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(nul).errors[0]?.field).toBe('body.body');
    const empty = await comment(carol, '\u0001\u0002  ');
    expectProblem(empty, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(empty).errors[0]?.field).toBe('body.body');
    for (const [payload, field] of [
      [{ body: 'x'.repeat(2001) }, 'body.body'],
      [{ body: 5 }, 'body.body'],
      [{ body: 'hi', parentId: 'nope' }, 'body.parentId'],
      [{ body: 'hi', html: '<i>' }, 'body.html'],
    ] as const) {
      const bad = await inject('POST', `/api/community/bots/${bot}/comments`, carol, payload);
      expectProblem(bad, 400, 'validation_failed');
      expect(json<{ errors: { field: string }[] }>(bad).errors.map((e) => e.field)).toContain(field);
    }
    const otherBotParent = await comment(carol, 'reply', '00000000-0000-7000-8000-000000000000');
    expectProblem(otherBotParent, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(otherBotParent).errors[0]?.field).toBe('body.parentId');
    expect(await communityCounts(t)).toEqual(before);
  });

  it('are edited by their author within the edit window only', async () => {
    const id = json<CommentOut>(await comment(carol, 'first take')).id;
    expectProblem(await inject('PATCH', `/api/community/comments/${id}`, bob, { body: 'hijack' }), 404, 'not_found');
    expectProblem(await inject('DELETE', `/api/community/comments/${id}`, bob), 404, 'not_found');
    const edited = await inject('PATCH', `/api/community/comments/${id}`, carol, { body: 'second take' });
    expectStatus(edited, 200);
    expect(json(edited)).toMatchObject({ body: 'second take', state: 'visible' });
    expect(json(edited).editedAt).not.toBeNull();
    await t.runtime.ctx.db.execute(
      sql`UPDATE community_comments SET created_at = now() - interval '11 minutes' WHERE id = ${id}`,
    );
    const late = await inject('PATCH', `/api/community/comments/${id}`, carol, { body: 'third take' });
    expectProblem(late, 409, 'edit_window_closed');
    expect((await thread()).find((c) => c.id === id)?.body).toBe('second take');
  });
});

describe('likes and follows', () => {
  it('are idempotent and counted', async () => {
    for (let i = 0; i < 2; i += 1) {
      const res = await inject('PUT', `/api/community/bots/${bot}/like`, bob);
      expectStatus(res, 200);
      expect(json(res)).toMatchObject({ liked: true, likes: 1 });
    }
    const off = await inject('DELETE', `/api/community/bots/${bot}/like`, bob);
    expect(json(off)).toMatchObject({ liked: false, likes: 0 });
    expect(json(await inject('DELETE', `/api/community/bots/${bot}/like`, bob))).toMatchObject({ likes: 0 });
    for (let i = 0; i < 2; i += 1) {
      const res = await inject('PUT', `/api/community/users/${ada.username}/follow`, carol);
      expect(json(res)).toMatchObject({ targetType: 'user', following: true, followers: 1 });
    }
    await drainOutbox(t);
    const notes = json<{ items: { type: string }[] }>(await inject('GET', '/api/notifications?limit=100', ada));
    expect(notes.items.filter((n) => n.type === 'community.new_follower')).toHaveLength(1);
    const page = json(await inject('GET', `/api/community/bots/${bot}`, carol));
    expect(page).toMatchObject({ likedByMe: false, followedByMe: false });
  });

  it('refuse following yourself or an unknown user', async () => {
    expectProblem(await inject('PUT', `/api/community/users/${ada.username}/follow`, ada), 422, 'self_action');
    expectProblem(await inject('PUT', '/api/community/users/nobody_here_123/follow', ada), 404, 'not_found');
    const bad = await inject('PUT', '/api/community/users/bad%20name!/follow', ada);
    expectProblem(bad, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(bad).errors[0]?.field).toBe('params.username');
  });
});

describe('blocked users', () => {
  it('cannot comment on the blocker’s bots, reply to the blocker, or follow them, with a clear 403', async () => {
    const mallory = await createTestUser(t);
    const carolsComment = json<CommentOut>(await comment(carol, 'Nice bot')).id;
    expectStatus(await inject('PUT', `/api/users/blocks/${mallory.username}`, ada), 204);
    expectStatus(await inject('PUT', `/api/users/blocks/${mallory.username}`, carol), 204);
    const before = await communityCounts(t);
    expectProblem(await comment(mallory, 'hello'), 403, 'blocked');
    expectProblem(await inject('PUT', `/api/community/users/${ada.username}/follow`, mallory), 403, 'blocked');
    expectProblem(await inject('PUT', `/api/community/bots/${bot}/follow`, mallory), 403, 'blocked');
    expect(await communityCounts(t)).toEqual(before);
    // Carol blocked mallory too: on someone else's bot, mallory still cannot reply to carol.
    const admin = await createTestUser(t, { role: 'admin' });
    const dan = await createTestUser(t);
    const card = await botCard(t, admin, dan, 'SOC2');
    const danStrategy = await strategyOf(t, dan);
    const danBot = await botOf(t, dan, danStrategy, card);
    await share(t, dan, danStrategy, { visibility: 'public', mode: 'protected' });
    const onDan = json<CommentOut>(
      await inject('POST', `/api/community/bots/${danBot}/comments`, carol, { body: 'carol here' }),
    ).id;
    const reply = await inject('POST', `/api/community/bots/${danBot}/comments`, mallory, {
      body: 'reply',
      parentId: onDan,
    });
    expectProblem(reply, 403, 'blocked');
    expectStatus(await inject('POST', `/api/community/bots/${danBot}/comments`, mallory, { body: 'top level' }), 201);
    expect(carolsComment).toBeTruthy();
  });
});

describe('feed', () => {
  it('shows followed authors’ and bots’ activity newest first, in pages', async () => {
    const erin = await createTestUser(t);
    expectStatus(await inject('PUT', `/api/community/bots/${bot}/follow`, erin), 200);
    for (let v = 0; v < 3; v += 1) {
      const edit = await inject('POST', `/api/strategies/${strategy}/versions`, ada, {
        document: (json(await inject('GET', `/api/strategies/${strategy}`, ada)) as { document: object }).document,
      });
      expectStatus(edit, 201);
    }
    // Each new version is announced by bots' event; the scan finds nothing left to announce.
    await drainOutbox(t);
    expect(await scanFeed(t.runtime.ctx.db)).toBe(0);
    const first = json<{ items: { kind: string; data: { version: number } }[]; nextCursor: string }>(
      await inject('GET', '/api/community/feed?limit=2', erin),
    );
    expect(first.items.map((i) => [i.kind, i.data.version])).toEqual([
      ['strategy_version', 4],
      ['strategy_version', 3],
    ]);
    const second = json<{ items: { kind: string; data: { version: number } }[]; nextCursor: string | null }>(
      await inject('GET', `/api/community/feed?limit=2&cursor=${first.nextCursor}`, erin),
    );
    // The followed bot's own activity (its sharing) comes with its strategy's versions.
    expect(second.items.map((i) => [i.kind, i.data.version])).toEqual([
      ['strategy_version', 2],
      ['bot_shared', undefined],
    ]);
    expect(second.nextCursor).toBeNull();
    // Ada's follower (carol) also sees her shared bot and versions; a stranger's feed is empty.
    const carols = json<{ items: { kind: string }[] }>(await inject('GET', '/api/community/feed?limit=100', carol));
    expect(carols.items.map((i) => i.kind)).toEqual(expect.arrayContaining(['bot_shared', 'strategy_version']));
    const stranger = await createTestUser(t);
    expect(json(await inject('GET', '/api/community/feed', stranger))).toEqual({ items: [], nextCursor: null });
    // Made private again, the strategy's activity leaves every feed.
    await share(t, ada, strategy, { visibility: 'private', mode: 'open' });
    expect(json(await inject('GET', '/api/community/feed', erin))).toEqual({ items: [], nextCursor: null });
    await share(t, ada, strategy, { visibility: 'public', mode: 'open' });
    expectProblem(await inject('GET', '/api/community/feed?cursor=zzz', erin), 400, 'validation_failed');
  });
});
