import { and, asc, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import type { CatalogueEntry } from './catalogue.ts';
import type { FactInput } from './facts.ts';
import { utcDay } from './facts.ts';
import { longestStreak, type Rule } from './rules.ts';
import {
  rewardsAchievements,
  rewardsCheckins,
  rewardsFacts,
  rewardsPayouts,
  rewardsProgress,
  type AchievementRow,
} from './tables.ts';

/** Completed achievements (badges) of the given users, oldest first. */
export async function badgesOf(db: Db, userIds: string[]) {
  const rows = await db
    .select({
      userId: rewardsProgress.userId,
      code: rewardsProgress.code,
      name: rewardsAchievements.name,
      completedAt: rewardsProgress.completedAt,
    })
    .from(rewardsProgress)
    .innerJoin(rewardsAchievements, eq(rewardsAchievements.code, rewardsProgress.code))
    .where(and(inArray(rewardsProgress.userId, userIds), isNotNull(rewardsProgress.completedAt)))
    .orderBy(asc(rewardsProgress.completedAt), asc(rewardsProgress.code));
  return rows.flatMap((r) => (r.completedAt ? [{ ...r, completedAt: r.completedAt }] : []));
}

/** Adds catalogue entries that are missing; returns the codes added. Existing entries are kept. */
export async function insertMissingAchievements(db: Db, entries: readonly CatalogueEntry[]): Promise<string[]> {
  if (entries.length === 0) return [];
  const rows = await db
    .insert(rewardsAchievements)
    .values(entries.map((e, i) => ({ ...e, position: i })))
    .onConflictDoNothing()
    .returning({ code: rewardsAchievements.code });
  return rows.map((r) => r.code);
}

export async function insertAchievement(db: Db, entry: CatalogueEntry & { position: number }) {
  const [row] = await db.insert(rewardsAchievements).values(entry).onConflictDoNothing().returning();
  return row;
}

export const listAchievements = (db: Db) =>
  db.select().from(rewardsAchievements).orderBy(asc(rewardsAchievements.position), asc(rewardsAchievements.code));

export async function findAchievement(db: Db, code: string): Promise<AchievementRow | undefined> {
  const [row] = await db.select().from(rewardsAchievements).where(eq(rewardsAchievements.code, code));
  return row;
}

export async function maxPosition(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(max(${rewardsAchievements.position}), -1)::int` })
    .from(rewardsAchievements);
  return row?.n ?? -1;
}

/** Achievements counting facts of these types. */
export async function achievementsForTypes(db: Db, types: readonly string[]): Promise<AchievementRow[]> {
  if (types.length === 0) return [];
  return db
    .select()
    .from(rewardsAchievements)
    .where(inArray(sql`${rewardsAchievements.rule}->>'type'`, [...types]));
}

/** Entries whose current rule has not been evaluated over the stored facts yet. */
export const achievementsToBackfill = (db: Db) =>
  db
    .select()
    .from(rewardsAchievements)
    .where(
      or(
        isNull(rewardsAchievements.backfilledRule),
        sql`${rewardsAchievements.backfilledRule} <> ${rewardsAchievements.rule}`,
      ),
    );

/** Records the rule as backfilled, unless it changed meanwhile. */
export async function markBackfilled(db: Db, code: string, rule: Rule): Promise<void> {
  await db
    .update(rewardsAchievements)
    .set({ backfilledRule: rule })
    .where(and(eq(rewardsAchievements.code, code), sql`${rewardsAchievements.rule} = ${JSON.stringify(rule)}::jsonb`));
}

/** Serialises everything that evaluates one user's rewards (facts, progress, payouts) until commit. */
export async function lockUser(db: Db, userId: string): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`rewards:${userId}`}, 0))`);
}

/** Stores facts; returns the ones that were new (a redelivered event's facts already exist). */
export async function insertFacts(db: Db, facts: readonly FactInput[]) {
  if (facts.length === 0) return [];
  return db
    .insert(rewardsFacts)
    .values(
      facts.map((f) => ({
        userId: f.userId,
        eventId: f.eventId,
        type: f.type,
        attrs: f.attrs,
        day: utcDay(f.occurredAt),
        occurredAt: f.occurredAt,
      })),
    )
    .onConflictDoNothing()
    .returning({ userId: rewardsFacts.userId, type: rewardsFacts.type });
}

