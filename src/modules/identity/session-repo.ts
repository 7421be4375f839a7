import { and, desc, eq, gt, isNotNull, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import { openValue, sealedColumn, sealValue } from '../../platform/crypto/sealed-columns.ts';
import type { Db } from '../../platform/db/tx.ts';
import { activity, refreshTokens, sessions, users } from './tables.ts';

export type SessionRow = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;

const sessionUserAgent = sealedColumn('identity_sessions', 'user_agent');
const activityIp = sealedColumn('identity_activity', 'ip');

/** Opens the sealed device of a session row (rows written before sealing hold it in clear). */
const openedSession = (keyring: Keyring, row: SessionRow): SessionRow => ({
  ...row,
  userAgent: openValue(keyring, sessionUserAgent, row.userAgent),
});

export async function insertSession(db: Db, keyring: Keyring, values: NewSession): Promise<SessionRow> {
  const [row] = await db
    .insert(sessions)
    .values({ ...values, userAgent: sealValue(keyring, sessionUserAgent, values.userAgent ?? null) })
    .returning();
  if (!row) throw new Error('session insert returned nothing');
  return openedSession(keyring, row);
}

export async function insertRefreshToken(
  db: Db,
  values: { id: string; sessionId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db.insert(refreshTokens).values(values);
}

/**
 * Marks a live refresh token as used and returns it. Two requests presenting the same token race
 * on this row: the second waits for the first to commit, then matches nothing.
 */
export async function rotateRefreshToken(db: Db, tokenHash: string) {
  const [row] = await db
    .update(refreshTokens)
    .set({ rotatedAt: sql`now()` })
    .where(and(eq(refreshTokens.tokenHash, tokenHash), isNull(refreshTokens.rotatedAt)))
    .returning({
      sessionId: refreshTokens.sessionId,
      expired: sql<boolean>`${refreshTokens.expiresAt} <= now()`,
    });
  return row ?? null;
}

/** A refresh token by hash whatever its state (to tell a reused token from an unknown one). */
export async function findRefreshToken(db: Db, tokenHash: string) {
  const [row] = await db
    .select({ sessionId: refreshTokens.sessionId, rotated: sql<boolean>`${refreshTokens.rotatedAt} IS NOT NULL` })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, tokenHash));
  return row ?? null;
}

/** A session with the state of its account, as the refresh needs it. */
export async function findSessionWithUser(db: Db, sessionId: string) {
  const [row] = await db
    .select({
      session: sessions,
      userStatus: users.status,
      role: users.role,
      expired: sql<boolean>`${sessions.expiresAt} <= now()`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sessionId));
  return row ?? null;
}

export async function findSession(db: Db, sessionId: string): Promise<SessionRow | null> {
  const [row] = await db.select().from(sessions).where(eq(sessions.id, sessionId));
  return row ?? null;
}

export async function touchSession(
  db: Db,
  keyring: Keyring,
  sessionId: string,
  ip: string | null,
  userAgent: string | null,
) {
  await db
    .update(sessions)
    .set({ lastUsedAt: sql`now()`, ip, userAgent: sealValue(keyring, sessionUserAgent, userAgent) })
    .where(eq(sessions.id, sessionId));
}

/** Ends one session if it is still open; returns whether it was. */
export async function revokeSession(db: Db, sessionId: string, reason: string): Promise<boolean> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/** Ends every open session of a user, optionally but one; returns the ids ended. */
export async function revokeUserSessions(
  db: Db,
  userId: string,
  reason: string,
  exceptSessionId?: string,
): Promise<string[]> {
  const rows = await db
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.map((r) => r.id);
}

const liveToken = sql`EXISTS (SELECT 1 FROM ${refreshTokens} rt
  WHERE rt.session_id = ${sessions.id} AND rt.rotated_at IS NULL AND rt.expires_at > now())`;

/** Sessions still usable (not revoked, not past either lifetime), newest first. */
export async function listOpenSessions(db: Db, keyring: Keyring, userId: string, limit: number, beforeId?: string) {
  const rows = await db
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, sql`now()`),
        liveToken,
        beforeId ? lt(sessions.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(sessions.id))
    .limit(limit);
  return rows.map((r) => openedSession(keyring, r));
}

/**
 * Whether the owner has shown control of the account from `ip` in the last `days`: signed in from
 * it, or redeemed a mailed password-reset link there (which an attacker without the mailbox cannot).
 */
export async function isKnownAddress(
  db: Db,
  keyring: Keyring,
  userId: string,
  ip: string,
  days: number,
): Promise<boolean> {
  if (await hasSignedInFrom(db, userId, ip, days)) return true;
  // Activity addresses are sealed, so they are compared after opening; a user has few resets a month.
  const resets = await db
    .select({ ip: activity.ip })
    .from(activity)
    .where(
      and(
        eq(activity.userId, userId),
        eq(activity.type, 'password_reset'),
        isNotNull(activity.ip),
        gt(activity.createdAt, sql`now() - make_interval(days => ${days})`),
      ),
    )
    .orderBy(desc(activity.id))
    .limit(100);
  return resets.some((r) => openValue(keyring, activityIp, r.ip) === ip);
}

/** Whether the user signed in successfully from this address within the last `days`. */
export async function hasSignedInFrom(db: Db, userId: string, ip: string, days: number): Promise<boolean> {
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        eq(sessions.ip, ip),
        gt(sessions.createdAt, sql`now() - make_interval(days => ${days})`),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

/** Live refresh tokens of a session (tests and diagnostics). */
export async function countLiveRefreshTokens(db: Db, sessionId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.rotatedAt), isNull(sessions.revokedAt)));
  return row?.n ?? 0;
}

/** Drops refresh tokens that can no longer be used: housekeeping. */
export async function deleteDeadRefreshTokens(db: Db, olderThanDays: number): Promise<number> {
  const result = await db.execute(sql`
    DELETE FROM ${refreshTokens} WHERE created_at < now() - make_interval(days => ${olderThanDays})
      AND (rotated_at IS NOT NULL OR expires_at < now())`);
  return result.rowCount ?? 0;
}
