import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { REDIS_URL } from '../../../test/helpers/db.ts';
import type { ModuleDefinition } from '../../platform/module.ts';
import { notificationsModule } from '../notifications/index.ts';
import { runSeeds } from '../../platform/db/seed.ts';
import { assertOwnerOrAdmin, DEMO_ACCOUNTS, guard, identityModule, principalOf } from './index.ts';
import { createUserForTest, type TestUser, login, startIdentityApp } from '../../../test/support/identity.ts';
import { bearer, json } from '../../../test/helpers/http.ts';
import { expectProblem } from '../../../test/helpers/expect.ts';
import { mailedToken } from '../../../test/helpers/outbox.ts';

// A stand-in for another module's routes, to exercise the guards other modules use.
const probeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/probe/value',
    { ...guard('verified'), schema: { response: { 200: Type.Object({ ok: Type.Boolean() }) } } },
    async () => ({ ok: true }),
  );
  app.get(
    '/api/probe/things/:ownerId',
    {
      ...guard('user'),
      schema: {
        params: Type.Object({ ownerId: Type.String() }),
        response: { 200: Type.Object({ ok: Type.Boolean() }) },
      },
    },
    async (request) => {
      assertOwnerOrAdmin(principalOf(request), request.params.ownerId, 'The thing');
      return { ok: true };
    },
  );
};
const probe: ModuleDefinition = { name: 'probe', routes: probeRoutes };

let t: TestApp;
beforeAll(async () => {
  t = await startIdentityApp({ modules: [identityModule, notificationsModule, probe] });
});
afterAll(() => t.close());

const me = (u: { accessToken: string }) =>
  t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(u.accessToken) });

describe('guards for other modules', () => {
  it('requireVerified: 401 anonymous, 403 until the email is verified, then allowed at once', async () => {
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/probe/value' }), 401, 'unauthorized');
    const u = await createUserForTest(t.runtime.ctx, { verified: false });
    const call = () => t.app.inject({ method: 'POST', url: '/api/probe/value', headers: u.headers });
    expectProblem(await call(), 403, 'email_not_verified');
    await t.app.inject({ method: 'POST', url: '/api/auth/resend-verification', payload: { email: u.email } });
    const token = await mailedToken(t, u.email, /Confirm your email/);
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } })).statusCode).toBe(
      200,
    );
    expect((await call()).statusCode).toBe(200);
  });

  it('owner-or-admin: the owner and an admin pass, anyone else gets 404', async () => {
    const [owner, other, admin] = await Promise.all([
      createUserForTest(t.runtime.ctx),
      createUserForTest(t.runtime.ctx),
      createUserForTest(t.runtime.ctx, { role: 'admin' }),
    ]);
    const get = (u: TestUser) =>
      t.app.inject({ method: 'GET', url: `/api/probe/things/${owner.id}`, headers: u.headers });
    expect((await get(owner)).statusCode).toBe(200);
    expect((await get(admin)).statusCode).toBe(200);
    expectProblem(await get(other), 404, 'not_found');
  });
});

describe('password change', () => {
  it('needs the current password, ends the other sessions and keeps this one', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const other = json<{ accessToken: string }>(await login(t.app, u.email, u.password));
    const change = (currentPassword: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/change-password',
        headers: u.headers,
        payload: { currentPassword, newPassword: 'Tidal-Mosaic-Pelican-26' },
      });
    expectProblem(await change('Not-My-Password-1'), 403, 'wrong_password');
    expect((await change(u.password)).statusCode).toBe(200);
    expect((await me(u)).statusCode).toBe(200);
    expect((await me(other)).statusCode).toBe(401);
    expect((await login(t.app, u.email, 'Tidal-Mosaic-Pelican-26')).statusCode).toBe(200);
  });
});