/** Users with at least one fact of `type`, ascending by id after `afterId`. */
export async function usersWithFacts(db: Db, type: string, afterId: string | null, limit: number): Promise<string[]> {
  const rows = await db
    .selectDistinct({ userId: rewardsFacts.userId })
    .from(rewardsFacts)
    .where(and(eq(rewardsFacts.type, type), afterId ? sql`${rewardsFacts.userId} > ${afterId}::uuid` : undefined))
    .orderBy(asc(rewardsFacts.userId))
    .limit(limit);
  return rows.map((r) => r.userId);
}

/** The rule's measure for one user, computed over the stored facts (a set: order and duplicates do not matter). */
export async function measureFor(db: Db, userId: string, rule: Rule): Promise<number> {
  const where = and(
    eq(rewardsFacts.userId, userId),
    eq(rewardsFacts.type, rule.type),
    rule.where ? sql`${rewardsFacts.attrs} @> ${JSON.stringify(rule.where)}::jsonb` : undefined,
  );
  if (rule.kind === 'streak') {
    const days = await db.selectDistinct({ day: rewardsFacts.day }).from(rewardsFacts).where(where);
    return longestStreak(days.map((d) => d.day));
  }
  const measure =
    rule.kind === 'count'
      ? sql<number>`count(*)::int`
      : sql<number>`count(DISTINCT ${rewardsFacts.attrs}->>${rule.key})::int`;
  const [row] = await db.select({ n: measure }).from(rewardsFacts).where(where);
  return row?.n ?? 0;
}

/** The rule's measure for each of `userIds` with at least one matching fact, in one statement. */
export async function measureAll(db: Db, userIds: readonly string[], rule: Rule): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const where = and(
    inArray(rewardsFacts.userId, [...userIds]),
    eq(rewardsFacts.type, rule.type),
    rule.where ? sql`${rewardsFacts.attrs} @> ${JSON.stringify(rule.where)}::jsonb` : undefined,
  );
  if (rule.kind === 'streak') {
    const rows = await db
      .selectDistinct({ userId: rewardsFacts.userId, day: rewardsFacts.day })
      .from(rewardsFacts)
      .where(where);
    const days = new Map<string, string[]>();
    for (const r of rows) days.set(r.userId, [...(days.get(r.userId) ?? []), r.day]);
    return new Map([...days].map(([u, d]) => [u, longestStreak(d)]));
  }
  const measure =
    rule.kind === 'count'
      ? sql<number>`count(*)::int`
      : sql<number>`count(DISTINCT ${rewardsFacts.attrs}->>${rule.key})::int`;
  const rows = await db
    .select({ userId: rewardsFacts.userId, n: measure })
    .from(rewardsFacts)
    .where(where)
    .groupBy(rewardsFacts.userId);
  return new Map(rows.map((r) => [r.userId, r.n]));
}

/** Stores progress for many users at once (never lowering it). */
export async function saveProgressMany(db: Db, code: string, progress: ReadonlyMap<string, number>): Promise<void> {
  if (progress.size === 0) return;
  await db
    .insert(rewardsProgress)
    .values([...progress].map(([userId, value]) => ({ userId, code, progress: value })))
    .onConflictDoUpdate({
      target: [rewardsProgress.userId, rewardsProgress.code],
      set: { progress: sql`greatest(${rewardsProgress.progress}, excluded.progress)`, updatedAt: sql`now()` },
    });
}

export async function saveProgress(db: Db, userId: string, code: string, progress: number): Promise<void> {
  await db
    .insert(rewardsProgress)
    .values({ userId, code, progress })
    .onConflictDoUpdate({
      target: [rewardsProgress.userId, rewardsProgress.code],
      set: { progress: sql`greatest(${rewardsProgress.progress}, excluded.progress)`, updatedAt: sql`now()` },
    });
}

/** Marks the achievement completed unless it already was; true only for the call that completed it. */
export async function completeOnce(db: Db, userId: string, code: string, at: Date): Promise<boolean> {
  const rows = await db
    .update(rewardsProgress)
    .set({ completedAt: at, updatedAt: at })
    .where(and(eq(rewardsProgress.userId, userId), eq(rewardsProgress.code, code), isNull(rewardsProgress.completedAt)))
    .returning({ code: rewardsProgress.code });
  return rows.length > 0;
}

