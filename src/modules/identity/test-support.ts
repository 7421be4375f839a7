// Shared by this module's tests (and the notifications tests): an app with workers off, so the
// outbox is drained by hand and every effect is awaited rather than waited for.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createTestApp, type TestApp, type TestAppOptions } from '../../../test/helpers/app.ts';
import { listStoredMail } from '../../platform/mail/index.ts';
import { notificationsModule } from '../notifications/index.ts';
import { identityModule } from './index.ts';

export const QUIET_ENV = { RUN_WORKERS: 'false', RATE_LIMIT_MAX: '100000' };

export function startIdentityApp(opts: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp({
    modules: [identityModule, notificationsModule],
    ...opts,
    env: { ...QUIET_ENV, ...opts.env },
  });
}

/** Delivers every committed outbox event (handlers run here, not on a timer). */
export async function drainOutbox(t: TestApp): Promise<void> {
  while ((await t.runtime.dispatcher.runOnce()) > 0);
}

/** The token in the newest stored mail to `email` whose subject matches. */
export async function mailedToken(t: TestApp, email: string, subject: RegExp): Promise<string> {
  await drainOutbox(t);
  const mail = (await listStoredMail(t.runtime.ctx.db, email)).find((m) => subject.test(m.subject));
  const token = mail && /token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no mail matching ${subject} to ${email}`);
  return token;
}

export async function mailCount(t: TestApp, email: string): Promise<number> {
  await drainOutbox(t);
  return (await listStoredMail(t.runtime.ctx.db, email, 1000)).length;
}

export const json = <T = Record<string, unknown>>(res: LightMyRequestResponse) => res.json<T>();

export function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toContain('application/problem+json');
  expect(res.json<{ code: string }>().code).toBe(code);
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function login(
  app: FastifyInstance,
  email: string,
  password: string,
  extra: { client?: 'browser' | 'app'; ip?: string } = {},
) {
  return app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password, ...(extra.client ? { client: extra.client } : {}) },
    ...(extra.ip ? { remoteAddress: extra.ip } : {}),
  });
}