describe('profile, settings and activity', () => {
  it('updates the profile; usernames are unique regardless of case; profiles are public', async () => {
    const [a, b] = await Promise.all([createUserForTest(t.runtime.ctx), createUserForTest(t.runtime.ctx)]);
    const put = (u: TestUser, payload: object) =>
      t.app.inject({ method: 'PUT', url: '/api/users/profile', headers: u.headers, payload });
    // The account's own view is cached; a profile change shows on it at once.
    const meOf = async (u: TestUser) =>
      json<{ username: string; bio: string | null }>(
        await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers }),
      );
    expect((await meOf(a)).bio).toBeNull();
    const ok = await put(a, {
      username: 'Card_Shark',
      displayName: 'Card Shark',
      bio: 'Holo hunter',
      avatarUrl: 'https://img.example.com/a.png',
      collectionVisibility: 'private',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expectProblem(await put(b, { username: 'card_SHARK' }), 409, 'username_taken');
    expectProblem(await put(b, { username: 'Admin' }), 409, 'username_taken');
    const pub = await t.app.inject({ method: 'GET', url: '/api/users/CARD_shark' });
    expect(pub.statusCode).toBe(200);
    expect(json(pub)).toMatchObject({
      username: 'Card_Shark',
      displayName: 'Card Shark',
      collectionVisibility: 'private',
    });
    expect(json(pub)).not.toHaveProperty('email');
    expect(await meOf(a)).toMatchObject({ username: 'Card_Shark', bio: 'Holo hunter' });
    expect((await put(a, { bio: null })).json()).toMatchObject({ bio: null });
    expect((await meOf(a)).bio).toBeNull();
  });

  it('stores settings and merges notification preferences per type', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const put = (payload: object) =>
      t.app.inject({ method: 'PUT', url: '/api/users/settings', headers: u.headers, payload });
    await put({
      locale: 'fr-FR',
      timezone: 'Europe/Paris',
      notifications: { 'trade.offer': { inApp: true, email: true } },
    });
    await put({ notifications: { 'market.fill': { inApp: false, email: true } } });
    const got = await t.app.inject({ method: 'GET', url: '/api/users/settings', headers: u.headers });
    expect(json(got)).toEqual({
      locale: 'fr-FR',
      timezone: 'Europe/Paris',
      notifications: { 'trade.offer': { inApp: true, email: true }, 'market.fill': { inApp: false, email: true } },
    });
  });

  it('records sign-ins, failures and revocations with address and agent in the activity', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    await login(t.app, u.email, 'Wrong-Password-42', { ip: '192.0.2.44' });
    await login(t.app, u.email, u.password, { ip: '192.0.2.45' });
    await t.app.inject({ method: 'POST', url: '/api/auth/logout-all', headers: u.headers });
    const fresh = json<{ accessToken: string }>(await login(t.app, u.email, u.password));
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/users/activity?limit=2',
      headers: bearer(fresh.accessToken),
    });
    const pageOne = json<{ items: { type: string }[]; nextCursor: string }>(res);
    expect(pageOne.items).toHaveLength(2);
    const rest = await t.app.inject({
      method: 'GET',
      url: `/api/users/activity?cursor=${pageOne.nextCursor}`,
      headers: bearer(fresh.accessToken),
    });
    const all = [...pageOne.items, ...json<{ items: { type: string; ip: string }[] }>(rest).items];
    expect(all.map((a) => a.type)).toEqual([
      'login_succeeded',
      'sessions_revoked_all',
      'login_succeeded',
      'login_failed',
    ]);
    expect(all.at(-1)).toMatchObject({ ip: '192.0.2.44' });
    const garbage = Buffer.from('{"not":"a cursor"}').toString('base64url');
    for (const cursor of ['not-a-cursor', garbage]) {
      const bad = await t.app.inject({
        method: 'GET',
        url: `/api/users/activity?cursor=${cursor}`,
        headers: bearer(fresh.accessToken),
      });
      expectProblem(bad, 400, 'validation_failed');
      expect(json<{ errors: { field: string }[] }>(bad).errors.map((e) => e.field)).toEqual(['query.cursor']);
    }
  });
});

describe('account deletion', () => {
  it('needs the password, ends sessions, anonymises the account and frees the email', async () => {
    const u = await createUserForTest(t.runtime.ctx, { username: 'leaving_lou' });
    const del = (password: string) =>
      t.app.inject({ method: 'DELETE', url: '/api/users/account', headers: u.headers, payload: { password } });
    expectProblem(await del('Not-The-Password-9'), 403, 'wrong_password');
    expect((await del(u.password)).statusCode).toBe(204);
    expect((await me(u)).statusCode).toBe(401);
    expect((await login(t.app, u.email, u.password)).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/users/leaving_lou' })).statusCode).toBe(404);

    const admin = await createUserForTest(t.runtime.ctx, { role: 'admin' });
    const found = await t.app.inject({ method: 'GET', url: '/api/admin/users?status=deleted', headers: admin.headers });
    const row = json<{ items: { id: string; email: string | null; username: string; displayName: string | null }[] }>(
      found,
    ).items.find((x) => x.id === u.id);
    expect(row).toMatchObject({ email: null, displayName: null });
    expect(row?.username).toMatch(/^deleted_/);

    const again = await t.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email: u.email, username: 'leaving_lou', password: 'Second-Chance-Gazebo-11' },
    });
    expect(again.statusCode).toBe(202);
    expect((await login(t.app, u.email, 'Second-Chance-Gazebo-11')).statusCode).toBe(200);
  });
});

