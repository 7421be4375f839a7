import { and, desc, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import { openValue, sealedColumn, sealValue } from '../../platform/crypto/sealed-columns.ts';
import type { Db } from '../../platform/db/tx.ts';
import { activity, emailTokens, throttles, type EmailTokenPurpose } from './tables.ts';

export async function insertEmailToken(
  db: Db,
  values: { userId: string; purpose: EmailTokenPurpose; tokenHash: string; ttlSeconds: number },
): Promise<void> {
  await db.insert(emailTokens).values({
    id: uuidv7(),
    userId: values.userId,
    purpose: values.purpose,
    tokenHash: values.tokenHash,
    expiresAt: sql`now() + make_interval(secs => ${values.ttlSeconds})`,
  });
}

const usable = (tokenHash: string, purpose: EmailTokenPurpose) =>
  and(
    eq(emailTokens.tokenHash, tokenHash),
    eq(emailTokens.purpose, purpose),
    isNull(emailTokens.usedAt),
    gt(emailTokens.expiresAt, sql`now()`),
  );

/** The user a token belongs to, when it is unused and unexpired, without using it. */
export async function peekEmailToken(db: Db, tokenHash: string, purpose: EmailTokenPurpose) {
  const [row] = await db.select({ userId: emailTokens.userId }).from(emailTokens).where(usable(tokenHash, purpose));
  return row?.userId ?? null;
}

/** Uses a token once: of two concurrent uses, only one gets the user id back. */
export async function consumeEmailToken(db: Db, tokenHash: string, purpose: EmailTokenPurpose) {
  const [row] = await db
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(usable(tokenHash, purpose))
    .returning({ userId: emailTokens.userId });
  return row?.userId ?? null;
}

/** Voids every outstanding token of one purpose (a newer one was issued, or the account changed). */
export async function voidEmailTokens(db: Db, userId: string, purpose?: EmailTokenPurpose): Promise<void> {
  await db
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(emailTokens.userId, userId),
        isNull(emailTokens.usedAt),
        purpose ? eq(emailTokens.purpose, purpose) : undefined,
      ),
    );
}

export interface ActivityInput {
  userId: string;
  type: string;
  actorId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  detail?: Record<string, unknown>;
}

export const activityIp = sealedColumn('identity_activity', 'ip');
export const activityUserAgent = sealedColumn('identity_activity', 'user_agent');

/**
 * Records one activity row; its address and device are sealed. `keyring` may be null only for rows
 * that carry neither (written where no request is involved, such as the command line).
 */
export async function insertActivity(db: Db, keyring: Keyring | null, a: ActivityInput): Promise<void> {
  const ip = a.ip ?? null;
  const userAgent = a.userAgent ?? null;
  if (!keyring && (ip !== null || userAgent !== null)) throw new Error('an address or device needs a keyring');
  await db.insert(activity).values({
    id: uuidv7(),
    userId: a.userId,
    actorId: a.actorId ?? null,
    type: a.type,
    ip: keyring ? sealValue(keyring, activityIp, ip) : null,
    userAgent: keyring ? sealValue(keyring, activityUserAgent, userAgent) : null,
    detail: a.detail ?? {},
  });
}

/** A user's activity, newest first, with addresses and devices opened. */
export async function listActivity(db: Db, keyring: Keyring, userId: string, limit: number, beforeId?: string) {
  const rows = await db
    .select()
    .from(activity)
    .where(and(eq(activity.userId, userId), beforeId ? lt(activity.id, beforeId) : undefined))
    .orderBy(desc(activity.id))
    .limit(limit);
  return rows.map((r) => ({
    ...r,
    ip: openValue(keyring, activityIp, r.ip),
    userAgent: openValue(keyring, activityUserAgent, r.userAgent),
  }));
}

/** Account deletion: the history held addresses and devices, which are personal data. */
export async function deleteActivityOf(db: Db, userId: string): Promise<void> {
  await db.delete(activity).where(eq(activity.userId, userId));
  await db.update(activity).set({ actorId: null }).where(eq(activity.actorId, userId));
}

export interface ThrottleKey {
  scope: string;
  key: string;
}

/** The longest lock among `keys`, in whole seconds from now (0 when none is locked). */
export async function lockedForSeconds(db: Db, keys: ThrottleKey[]): Promise<number> {
  if (keys.length === 0) return 0;
  const pairs = sql.join(
    keys.map((k) => sql`(${k.scope}, ${k.key})`),
    sql`, `,
  );
  const [row] = await db
    .select({ seconds: sql<number>`coalesce(ceil(max(extract(epoch FROM ${throttles.lockedUntil} - now()))), 0)::int` })
    .from(throttles)
    .where(and(sql`(${throttles.scope}, ${throttles.key}) IN (${pairs})`, gt(throttles.lockedUntil, sql`now()`)));
  return Math.max(0, row?.seconds ?? 0);
}

/**
 * Counts one more failure (or hit) in a fixed window of `windowSeconds` that starts at the first
 * one; returns the count in the current window and how many seconds of the window remain.
 */
export async function countFailure(db: Db, k: ThrottleKey, windowSeconds: number) {
  const expired = sql`${throttles.windowStartedAt} <= now() - make_interval(secs => ${windowSeconds})`;
  const [row] = await db
    .insert(throttles)
    .values({ scope: k.scope, key: k.key, failures: 1 })
    .onConflictDoUpdate({
      target: [throttles.scope, throttles.key],
      set: {
        failures: sql`CASE WHEN ${expired} THEN 1 ELSE ${throttles.failures} + 1 END`,
        windowStartedAt: sql`CASE WHEN ${expired} THEN now() ELSE ${throttles.windowStartedAt} END`,
      },
    })
    .returning({
      failures: throttles.failures,
      windowLeftSeconds: sql<number>`greatest(1, ceil(extract(epoch FROM ${throttles.windowStartedAt}
        + make_interval(secs => ${windowSeconds}) - now())))::int`,
    });
  if (!row) throw new Error('throttle upsert returned nothing');
  return row;
}

export async function lockThrottle(db: Db, k: ThrottleKey, seconds: number): Promise<void> {
  await db
    .update(throttles)
    .set({
      lockedUntil: sql`greatest(coalesce(${throttles.lockedUntil}, now()), now() + make_interval(secs => ${seconds}))`,
    })
    .where(and(eq(throttles.scope, k.scope), eq(throttles.key, k.key)));
}

export async function clearThrottle(db: Db, k: ThrottleKey): Promise<void> {
  await db.delete(throttles).where(and(eq(throttles.scope, k.scope), eq(throttles.key, k.key)));
}

/** Housekeeping: counters whose window and lock are both long over. */
export async function deleteStaleThrottles(db: Db, olderThanSeconds: number): Promise<void> {
  await db
    .delete(throttles)
    .where(
      and(
        lt(throttles.windowStartedAt, sql`now() - make_interval(secs => ${olderThanSeconds})`),
        sql`(${throttles.lockedUntil} IS NULL OR ${throttles.lockedUntil} < now())`,
      ),
    );
}

export async function deleteSpentEmailTokens(db: Db): Promise<void> {
  await db.delete(emailTokens).where(lt(emailTokens.expiresAt, sql`now() - interval '1 day'`));
}
