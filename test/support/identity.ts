// Identity's test entry, imported only by tests, test helpers and benchmarks: account factories
// and an app with workers off, so the outbox is drained by hand and every effect is awaited.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { uuidv7 } from 'uuidv7';
import { createTestApp, type TestApp, type TestAppOptions } from '../helpers/app.ts';
import { QUIET_ENV } from '../helpers/http.ts';
import { keyringOf } from '../../src/platform/crypto/envelope.ts';
import { withTransaction } from '../../src/platform/db/tx.ts';
import type { PlatformContext } from '../../src/platform/module.ts';
import { notificationsModule } from '../../src/modules/notifications/index.ts';
import { identityDeps } from '../../src/modules/identity/deps.ts';
import { identityModule } from '../../src/modules/identity/index.ts';
import { insertUser } from '../../src/modules/identity/repo.ts';
import { insertRefreshToken, insertSession } from '../../src/modules/identity/session-repo.ts';
import { hashToken, newOpaqueToken } from '../../src/modules/identity/secrets.ts';
import type { Role } from '../../src/modules/identity/tables.ts';

export interface TestUser {
  id: string;
  email: string;
  username: string;
  password: string;
  role: Role;
  accessToken: string;
  refreshToken: string;
  sessionId: string;
  /** `{ authorization: 'Bearer …' }` for `app.inject`. */
  headers: { authorization: string };
}

/** The password of every test account unless one is given: strong enough for the policy. */
export const TEST_PASSWORD = 'Velvet-Compass-Tundra-58';

// Hashing is slow by design; tests share one hash of the default password per process.
let sharedHash: Promise<string> | undefined;

/**
 * A signed-in account for tests of any module: inserted directly (no mail, no throttling) with
 * an open session and a valid access token. Verified unless `verified: false`.
 */
export async function createUserForTest(
  ctx: PlatformContext,
  opts: { username?: string; email?: string; role?: Role; verified?: boolean; password?: string } = {},
): Promise<TestUser> {
  const deps = identityDeps(ctx);
  const suffix = randomBytes(5).toString('hex');
  const username = opts.username ?? `u_${suffix}`;
  const email = (opts.email ?? `${username}@example.com`).toLowerCase();
  const password = opts.password ?? TEST_PASSWORD;
  const role = opts.role ?? 'user';
  const passwordHash = opts.password
    ? await deps.hasher.hash(opts.password)
    : await (sharedHash ??= deps.hasher.hash(TEST_PASSWORD));
  const id = uuidv7();
  const sessionId = uuidv7();
  const refreshToken = newOpaqueToken();
  await withTransaction(ctx.db, async (tx) => {
    const created = await insertUser(tx, {
      id,
      email,
      username,
      passwordHash,
      role,
      emailVerifiedAt: opts.verified === false ? null : new Date(),
    });
    if (!created) throw new Error(`test user ${username} / ${email} already exists`);
    await insertSession(tx, keyringOf(ctx.config), {
      id: sessionId,
      userId: id,
      client: 'app',
      ip: '127.0.0.1',
      userAgent: 'test',
      expiresAt: new Date(Date.now() + ctx.config.REFRESH_ABSOLUTE_TTL_SECONDS * 1000),
    });
    await insertRefreshToken(tx, {
      id: uuidv7(),
      sessionId,
      tokenHash: hashToken(refreshToken),
      expiresAt: new Date(Date.now() + ctx.config.REFRESH_IDLE_TTL_SECONDS * 1000),
    });
  });
  const accessToken = await ctx.tokens.sign({ userId: id, role, sessionId });
  return {
    id,
    email,
    username,
    password,
    role,
    accessToken,
    refreshToken,
    sessionId,
    headers: { authorization: `Bearer ${accessToken}` },
  };
}

export function startIdentityApp(opts: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp({
    modules: [identityModule, notificationsModule],
    ...opts,
    env: { ...QUIET_ENV, ...opts.env },
  });
}

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
