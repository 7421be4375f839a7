import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { countLiveRefreshTokens } from './session-repo.ts';
import { createUserForTest, TEST_PASSWORD, login, startIdentityApp } from '../../../test/support/identity.ts';
import { bearer, json } from '../../../test/helpers/http.ts';
import { expectProblem } from '../../../test/helpers/expect.ts';
import { mailedToken } from '../../../test/helpers/outbox.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startIdentityApp();
});
afterAll(() => t.close());

describe('sign-up to sign-out', () => {
  it('registers, verifies through the mailed link, signs in, reads /me and signs out', async () => {
    const email = 'Grace.Hopper@Example.com';
    const password = 'Nimbus-Ledger-Harbor-31';
    const reg = await t.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email, username: 'grace_h', password },
    });
    expect(reg.statusCode, reg.body).toBe(202);

    const first = await login(t.app, email, password);
    expect(first.statusCode, first.body).toBe(200);
    const session = json<{ accessToken: string; refreshToken: string; user: { emailVerified: boolean } }>(first);
    expect(session.user.emailVerified).toBe(false);

    const token = await mailedToken(t, 'grace.hopper@example.com', /Confirm your email/);
    const verified = await t.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } });
    expect(verified.statusCode, verified.body).toBe(200);
    const again = await t.app.inject({ method: 'POST', url: '/api/auth/verify-email', payload: { token } });
    expectProblem(again, 400, 'invalid_token');

    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(session.accessToken) });
    expect(me.statusCode, me.body).toBe(200);
    expect(json(me)).toMatchObject({
      username: 'grace_h',
      email: 'grace.hopper@example.com',
      emailVerified: true,
      role: 'user',
    });

    const out = await t.app.inject({ method: 'POST', url: '/api/auth/logout', headers: bearer(session.accessToken) });
    expect(out.statusCode).toBe(204);
    const after = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(session.accessToken) });
    expectProblem(after, 401, 'unauthorized');
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      payload: { refreshToken: session.refreshToken },
    });
    expectProblem(refreshed, 401, 'invalid_refresh_token');
  });

  it('refuses a wrong password and an unknown email alike', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const wrong = await login(t.app, u.email, 'Not-The-Password-123');
    const unknown = await login(t.app, 'nobody@example.com', TEST_PASSWORD);
    expectProblem(wrong, 401, 'invalid_credentials');
    expectProblem(unknown, 401, 'invalid_credentials');
    expect(json(wrong).detail).toBe(json(unknown).detail);
  });

  it('refuses weak and common passwords at registration, naming the field', async () => {
    for (const password of ['password123', 'qwertyuiop', 'aaaaaaaaaaaa']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/register',
        payload: { email: 'weak@example.com', username: 'weakling', password },
      });
      expectProblem(res, 400, 'weak_password');
      expect(json<{ errors: { field: string }[] }>(res).errors[0]?.field).toBe('body.password');
    }
  });
});

describe('sessions', () => {
  it('lists sessions, marks the current one, and revokes one by id', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const second = await login(t.app, u.email, u.password);
    const other = json<{ sessionId: string; accessToken: string }>(second);

    const list = await t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: u.headers });
    const items = json<{ items: { id: string; current: boolean }[] }>(list).items;
    expect(items.map((s) => s.id).sort()).toEqual([u.sessionId, other.sessionId].sort());
    expect(items.find((s) => s.current)?.id).toBe(u.sessionId);

    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${other.sessionId}`,
      headers: u.headers,
    });
    expect(del.statusCode).toBe(204);
    const dead = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(other.accessToken) });
    expectProblem(dead, 401, 'unauthorized');
    const alive = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers });
    expect(alive.statusCode).toBe(200);
  });

  it("answers 404 for another user's session and leaves it open", async () => {
    const owner = await createUserForTest(t.runtime.ctx);
    const stranger = await createUserForTest(t.runtime.ctx);
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/auth/sessions/${owner.sessionId}`,
      headers: stranger.headers,
    });
    expectProblem(res, 404, 'not_found');
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: owner.headers });
    expect(me.statusCode).toBe(200);
  });

  it('logout-all ends every session', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const second = json<{ accessToken: string }>(await login(t.app, u.email, u.password));
    const res = await t.app.inject({ method: 'POST', url: '/api/auth/logout-all', headers: u.headers });
    expect(res.statusCode).toBe(204);
    for (const token of [u.accessToken, second.accessToken]) {
      const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(token) });
      expect(me.statusCode).toBe(401);
    }
  });
});

