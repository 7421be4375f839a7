import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { bearer, json } from '../../../test/helpers/http.ts';
import { drainOutbox, mailedToken } from '../../../test/helpers/outbox.ts';
import { listStoredMail } from '../../platform/mail/index.ts';
import { createUserForTest, login, startIdentityApp } from '../../../test/support/identity.ts';

/*
 * The pages mailed links open: the link in the mail leads to a page of this server; opening it
 * (as a mail scanner would) spends nothing; the page's form does, once.
 */

let t: TestApp;
let web: TestApp;

beforeAll(async () => {
  t = await startIdentityApp();
  web = await startIdentityApp({ env: { PUBLIC_WEB_URL: 'https://app.cards.example/' } });
});
afterAll(async () => {
  await t?.close();
  await web?.close();
});

const form = (url: string, body: Record<string, string>) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(body).toString(),
  });

describe('mailed link pages', () => {
  it('confirms an email from the page the link opens; the GET spends nothing and the token works once', async () => {
    const u = await createUserForTest(t.runtime.ctx, { verified: false });
    await t.app.inject({ method: 'POST', url: '/api/auth/resend-verification', payload: { email: u.email } });
    await drainOutbox(t);
    const [mail] = await listStoredMail(t.runtime.ctx.db, u.email);
    const link = /(http\S+\/verify-email\?token=[A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
    if (!link) throw new Error('the mail carries a link');
    const url = new URL(link);

    for (let i = 0; i < 2; i++) {
      const shown = await t.app.inject({ url: `${url.pathname}${url.search}` });
      expect(shown.statusCode).toBe(200);
      expect(shown.headers['content-type']).toContain('text/html');
      expect(shown.headers['cache-control']).toBe('no-store');
      expect(shown.body).toContain('<form method="post" action="verify-email">');
      expect(shown.body).toContain(`value="${url.searchParams.get('token')}"`);
    }
    const before = json<{ emailVerified: boolean }>(
      await t.app.inject({ url: '/api/auth/me', headers: bearer(u.accessToken) }),
    );
    expect(before.emailVerified).toBe(false);

    const confirmed = await form('/verify-email', { token: url.searchParams.get('token') ?? '' });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('Email address confirmed');
    const after = json<{ emailVerified: boolean }>(
      await t.app.inject({ url: '/api/auth/me', headers: bearer(u.accessToken) }),
    );
    expect(after.emailVerified).toBe(true);

    const again = await form('/verify-email', { token: url.searchParams.get('token') ?? '' });
    expect(again.statusCode).toBe(400);
    expect(again.headers['content-type']).toContain('text/html');
    expect(again.body).toContain('That did not work');
  });

  it('sets a new password from the reset page, once; weak passwords are refused on the page', async () => {
    const u = await createUserForTest(t.runtime.ctx, { password: 'old-Password-4-cards!' });
    await t.app.inject({ method: 'POST', url: '/api/auth/forgot-password', payload: { email: u.email } });
    const token = await mailedToken(t, u.email, /Reset your/);
    const shown = await t.app.inject({ url: `/reset-password?token=${token}` });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('type="password" name="password"');

    const weak = await form('/reset-password', { token, password: 'password' });
    expect(weak.statusCode).toBe(400);
    const done = await form('/reset-password', { token, password: 'new-Password-4-cards!' });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.body).toContain('Password changed');
    expect((await login(t.app, u.email, 'new-Password-4-cards!')).statusCode).toBe(200);
    expect((await login(t.app, u.email, 'old-Password-4-cards!')).statusCode).toBe(401);
    const reused = await form('/reset-password', { token, password: 'another-Password-4-cards!' });
    expect(reused.statusCode).toBe(400);
  });

  it('escapes what it echoes and refuses a malformed token before showing anything', async () => {
    const bad = await t.app.inject({ url: '/verify-email?token=%22%3E%3Cscript%3E' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain('<script>');
    const none = await t.app.inject({ url: '/reset-password' });
    expect(none.statusCode).toBe(400);
    const json = await t.app.inject({ method: 'POST', url: '/verify-email', payload: { token: 'x'.repeat(20) } });
    expect(json.statusCode).toBe(400);
  });

  it("links to a front end's pages when PUBLIC_WEB_URL is set", async () => {
    const u = await createUserForTest(web.runtime.ctx, { verified: false });
    await web.app.inject({ method: 'POST', url: '/api/auth/resend-verification', payload: { email: u.email } });
    await drainOutbox(web);
    const [mail] = await listStoredMail(web.runtime.ctx.db, u.email);
    expect(mail?.text).toMatch(/https:\/\/app\.cards\.example\/verify-email\?token=[A-Za-z0-9_-]+/);
  });
});
