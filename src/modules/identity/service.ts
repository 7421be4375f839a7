import { uuidv7 } from 'uuidv7';
import type { Principal } from '../../platform/auth/tokens.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import { normalizeEmail, KNOWN_ADDRESS_DAYS, type IdentityDeps, type RequestMeta } from './deps.ts';
import {
  AccountBannedError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  RefreshTokenReusedError,
  SessionNotFoundError,
  UserNotFoundError,
  UsernameTakenError,
  WeakPasswordError,
} from './errors.ts';
import { checkPasswordStrength } from './password.ts';
import { forgetSession, forgetUser, meKey } from './principal.ts';
import { findMe, findUserByEmail, findUserById, insertUser, updateUser, usernameExists, type UserRow } from './repo.ts';
import { insertActivity } from './security-repo.ts';
import { hashToken, newOpaqueToken } from './secrets.ts';
import * as sessionsRepo from './session-repo.ts';
import { assertNotLocked, counters, countFailures, overCap, resetCounter } from './throttle.ts';
import { meView, sessionView } from './views.ts';

export type ClientKind = 'browser' | 'app';

/** A signed-in session as the routes hand it out. */
export interface IssuedSession {
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  sessionId: string;
  client: ClientKind;
  user: UserRow;
}

export const identityEvent = (type: string, userId: string, payload: Record<string, unknown> = {}) => ({
  type: `identity.${type}`,
  aggregateType: 'user',
  aggregateId: userId,
  payload: { userId, ...payload },
});

const RESERVED = /^(deleted_.*|admin|administrator|root|system|support|me|profile|settings|activity|account|blocks)$/i;

export function assertStrongPassword(password: string, field: string, inputs: string[]) {
  const verdict = checkPasswordStrength(password, inputs);
  if (!verdict.ok) throw new WeakPasswordError(field, verdict.reason, verdict.suggestions);
}

export async function assertUsernameFree(db: Db, username: string) {
  if (RESERVED.test(username) || (await usernameExists(db, username))) throw new UsernameTakenError();
}

/**
 * Creates an account, or, when the email is already registered, mails its owner instead. Both
 * paths hash a password and answer the same, so the answer does not reveal who has an account.
 * A taken username is reported: usernames are public anyway.
 */
export async function register(
  deps: IdentityDeps,
  input: { email: string; username: string; password: string },
  meta: RequestMeta,
): Promise<void> {
  const email = normalizeEmail(input.email);
  await assertNotLocked(deps.db, [counters(deps.config).mailIp(meta.ip)]);
  assertStrongPassword(input.password, 'body.password', [email, input.username]);
  await assertUsernameFree(deps.db, input.username);
  await countFailures(deps.db, [counters(deps.config).mailIp(meta.ip)]);
  const passwordHash = await deps.hasher.hash(input.password);
  await withTransaction(deps.db, async (tx) => {
    const existing = await findUserByEmail(tx, email);
    if (existing) {
      if (await overCap(tx, counters(deps.config).mailAddress(email))) return;
      await recordEvent(tx, identityEvent('registration_attempted', existing.id));
      return;
    }
    const id = uuidv7();
    const created = await insertUser(tx, { id, email, username: input.username, passwordHash });
    if (!created) {
      // Lost a race: someone took the username or the email between the checks and the insert.
      if (await usernameExists(tx, input.username)) throw new UsernameTakenError();
      return;
    }
    await insertActivity(tx, deps.keyring, { userId: id, type: 'registered', ip: meta.ip, userAgent: meta.userAgent });
    await recordEvent(tx, identityEvent('verification_requested', id));
  });
}

async function openSession(
  deps: IdentityDeps,
  tx: Db,
  user: UserRow,
  client: ClientKind,
  meta: RequestMeta,
): Promise<Omit<IssuedSession, 'accessToken' | 'expiresIn' | 'user'>> {
  const sessionId = uuidv7();
  const { config } = deps;
  const session = await sessionsRepo.insertSession(tx, deps.keyring, {
    id: sessionId,
    userId: user.id,
    client,
    ip: meta.ip,
    userAgent: meta.userAgent,
    expiresAt: new Date(Date.now() + config.REFRESH_ABSOLUTE_TTL_SECONDS * 1000),
  });
  const refreshToken = newOpaqueToken();
  const refreshTokenExpiresAt = new Date(Date.now() + config.REFRESH_IDLE_TTL_SECONDS * 1000);
  await sessionsRepo.insertRefreshToken(tx, {
    id: uuidv7(),
    sessionId: session.id,
    tokenHash: hashToken(refreshToken),
    expiresAt: refreshTokenExpiresAt,
  });
  return { refreshToken, refreshTokenExpiresAt, sessionId, client };
}