/** Marks a completed achievement paid unless it already was; true only for the call that marked it. */
export async function markPaidOnce(db: Db, userId: string, code: string, transferId: string | null, at: Date) {
  const rows = await db
    .update(rewardsProgress)
    .set({ paidTransferId: transferId, paidAt: at, updatedAt: at })
    .where(
      and(
        eq(rewardsProgress.userId, userId),
        eq(rewardsProgress.code, code),
        isNotNull(rewardsProgress.completedAt),
        isNull(rewardsProgress.paidAt),
      ),
    )
    .returning({ code: rewardsProgress.code });
  return rows.length > 0;
}

export async function markPaid(db: Db, userId: string, code: string, transferId: string): Promise<void> {
  await db
    .update(rewardsProgress)
    .set({ paidTransferId: transferId })
    .where(and(eq(rewardsProgress.userId, userId), eq(rewardsProgress.code, code)));
}

/** The user's progress rows on `codes` (one statement). */
export async function progressRows(db: Db, userId: string, codes: readonly string[]) {
  if (codes.length === 0) return [];
  return db
    .select()
    .from(rewardsProgress)
    .where(and(eq(rewardsProgress.userId, userId), inArray(rewardsProgress.code, [...codes])));
}

export async function findProgress(db: Db, userId: string, code: string) {
  const [row] = await db
    .select()
    .from(rewardsProgress)
    .where(and(eq(rewardsProgress.userId, userId), eq(rewardsProgress.code, code)));
  return row;
}

/** Every achievement with the user's progress on it (none yet: no row). */
export const progressOf = (db: Db, userId: string) =>
  db
    .select({ achievement: rewardsAchievements, progress: rewardsProgress })
    .from(rewardsAchievements)
    .leftJoin(
      rewardsProgress,
      and(eq(rewardsProgress.code, rewardsAchievements.code), eq(rewardsProgress.userId, userId)),
    )
    .orderBy(asc(rewardsAchievements.position), asc(rewardsAchievements.code));

/** Who completed `code` (for comparing live and backfilled awards). */
export async function completedUsers(db: Db, code: string): Promise<string[]> {
  const rows = await db
    .select({ userId: rewardsProgress.userId })
    .from(rewardsProgress)
    .where(and(eq(rewardsProgress.code, code), isNotNull(rewardsProgress.completedAt)))
    .orderBy(asc(rewardsProgress.userId));
  return rows.map((r) => r.userId);
}

export async function insertPayout(
  db: Db,
  row: { transferId: string; userId: string; source: string; points: bigint; coins: bigint; createdAt: Date },
) {
  await db.insert(rewardsPayouts).values(row);
}

/** One page of a user's payouts, newest first, after the cursor's (createdAt, transferId). */
export const payoutsOf = (db: Db, userId: string, limit: number, after?: { at: Date; id: string }) =>
  db
    .select()
    .from(rewardsPayouts)
    .where(
      and(
        eq(rewardsPayouts.userId, userId),
        after
          ? or(
              lt(rewardsPayouts.createdAt, after.at),
              and(eq(rewardsPayouts.createdAt, after.at), lt(rewardsPayouts.transferId, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(rewardsPayouts.createdAt), desc(rewardsPayouts.transferId))
    .limit(limit);

export async function findCheckin(db: Db, userId: string, day: string) {
  const [row] = await db
    .select()
    .from(rewardsCheckins)
    .where(and(eq(rewardsCheckins.userId, userId), eq(rewardsCheckins.day, day)));
  return row;
}

export async function insertCheckin(db: Db, row: { userId: string; day: string; streak: number; points: bigint }) {
  const rows = await db.insert(rewardsCheckins).values(row).onConflictDoNothing().returning();
  return rows[0];
}

export async function lastCheckin(db: Db, userId: string) {
  const [row] = await db
    .select()
    .from(rewardsCheckins)
    .where(eq(rewardsCheckins.userId, userId))
    .orderBy(desc(rewardsCheckins.day))
    .limit(1);
  return row;
}
