import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { identityDeps } from './deps.ts';
import { register } from './service.ts';
import { createUserForTest, login, startIdentityApp } from '../../../test/support/identity.ts';
import { bearer, json } from '../../../test/helpers/http.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';

interface Received {
  to: string[];
  raw: string;
}

let smtp: SMTPServer;
let inbox: Received[];
let t: TestApp;

/** Undoes quoted-printable soft breaks and escapes, which long links get in transit. */
const decodeQuotedPrintable = (s: string) =>
  s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

function linkTo(email: string, path: string): string {
  const mail = inbox.filter((m) => m.to.includes(email)).at(-1);
  const link =
    mail && new RegExp(`https?://[^\\s]+${path}\\?token=[A-Za-z0-9_-]+`).exec(decodeQuotedPrintable(mail.raw));
  if (!link) throw new Error(`no ${path} link mailed to ${email}`);
  return link[0];
}

beforeAll(async () => {
  inbox = [];
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        inbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString() });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  t = await startIdentityApp({
    env: { SMTP_URL: `smtp://127.0.0.1:${port}`, PUBLIC_URL: 'https://cards.example.org' },
  });
});
afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

describe('mail through a real SMTP server', () => {
  it('mails a verification link that verifies the address', async () => {
    const email = 'ada.lovelace@example.com';
    const reg = await t.app.inject({
      method: 'POST',
      url: '/api/auth/register',
      payload: { email, username: 'ada_l', password: 'Engine-Bernoulli-Notes-43' },
    });
    expect(reg.statusCode).toBe(202);
    await drainOutbox(t);
    const link = new URL(linkTo(email, '/verify-email'));
    expect(link.origin).toBe('https://cards.example.org');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/verify-email',
      payload: { token: link.searchParams.get('token') },
    });
    expect(res.statusCode, res.body).toBe(200);
    const session = json<{ accessToken: string }>(await login(t.app, email, 'Engine-Bernoulli-Notes-43'));
    const me = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: bearer(session.accessToken) });
    expect(json(me)).toMatchObject({ emailVerified: true });
  });

  it('mails a reset link that sets a new password and ends every session', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const forgot = await t.app.inject({
      method: 'POST',
      url: '/api/auth/forgot-password',
      payload: { email: u.email },
    });
    expect(forgot.statusCode).toBe(202);
    await drainOutbox(t);
    const token = new URL(linkTo(u.email, '/reset-password')).searchParams.get('token') ?? '';

    const weak = await t.app.inject({
      method: 'POST',
      url: '/api/auth/reset-password',
      payload: { token, password: 'password1' },
    });
    expect(weak.statusCode).toBe(400);
    const newPassword = 'Orchid-Tempest-Walnut-90';
    const reset = await t.app.inject({
      method: 'POST',
      url: '/api/auth/reset-password',
      payload: { token, password: newPassword },
    });
    expect(reset.statusCode, reset.body).toBe(200);

    const reused = await t.app.inject({
      method: 'POST',
      url: '/api/auth/reset-password',
      payload: { token, password: newPassword },
    });
    expect(reused.statusCode).toBe(400);
    const oldSession = await t.app.inject({ method: 'GET', url: '/api/auth/me', headers: u.headers });
    expect(oldSession.statusCode).toBe(401);
    expect((await login(t.app, u.email, u.password)).statusCode).toBe(401);
    expect((await login(t.app, u.email, newPassword)).statusCode).toBe(200);

    await drainOutbox(t);
    expect(inbox.some((m) => m.to.includes(u.email) && m.raw.includes('password was changed'))).toBe(true);
  });

  it('a registration whose transaction rolls back sends nothing', async () => {
    const before = inbox.length;
    const deps = identityDeps(t.runtime.ctx);
    const meta = { ip: '127.0.0.9', userAgent: null };
    const input = { email: 'rolled.back@example.com', username: 'rolled_back', password: 'Engine-Bernoulli-Notes-43' };
    await expect(
      withTransaction(deps.db, async (tx) => {
        await register({ ...deps, db: tx }, input, meta);
        throw new Error('something later in the same transaction failed');
      }),
    ).rejects.toThrow('something later');
    await drainOutbox(t);
    expect(inbox.length).toBe(before);
    expect((await login(t.app, input.email, input.password)).statusCode).toBe(401);
  });
});