async function signFor(deps: IdentityDeps, user: UserRow, sessionId: string) {
  const accessToken = await deps.tokens.sign({ userId: user.id, role: user.role, sessionId });
  return { accessToken, expiresIn: deps.config.ACCESS_TOKEN_TTL_SECONDS };
}

/**
 * Password sign-in. Throttled per address, per account and address, and per account; an unknown
 * email costs the same hash verification as a known one. The account-wide cap, which guesses spread
 * over many addresses can reach, never applies where the owner signed in before or redeemed a
 * password-reset link: the mailed link is the owner's way in that no attacker can block.
 */
export async function login(
  deps: IdentityDeps,
  input: { email: string; password: string; client: ClientKind },
  meta: RequestMeta,
): Promise<IssuedSession> {
  const { db } = deps;
  const email = normalizeEmail(input.email);
  const c = counters(deps.config).login(email, meta.ip);
  const user = await findUserByEmail(db, email);
  const known = user
    ? await sessionsRepo.isKnownAddress(db, deps.keyring, user.id, meta.ip, KNOWN_ADDRESS_DAYS)
    : false;
  await assertNotLocked(db, known ? [c.ip, c.accountIp] : [c.ip, c.accountIp, c.account]);

  const ok = await deps.hasher.verify(user?.passwordHash, input.password);
  if (!user || !ok) {
    await countFailures(db, [c.ip, c.accountIp, c.account]);
    if (user) await insertActivity(db, deps.keyring, { userId: user.id, type: 'login_failed', ...meta });
    throw new InvalidCredentialsError();
  }
  if (user.status !== 'active') {
    await insertActivity(db, deps.keyring, { userId: user.id, type: 'login_refused_banned', ...meta });
    throw new AccountBannedError();
  }
  await resetCounter(db, c.accountIp);
  if (user.passwordHash && deps.hasher.needsRehash(user.passwordHash)) {
    await updateUser(db, user.id, { passwordHash: await deps.hasher.hash(input.password) });
  }
  const opened = await withTransaction(db, async (tx) => {
    const s = await openSession(deps, tx, user, input.client, meta);
    await insertActivity(tx, deps.keyring, {
      userId: user.id,
      type: 'login_succeeded',
      ...meta,
      detail: { sessionId: s.sessionId },
    });
    return s;
  });
  return { ...opened, ...(await signFor(deps, user, opened.sessionId)), user };
}

type RefreshOutcome =
  | { kind: 'ok'; session: Omit<IssuedSession, 'accessToken' | 'expiresIn' | 'user'>; user: UserRow }
  | { kind: 'reused'; userId: string; sessionId: string }
  | { kind: 'invalid' };

/**
 * Trades a refresh token for a new pair. The token is single-use: presenting one that was already
 * rotated means it leaked (or two tabs raced), so the whole session is revoked and recorded.
 */
