import type { Principal } from '../../platform/auth/tokens.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import type { Db } from '../../platform/db/tx.ts';
import type { PrincipalCheck } from '../../platform/http/auth.ts';
import { rememberPrincipalState, type PrincipalState } from './guards.ts';
import { loadPrincipalRow } from './repo.ts';

const PREFIX = 'identity:principal:';
const keyFor = (userId: string, sessionId: string) => `${PREFIX}${userId}:${sessionId}`;
/** The account's own view (`GET /api/auth/me`), kept beside its sessions' states so `forgetUser` drops it too. */
export const meKey = (userId: string) => `${PREFIX}${userId}:me`;

/**
 * The check run on every authenticated request: the token's session must be open and its account
 * active. The answer is cached briefly per session; every change that could flip it (revocation,
 * ban, deletion, role change, email verification) drops the cached answer after it commits, so
 * with Redis as the cache the change reaches every API process at once.
 */
export function principalCheck(db: Db, cache: Cache, ttlMs: number): PrincipalCheck {
  return async (principal: Principal) => {
    const key = keyFor(principal.userId, principal.sessionId);
    let state = await cache.get<PrincipalState>(key);
    if (!state) {
      const row = await loadPrincipalRow(db, principal.sessionId, principal.userId);
      state = row
        ? {
            active: !row.revoked && row.status === 'active',
            role: row.role,
            emailVerified: row.emailVerified,
            sessionExpiresAt: row.sessionExpiresAt.getTime(),
          }
        : { active: false, role: principal.role, emailVerified: false, sessionExpiresAt: 0 };
      await cache.set(key, state, ttlMs);
    }
    if (!state.active || Date.now() >= state.sessionExpiresAt) return false;
    rememberPrincipalState(principal, state);
    return true;
  };
}

// A request that read the database just before the change committed may store the old state
// after the first delete; a second delete a moment later removes it.
const AGAIN_AFTER_MS = 1000;

async function forget(drop: () => Promise<void>): Promise<void> {
  await drop();
  setTimeout(() => void drop().catch(() => undefined), AGAIN_AFTER_MS).unref();
}

/** Forget the cached state of one session (it was revoked). */
export const forgetSession = (cache: Cache, userId: string, sessionId: string) =>
  forget(() => cache.delete(keyFor(userId, sessionId)));

/** Forget the cached state of every session of a user and their cached view (ban, deletion, role, email or profile change). */
export const forgetUser = (cache: Cache, userId: string) => forget(() => cache.deletePrefix(`${PREFIX}${userId}:`));
