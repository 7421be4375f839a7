import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  createTestUser,
  expectStatus,
  startSocialApp,
  type CreatedTestUser,
  type TestApp,
} from '../../../test/support/social.ts';

let t: TestApp;
let me: CreatedTestUser;
let other: CreatedTestUser;
let mod: CreatedTestUser;

beforeAll(async () => {
  t = await startSocialApp();
  [me, other, mod] = await Promise.all([
    createTestUser(t),
    createTestUser(t),
    createTestUser(t, { role: 'moderator' }),
  ]);
});
afterAll(() => t.close());

const UUID = '0190a3c6-1111-7222-8333-444455556666';

/** Rows every social write could leave behind; none may change after bad input. */
async function footprint(): Promise<string> {
  const r = await t.runtime.ctx.db.execute<Record<string, number | string | null>>(sql`
    SELECT (SELECT count(*)::int FROM social_messages) AS messages,
           (SELECT count(*)::int FROM social_message_reports) AS reports,
           (SELECT count(*)::int FROM social_profiles) AS profiles,
           (SELECT count(*)::int FROM social_matches) AS matches,
           (SELECT count(*)::int FROM community_follows) AS follows,
           (SELECT string_agg(coalesce(bio, '') || collection_visibility, ',' ORDER BY id) FROM identity_users) AS users`);
  return JSON.stringify(r.rows[0]);
}

type Case = [label: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body: unknown, field: string];

const cases = (): Case[] => [
  ['profiles: limit', 'GET', '/api/social/profiles?limit=0', undefined, 'query.limit'],
  ['profiles: set id', 'GET', '/api/social/profiles?setId=nope', undefined, 'query.setId'],
  ['profiles: prefix', 'GET', '/api/social/profiles?q=a%20b', undefined, 'query.q'],
  ['profiles: cursor', 'GET', '/api/social/profiles?cursor=garbage', undefined, 'query.cursor'],
  ['profile: username', 'GET', '/api/social/profiles/a%20b', undefined, 'params.username'],
  ['profile: empty body', 'PUT', '/api/social/profile', {}, 'body'],
  ['profile: bio type', 'PUT', '/api/social/profile', { bio: 5 }, 'body.bio'],
  ['profile: bio length', 'PUT', '/api/social/profile', { bio: 'x'.repeat(501) }, 'body.bio'],
  ['profile: showcase id', 'PUT', '/api/social/profile', { bio: 'kept?', showcase: ['x'] }, 'body.showcase'],
  [
    'profile: showcase repeats',
    'PUT',
    '/api/social/profile',
    { bio: 'kept?', showcase: [UUID, UUID] },
    'body.showcase',
  ],
  ['profile: showcase size', 'PUT', '/api/social/profile', { showcase: Array(13).fill(UUID) }, 'body.showcase'],
  ['profile: visibility', 'PUT', '/api/social/profile', { visibility: 'friends' }, 'body.visibility'],
  ['profile: unknown field', 'PUT', '/api/social/profile', { bio: 'x', colour: 'red' }, 'body'],
  ['match: card id', 'POST', '/api/social/match', { cardIds: ['x'] }, 'body.cardIds'],
  ['match: set ids type', 'POST', '/api/social/match', { setIds: 'all' }, 'body.setIds'],
  ['matches: limit', 'GET', '/api/social/matches?limit=1000', undefined, 'query.limit'],
  ['matches: cursor', 'GET', '/api/social/matches?cursor=WzEsMiwzXQ', undefined, 'query.cursor'],
  ['message: recipient', 'POST', '/api/social/message', { to: '', body: 'hi' }, 'body.to'],
  ['message: empty', 'POST', '/api/social/message', { to: other.username, body: '' }, 'body.body'],
  ['message: control only', 'POST', '/api/social/message', { to: other.username, body: '\u0007\u202e' }, 'body.body'],
  ['message: too long', 'POST', '/api/social/message', { to: other.username, body: 'x'.repeat(2001) }, 'body.body'],
  ['message: yourself', 'POST', '/api/social/message', { to: me.username, body: 'hi' }, 'body.to'],
  ['message: missing body', 'POST', '/api/social/message', { to: other.username }, 'body.body'],
  ['messages: with', 'GET', '/api/social/messages?with=a%20b', undefined, 'query.with'],
  ['messages: cursor', 'GET', '/api/social/messages?cursor=nope', undefined, 'query.cursor'],
  ['read: with type', 'POST', '/api/social/messages/read', { with: 5 }, 'body.with'],
  ['read: up to', 'POST', '/api/social/messages/read', { with: other.username, upTo: 'x' }, 'body.upTo'],
  ['report: id', 'POST', '/api/social/messages/nope/report', { reason: 'spam' }, 'params.id'],
  ['report: reason', 'POST', `/api/social/messages/${UUID}/report`, { reason: '' }, 'body.reason'],
  ['follow: username', 'POST', '/api/social/follow', {}, 'body.username'],
  ['follow: yourself', 'POST', '/api/social/follow', { username: me.username }, 'body.username'],
  ['unfollow: username', 'DELETE', '/api/social/follow/a%20b', undefined, 'params.username'],
  ['followers: limit', 'GET', '/api/social/followers?limit=abc', undefined, 'query.limit'],
  ['following: cursor', 'GET', '/api/social/following?cursor=bad', undefined, 'query.cursor'],
];

const moderatorCases = (): Case[] => [
  ['reports: status', 'GET', '/api/social/messages/reports?status=maybe', undefined, 'query.status'],
  ['resolve: outcome', 'POST', `/api/social/messages/reports/${UUID}/resolve`, { outcome: 'maybe' }, 'body.outcome'],
  ['resolve: id', 'POST', '/api/social/messages/reports/nope/resolve', { outcome: 'upheld' }, 'params.id'],
];

function fieldsOf(body: string): string[] {
  const parsed = JSON.parse(body) as { errors?: { field: string }[]; field?: string };
  return [...(parsed.errors ?? []).map((e) => e.field), ...(parsed.field ? [parsed.field] : [])];
}

describe('bad input on every social route', () => {
  it('answers 4xx naming the field and writes nothing', async () => {
    const before = await footprint();
    const wrong: string[] = [];
    for (const [who, list] of [
      [me, cases()],
      [mod, moderatorCases()],
    ] as const) {
      for (const [label, method, url, body] of list) {
        const field = list.find((c) => c[0] === label)?.[4] ?? '';
        const res = await t.app.inject({
          method,
          url,
          headers: auth(who),
          ...(body === undefined ? {} : { payload: body as object }),
        });
        const fields = res.statusCode >= 400 && res.statusCode < 500 ? fieldsOf(res.body) : [];
        if (!fields.some((f) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}/`))) {
          wrong.push(`${label}: ${res.statusCode} ${res.body}`);
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(await footprint()).toBe(before);
  });

  it('a well-formed request still works afterwards', async () => {
    expectStatus(
      await t.app.inject({
        method: 'POST',
        url: '/api/social/message',
        headers: auth(me),
        payload: { to: other.username, body: 'hello' },
      }),
      201,
    );
  });
});
