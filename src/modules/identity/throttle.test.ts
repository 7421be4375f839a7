import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../../test/helpers/app.ts';
import { loadConfig } from '../../config.ts';
import { progressiveLockSeconds, type ThrottleConfig } from './throttle.ts';
import { createUserForTest, login, startIdentityApp } from '../../../test/support/identity.ts';
import { expectProblem } from '../../../test/helpers/expect.ts';
import { mailCount, mailedToken } from '../../../test/helpers/outbox.ts';

const limits = {
  AUTH_FREE_FAILURES: '2',
  AUTH_LOCK_AFTER_FAILURES: '3',
  AUTH_LOCK_SECONDS: '600',
  AUTH_ACCOUNT_FAILURES_PER_HOUR: '6',
  AUTH_IP_FAILURES_PER_HOUR: '8',
  AUTH_MAIL_PER_ADDRESS_PER_HOUR: '2',
};

let t: TestApp;
beforeAll(async () => {
  t = await startIdentityApp({ env: limits });
});
afterAll(() => t.close());

function expectRetryAfter(res: LightMyRequestResponse) {
  expectProblem(res, 429, 'too_many_attempts');
  const seconds = Number(res.headers['retry-after']);
  expect(seconds).toBeGreaterThan(0);
  expect(res.json<{ retryAfter: number }>().retryAfter).toBe(seconds);
  return seconds;
}

describe('the lock schedule', () => {
  const c = { AUTH_FREE_FAILURES: 5, AUTH_LOCK_AFTER_FAILURES: 10, AUTH_LOCK_SECONDS: 900 } as ThrottleConfig;
  it('is free at first, then doubles, then locks for the window', () => {
    expect([1, 5, 6, 7, 9, 10, 11].map((n) => progressiveLockSeconds(n, c))).toEqual([0, 0, 2, 4, 16, 900, 900]);
  });

  it('cannot be configured above 100 failures per hour per account', () => {
    expect(() => loadConfig({ AUTH_ACCOUNT_FAILURES_PER_HOUR: '101' })).toThrow(/AUTH_ACCOUNT_FAILURES_PER_HOUR/);
  });
});

describe('sign-in throttling', () => {
  it('locks repeated failures from one address, even for the right password', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const ip = '198.51.100.1';
    for (let i = 0; i < 3; i++)
      expectProblem(await login(t.app, u.email, 'Wrong-Password-000', { ip }), 401, 'invalid_credentials');
    expectRetryAfter(await login(t.app, u.email, u.password, { ip }));
    // The owner elsewhere is not affected by this address's lock.
    expect((await login(t.app, u.email, u.password, { ip: '198.51.100.2' })).statusCode).toBe(200);
  });

  it('caps failures per account across addresses, but not for addresses the owner used before', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const home = '203.0.113.10';
    expect((await login(t.app, u.email, u.password, { ip: home })).statusCode).toBe(200);
    // A stranger spreads guesses over many addresses until the hourly account cap (6) is reached.
    for (let i = 0; i < 6; i++) {
      const res = await login(t.app, u.email, 'Guess-Number-Nine', { ip: `192.0.2.${i + 1}` });
      expectProblem(res, 401, 'invalid_credentials');
    }
    expectRetryAfter(await login(t.app, u.email, u.password, { ip: '192.0.2.200' }));
    expect((await login(t.app, u.email, u.password, { ip: home })).statusCode).toBe(200);
  });

  it('lets the owner in from a new address once a mailed reset link was redeemed there', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    for (let i = 0; i < 6; i++) {
      const res = await login(t.app, u.email, 'Guess-Number-Ten', { ip: `192.0.2.${i + 101}` });
      expectProblem(res, 401, 'invalid_credentials');
    }
    const travelling = '198.18.0.50';
    expectRetryAfter(await login(t.app, u.email, u.password, { ip: travelling }));
    const forgot = await t.app.inject({
      method: 'POST',
      url: '/api/auth/forgot-password',
      payload: { email: u.email },
      remoteAddress: travelling,
    });
    expect(forgot.statusCode).toBe(202);
    const token = await mailedToken(t, u.email, /reset/i);
    const password = 'Fresh-Keys-For-Travel-42';
    const reset = await t.app.inject({
      method: 'POST',
      url: '/api/auth/reset-password',
      payload: { token, password },
      remoteAddress: travelling,
    });
    expect(reset.statusCode, reset.body).toBe(200);
    expect((await login(t.app, u.email, password, { ip: travelling })).statusCode).toBe(200);
    // The attacker's own new addresses stay under the account's cap.
    expectRetryAfter(await login(t.app, u.email, 'Guess-Number-Eleven', { ip: '192.0.2.250' }));
  });

  it('caps failures per address across accounts (password spraying)', async () => {
    const ip = '198.51.100.77';
    for (let i = 0; i < 8; i++) {
      expectProblem(
        await login(t.app, `victim${i}@example.com`, 'Spray-Password-1', { ip }),
        401,
        'invalid_credentials',
      );
    }
    expectRetryAfter(await login(t.app, 'victim99@example.com', 'Spray-Password-1', { ip }));
  });

  it('throttles wrong one-time tokens per address', async () => {
    const ip = '198.51.100.99';
    const attempt = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/auth/verify-email',
        payload: { token: 'x'.repeat(43) },
        remoteAddress: ip,
      });
    for (let i = 0; i < 3; i++) expectProblem(await attempt(), 400, 'invalid_token');
    expectRetryAfter(await attempt());
  });

  it('sends at most the hourly number of reset mails to one address, answering the same', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push(
        await t.app.inject({ method: 'POST', url: '/api/auth/forgot-password', payload: { email: u.email } }),
      );
    }
    expect(new Set(answers.map((a) => `${a.statusCode} ${a.body}`)).size).toBe(1);
    expect(await mailCount(t, u.email)).toBe(2);
  });
});