describe('administration', () => {
  it('searches users by name and filters by role', async () => {
    const admin = await createUserForTest(t.runtime.ctx, { role: 'admin' });
    await createUserForTest(t.runtime.ctx, { username: 'needle_in_hay', role: 'moderator' });
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/admin/users?q=NEEDLE&role=moderator',
      headers: admin.headers,
    });
    expect(json<{ items: { username: string }[] }>(res).items.map((x) => x.username)).toEqual(['needle_in_hay']);
  });

  it('a role change applies on the next request; admins cannot change their own role', async () => {
    const admin = await createUserForTest(t.runtime.ctx, { role: 'admin' });
    const u = await createUserForTest(t.runtime.ctx);
    const list = () => t.app.inject({ method: 'GET', url: '/api/admin/users', headers: u.headers });
    expect((await list()).statusCode).toBe(403);
    const setRole = (who: TestUser, role: string) =>
      t.app.inject({
        method: 'PUT',
        url: `/api/admin/users/${who.id}/role`,
        headers: admin.headers,
        payload: { role },
      });
    expect((await setRole(u, 'moderator')).statusCode).toBe(200);
    expect((await list()).statusCode).toBe(200);
    expect((await setRole(u, 'user')).statusCode).toBe(200);
    expect((await list()).statusCode).toBe(403);
    expectProblem(await setRole(admin, 'user'), 409, 'cannot_change_own_role');
  });

  it('a ban ends the sessions at once and refuses sign-in; moderators cannot ban admins', async () => {
    const moderator = await createUserForTest(t.runtime.ctx, { role: 'moderator' });
    const admin = await createUserForTest(t.runtime.ctx, { role: 'admin' });
    const u = await createUserForTest(t.runtime.ctx);
    expect((await me(u)).statusCode).toBe(200);
    const ban = (actor: TestUser, target: TestUser) =>
      t.app.inject({
        method: 'POST',
        url: `/api/admin/users/${target.id}/ban`,
        headers: actor.headers,
        payload: { reason: 'Chargeback fraud' },
      });
    expectProblem(await ban(moderator, admin), 403, 'forbidden');
    const banned = await ban(moderator, u);
    expect(banned.statusCode, banned.body).toBe(200);
    expect(json(banned)).toMatchObject({ status: 'banned', banReason: 'Chargeback fraud' });
    expect((await me(u)).statusCode).toBe(401);
    expectProblem(await login(t.app, u.email, u.password), 403, 'account_banned');
    const unban = await t.app.inject({ method: 'POST', url: `/api/admin/users/${u.id}/unban`, headers: admin.headers });
    expect(unban.statusCode).toBe(200);
    expect((await login(t.app, u.email, u.password)).statusCode).toBe(200);
  });

  it.skipIf(!REDIS_URL)('a ban reaches another API process at once through the shared cache', async () => {
    const { createTestApp } = await import('../../../test/helpers/app.ts');
    const other = await createTestApp({
      database: t.database,
      modules: [identityModule, notificationsModule],
      env: { RUN_WORKERS: 'false' },
    });
    try {
      const admin = await createUserForTest(t.runtime.ctx, { role: 'admin' });
      const u = await createUserForTest(t.runtime.ctx);
      const onOther = () => other.app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers });
      expect((await onOther()).statusCode).toBe(200);
      await t.app.inject({
        method: 'POST',
        url: `/api/admin/users/${u.id}/ban`,
        headers: admin.headers,
        payload: { reason: 'Spam' },
      });
      expect((await onOther()).statusCode).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe('demo seed', () => {
  it('creates one verified account per role whose documented passwords sign in', async () => {
    await runSeeds(t.runtime.ctx.db, identityModule.seeds ?? [], { demo: true });
    const admin = DEMO_ACCOUNTS.find((a) => a.role === 'admin');
    if (!admin) throw new Error('no demo admin');
    const res = await login(t.app, admin.email, admin.password);
    expect(res.statusCode, res.body).toBe(200);
    const session = json<{ accessToken: string; user: { role: string; emailVerified: boolean } }>(res);
    expect(session.user).toMatchObject({ role: 'admin', emailVerified: true });
    const users = await t.app.inject({
      method: 'GET',
      url: '/api/admin/users?q=example.com&limit=100',
      headers: bearer(session.accessToken),
    });
    const names = json<{ items: { username: string; role: string }[] }>(users).items;
    for (const a of DEMO_ACCOUNTS)
      expect(names).toContainEqual(expect.objectContaining({ username: a.username, role: a.role }));
  });
});
