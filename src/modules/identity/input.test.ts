import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { createUserForTest, type TestUser, login, startIdentityApp } from '../../../test/support/identity.ts';
import { json } from '../../../test/helpers/http.ts';
import { mailCount } from '../../../test/helpers/outbox.ts';

let t: TestApp;
let user: TestUser;
beforeAll(async () => {
  t = await startIdentityApp();
  user = await createUserForTest(t.runtime.ctx, { username: 'steady_sam' });
});
afterAll(() => t.close());

async function counts() {
  const r = await t.runtime.ctx.db.execute<{ users: number; events: number; profile: string }>(sql`
    SELECT (SELECT count(*)::int FROM identity_users) AS users,
           (SELECT count(*)::int FROM platform_outbox_events) AS events,
           (SELECT row_to_json(u)::text FROM (SELECT username, display_name, bio, avatar_url, locale, timezone,
              notification_preferences FROM identity_users WHERE id = ${user.id}) u) AS profile`);
  return r.rows[0];
}

const good = { email: 'new.person@example.com', username: 'new_person', password: 'Saffron-Glacier-Otter-64' };
const long = (n: number) => 'x'.repeat(n);

type Case = [name: string, method: 'POST' | 'PUT' | 'DELETE', url: string, payload: unknown, field: string];
const cases: Case[] = [
  ['malformed email', 'POST', '/api/auth/register', { ...good, email: 'not-an-email' }, 'body.email'],
  ['email with spaces', 'POST', '/api/auth/register', { ...good, email: 'a b@example.com' }, 'body.email'],
  ['over-long email', 'POST', '/api/auth/register', { ...good, email: `${long(250)}@example.com` }, 'body.email'],
  ['over-long username', 'POST', '/api/auth/register', { ...good, username: long(25) }, 'body.username'],
  ['username with symbols', 'POST', '/api/auth/register', { ...good, username: 'no-dashes!' }, 'body.username'],
  ['over-long password', 'POST', '/api/auth/register', { ...good, password: `A-${long(127)}` }, 'body.password'],
  ['short password', 'POST', '/api/auth/register', { ...good, password: 'Ab1-' }, 'body.password'],
  ['unknown field', 'POST', '/api/auth/register', { ...good, role: 'admin' }, 'body.role'],
  ['wrong type', 'POST', '/api/auth/register', { ...good, username: 12345 }, 'body.username'],
  ['missing field', 'POST', '/api/auth/register', { email: good.email, password: good.password }, 'body.username'],
  ['login: wrong type', 'POST', '/api/auth/login', { email: 'a@example.com', password: 42 }, 'body.password'],
  [
    'login: unknown client',
    'POST',
    '/api/auth/login',
    { email: 'a@example.com', password: 'x', client: 'tv' },
    'body.client',
  ],
  ['forgot: malformed email', 'POST', '/api/auth/forgot-password', { email: 'nope' }, 'body.email'],
  ['verify: token of wrong shape', 'POST', '/api/auth/verify-email', { token: 'short' }, 'body.token'],
  ['profile: over-long bio', 'PUT', '/api/users/profile', { bio: long(501) }, 'body.bio'],
  ['profile: javascript avatar', 'PUT', '/api/users/profile', { avatarUrl: 'javascript:alert(1)' }, 'body.avatarUrl'],
  ['profile: ftp avatar', 'PUT', '/api/users/profile', { avatarUrl: 'ftp://example.com/a.png' }, 'body.avatarUrl'],
  ['profile: unknown field', 'PUT', '/api/users/profile', { role: 'admin' }, 'body.role'],
  [
    'profile: visibility not allowed',
    'PUT',
    '/api/users/profile',
    { collectionVisibility: 'friends' },
    'body.collectionVisibility',
  ],
  ['profile: display name wrong type', 'PUT', '/api/users/profile', { displayName: ['x'] }, 'body.displayName'],
  ['settings: unknown time zone', 'PUT', '/api/users/settings', { timezone: 'Mars/Olympus' }, 'body.timezone'],
  ['settings: bad locale', 'PUT', '/api/users/settings', { locale: 'en-US-x-' }, 'body.locale'],
  [
    'settings: preference of wrong shape',
    'PUT',
    '/api/users/settings',
    { notifications: { 'trade.offer': { inApp: 'yes', email: false } } },
    'body.notifications.trade.offer.inApp',
  ],
  [
    'change password: missing new one',
    'POST',
    '/api/auth/change-password',
    { currentPassword: 'x' },
    'body.newPassword',
  ],
  ['delete account: wrong type', 'DELETE', '/api/users/account', { password: true }, 'body.password'],
];

describe('bad input is a 400 naming the field, and writes nothing', () => {
  it.each(cases)('%s', async (_name, method, url, payload, field) => {
    const before = await counts();
    const res = await t.app.inject({ method, url, payload: payload as object, headers: user.headers });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const fields = json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field);
    expect(fields).toContain(field);
    expect(await counts()).toEqual(before);
  });

  it('a wrong query parameter is named too', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/users/activity?limit=1000', headers: user.headers });
    expect(res.statusCode).toBe(400);
    expect(json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field)).toContain('query.limit');
  });
});

describe('register, forgot-password and resend-verification do not reveal accounts', () => {
  it('register answers the same for a taken and a free email, and mails the owner instead', async () => {
    const owner = await createUserForTest(t.runtime.ctx, { verified: false });
    const mailsBefore = await mailCount(t, owner.email);
    const send = (email: string, username: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { email, username, password: 'Harbor-Quill-Juniper-72' },
      });
    const taken = await send(owner.email.toUpperCase(), 'fresh_one');
    const free = await send('someone.new@example.com', 'fresh_two');
    expect(taken.statusCode).toBe(202);
    expect(free.statusCode).toBe(taken.statusCode);
    expect(free.body).toBe(taken.body);
    expect(await mailCount(t, owner.email)).toBe(mailsBefore + 1);
    // The existing account keeps its password.
    expect((await login(t.app, owner.email, owner.password)).statusCode).toBe(200);
  });

  it('forgot-password answers the same for known and unknown emails', async () => {
    const known = await t.app.inject({
      method: 'POST',
      url: '/api/auth/forgot-password',
      payload: { email: user.email },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/auth/forgot-password',
      payload: { email: 'ghost@example.com' },
    });
    expect(known.statusCode).toBe(202);
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);
    expect(await mailCount(t, user.email)).toBeGreaterThan(0);
    expect(await mailCount(t, 'ghost@example.com')).toBe(0);
  });

  it('resend-verification answers the same for unverified, verified and unknown emails', async () => {
    const pending = await createUserForTest(t.runtime.ctx, { verified: false });
    const send = (email: string) =>
      t.app.inject({ method: 'POST', url: '/api/auth/resend-verification', payload: { email } });
    const answers = [await send(pending.email), await send(user.email), await send('nobody.here@example.com')];
    for (const a of answers) {
      expect(a.statusCode).toBe(202);
      expect(a.body).toBe(answers[0]?.body);
    }
    expect(await mailCount(t, pending.email)).toBe(1);
  });
});