describe('refresh tokens', () => {
  const refresh = (refreshToken: string) =>
    t.app.inject({ method: 'POST', url: '/api/auth/refresh', payload: { refreshToken } });

  it('rotates on every use; reusing a rotated token ends the whole session and is recorded', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const r1 = await refresh(u.refreshToken);
    expect(r1.statusCode, r1.body).toBe(200);
    const s1 = json<{ refreshToken: string; accessToken: string; sessionId: string }>(r1);
    expect(s1.refreshToken).not.toBe(u.refreshToken);
    expect(s1.sessionId).toBe(u.sessionId);
    const r2 = await refresh(s1.refreshToken);
    expect(r2.statusCode).toBe(200);
    const s2 = json<{ refreshToken: string; accessToken: string }>(r2);

    expectProblem(await refresh(u.refreshToken), 401, 'refresh_token_reused');
    // The family is gone: the newest refresh token and the access tokens stop working.
    expectProblem(await refresh(s2.refreshToken), 401, 'invalid_refresh_token');
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(s2.accessToken) });
    expect(me.statusCode).toBe(401);
    expect(await countLiveRefreshTokens(t.runtime.ctx.db, u.sessionId)).toBe(0);

    const admin = await createUserForTest(t.runtime.ctx, { role: 'admin' });
    const activity = await t.app.inject({
      method: 'GET',
      url: `/api/admin/users/${u.id}/activity`,
      headers: admin.headers,
    });
    const types = json<{ items: { type: string }[] }>(activity).items.map((a) => a.type);
    expect(types).toContain('refresh_token_reused');
  });

  it('concurrent refreshes with one token never leave two live tokens', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(u.refreshToken)));
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok.length).toBeLessThanOrEqual(1);
    for (const r of results.filter((x) => x.statusCode !== 200)) expect(r.statusCode).toBe(401);
    expect(await countLiveRefreshTokens(t.runtime.ctx.db, u.sessionId)).toBeLessThanOrEqual(1);
    // Whichever request won, the losers saw a used token: the session is closed for safety.
    const winner = ok[0] && json<{ refreshToken: string }>(ok[0]).refreshToken;
    if (winner && results.length > 1) expect((await refresh(winner)).statusCode).toBe(401);
  });

  it('rejects unknown tokens and requires a credential', async () => {
    expectProblem(await refresh('A'.repeat(43)), 401, 'invalid_refresh_token');
    const none = await t.app.inject({ method: 'POST', url: '/api/auth/refresh' });
    expectProblem(none, 401, 'refresh_token_required');
  });

  it('gives browsers an httpOnly __Host- cookie and checks the CSRF header on refresh and logout', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const res = await login(t.app, u.email, u.password, { client: 'browser' });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<{ refreshToken?: string; csrfToken: string }>(res);
    expect(body.refreshToken).toBeUndefined();
    const cookies = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
    const rt = cookies['__Host-ece_refresh'];
    const csrf = cookies['__Host-ece_csrf'];
    expect(rt).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    expect(rt?.domain).toBeUndefined();
    expect(csrf?.value).toBe(body.csrfToken);
    const jar = { '__Host-ece_refresh': rt?.value ?? '', '__Host-ece_csrf': csrf?.value ?? '' };

    const noHeader = await t.app.inject({ method: 'POST', url: '/api/auth/refresh', cookies: jar });
    expectProblem(noHeader, 403, 'csrf_failed');
    const wrongHeader = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      cookies: jar,
      headers: { 'x-csrf-token': 'forged' },
    });
    expectProblem(wrongHeader, 403, 'csrf_failed');

    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      cookies: jar,
      headers: { 'x-csrf-token': jar['__Host-ece_csrf'] },
      payload: {},
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const next = Object.fromEntries(ok.cookies.map((c) => [c.name, c.value]));
    expect(next['__Host-ece_refresh']).toBeTruthy();
    expect(next['__Host-ece_refresh']).not.toBe(jar['__Host-ece_refresh']);

    const jar2 = {
      '__Host-ece_refresh': next['__Host-ece_refresh'] ?? '',
      '__Host-ece_csrf': next['__Host-ece_csrf'] ?? '',
    };
    const forgedOut = await t.app.inject({ method: 'POST', url: '/api/auth/logout', cookies: jar2 });
    expectProblem(forgedOut, 403, 'csrf_failed');
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      cookies: jar2,
      headers: { 'x-csrf-token': jar2['__Host-ece_csrf'] },
    });
    expect(out.statusCode).toBe(204);
    expect(out.cookies.find((c) => c.name === '__Host-ece_refresh')?.value).toBe('');
    const afterOut = await t.app.inject({
      method: 'POST',
      url: '/api/auth/refresh',
      cookies: jar2,
      headers: { 'x-csrf-token': jar2['__Host-ece_csrf'] },
    });
    expect(afterOut.statusCode).toBe(401);
  });
});