export async function refresh(deps: IdentityDeps, rawToken: string, meta: RequestMeta): Promise<IssuedSession> {
  const tokenHash = hashToken(rawToken);
  const outcome = await withTransaction(deps.db, async (tx): Promise<RefreshOutcome> => {
    const rotated = await sessionsRepo.rotateRefreshToken(tx, tokenHash);
    if (!rotated) {
      const seen = await sessionsRepo.findRefreshToken(tx, tokenHash);
      if (!seen?.rotated) return { kind: 'invalid' };
      const found = await sessionsRepo.findSessionWithUser(tx, seen.sessionId);
      if (!found) return { kind: 'invalid' };
      const revoked = await sessionsRepo.revokeSession(tx, seen.sessionId, 'refresh_token_reused');
      await insertActivity(tx, deps.keyring, {
        userId: found.session.userId,
        type: 'refresh_token_reused',
        ...meta,
        detail: { sessionId: seen.sessionId, sessionWasOpen: revoked },
      });
      return { kind: 'reused', userId: found.session.userId, sessionId: seen.sessionId };
    }
    const found = await sessionsRepo.findSessionWithUser(tx, rotated.sessionId);
    if (!found || rotated.expired || found.expired || found.session.revokedAt || found.userStatus !== 'active') {
      return { kind: 'invalid' };
    }
    const { session } = found;
    const refreshToken = newOpaqueToken();
    const idleEnd = Date.now() + deps.config.REFRESH_IDLE_TTL_SECONDS * 1000;
    const refreshTokenExpiresAt = new Date(Math.min(idleEnd, session.expiresAt.getTime()));
    await sessionsRepo.insertRefreshToken(tx, {
      id: uuidv7(),
      sessionId: session.id,
      tokenHash: hashToken(refreshToken),
      expiresAt: refreshTokenExpiresAt,
    });
    await sessionsRepo.touchSession(tx, deps.keyring, session.id, meta.ip, meta.userAgent);
    const user = await findUserById(tx, session.userId);
    if (!user) return { kind: 'invalid' };
    return {
      kind: 'ok',
      session: { refreshToken, refreshTokenExpiresAt, sessionId: session.id, client: session.client },
      user,
    };
  });
  if (outcome.kind === 'reused') {
    deps.logger.warn({ userId: outcome.userId, sessionId: outcome.sessionId }, 'refresh token reuse: session revoked');
    await forgetSession(deps.cache, outcome.userId, outcome.sessionId);
    throw new RefreshTokenReusedError();
  }
  if (outcome.kind === 'invalid') throw new InvalidRefreshTokenError();
  return { ...outcome.session, ...(await signFor(deps, outcome.user, outcome.session.sessionId)), user: outcome.user };
}

/** The session a refresh token belongs to, if the token is known (for logout by refresh token). */
export async function sessionOfRefreshToken(deps: IdentityDeps, rawToken: string) {
  const seen = await sessionsRepo.findRefreshToken(deps.db, hashToken(rawToken));
  // A used token proves nothing about who is asking: it cannot end the session it came from.
  if (!seen || seen.rotated) return null;
  const session = await sessionsRepo.findSession(deps.db, seen.sessionId);
  return session ? { userId: session.userId, sessionId: session.id } : null;
}

/** Ends one session of `userId`; 404 when it is not theirs (or does not exist). */
export async function revokeOwnSession(
  deps: IdentityDeps,
  userId: string,
  sessionId: string,
  reason: string,
  meta: RequestMeta,
): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    const session = await sessionsRepo.findSession(tx, sessionId);
    if (!session || session.userId !== userId) throw new SessionNotFoundError();
    if (await sessionsRepo.revokeSession(tx, sessionId, reason)) {
      await insertActivity(tx, deps.keyring, {
        userId,
        type: 'session_revoked',
        ...meta,
        detail: { sessionId, reason },
      });
    }
  });
  await forgetSession(deps.cache, userId, sessionId);
}

/** Ends every session of the caller, this one included. */
export async function logoutAll(deps: IdentityDeps, principal: Principal, meta: RequestMeta): Promise<number> {
  const ended = await withTransaction(deps.db, async (tx) => {
    const ids = await sessionsRepo.revokeUserSessions(tx, principal.userId, 'logout_all');
    await insertActivity(tx, deps.keyring, {
      userId: principal.userId,
      type: 'sessions_revoked_all',
      ...meta,
      detail: { count: ids.length },
    });
    return ids.length;
  });
  await forgetUser(deps.cache, principal.userId);
  return ended;
}

export async function listSessions(
  deps: IdentityDeps,
  principal: Principal,
  q: { limit: number; cursor?: string | undefined },
) {
  const rows = await sessionsRepo.listOpenSessions(
    deps.db,
    deps.keyring,
    principal.userId,
    q.limit + 1,
    decodeIdCursor(q.cursor),
  );
  return pageById(rows, q.limit, (s) => sessionView(s, principal.sessionId));
}

/** The account's own view, cached like the principal state and dropped with it on every change. */
export async function getMe(deps: IdentityDeps, userId: string) {
  const cached = await deps.cache.get<ReturnType<typeof meView>>(meKey(userId));
  if (cached) return cached;
  const user = await findMe(deps.db, userId);
  if (!user || user.status === 'deleted') throw new UserNotFoundError();
  const view = meView(user);
  await deps.cache.set(meKey(userId), view, deps.config.PRINCIPAL_CACHE_TTL_MS);
  return view;
}
