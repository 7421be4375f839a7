import { and, count, desc, eq, inArray, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import {
  communityBotNotes,
  communityComments,
  communityFeed,
  communityFollows,
  communityForks,
  communityHidden,
  communityLikes,
  communityReports,
  communitySharing,
  type CommentRow,
  type FeedRow,
  type FollowTarget,
  type ForkRow,
  type HiddenRow,
  type ReportRow,
  type ReportStatus,
  type ReportTarget,
  type SharingRow,
} from './tables.ts';

/* Every query of the community module. */

// --- sharing ---

export async function findSharing(db: Db, strategyId: string): Promise<SharingRow | null> {
  const [row] = await db.select().from(communitySharing).where(eq(communitySharing.strategyId, strategyId));
  return row ?? null;
}

export function sharingsOf(db: Db, strategyIds: readonly string[]): Promise<SharingRow[]> {
  if (strategyIds.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(communitySharing)
    .where(inArray(communitySharing.strategyId, [...strategyIds]));
}

export function publicSharings(db: Db): Promise<SharingRow[]> {
  return db.select().from(communitySharing).where(eq(communitySharing.visibility, 'public'));
}

/** Creates or changes a strategy's sharing; the previous row comes back too (null when new). */
export async function upsertSharing(
  db: Db,
  row: typeof communitySharing.$inferInsert,
  rotateLink: boolean,
): Promise<SharingRow> {
  const [saved] = await db
    .insert(communitySharing)
    .values(row)
    .onConflictDoUpdate({
      target: communitySharing.strategyId,
      set: {
        visibility: row.visibility,
        mode: row.mode,
        ...(row.description !== undefined ? { description: row.description } : {}),
        ...(rotateLink ? { linkToken: row.linkToken } : {}),
        updatedAt: new Date(),
      },
    })
    .returning();
  return saved as SharingRow;
}

/** Moves the announced version on from `from`; false when another scan already did. */
export async function claimAnnouncement(db: Db, strategyId: string, from: number, to: number): Promise<boolean> {
  const rows = await db
    .update(communitySharing)
    .set({ announcedVersion: to })
    .where(and(eq(communitySharing.strategyId, strategyId), eq(communitySharing.announcedVersion, from)))
    .returning({ id: communitySharing.strategyId });
  return rows.length > 0;
}

// --- forks ---

export async function insertFork(db: Db, row: typeof communityForks.$inferInsert): Promise<ForkRow> {
  const [created] = await db.insert(communityForks).values(row).returning();
  return created as ForkRow;
}

export function forksOf(db: Db, sourceStrategyId: string, limit: number, beforeId?: string): Promise<ForkRow[]> {
  return db
    .select()
    .from(communityForks)
    .where(
      and(
        eq(communityForks.sourceStrategyId, sourceStrategyId),
        beforeId ? lt(communityForks.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(communityForks.id))
    .limit(limit);
}

export async function forkInto(db: Db, forkedStrategyId: string): Promise<ForkRow | null> {
  const [row] = await db.select().from(communityForks).where(eq(communityForks.forkedStrategyId, forkedStrategyId));
  return row ?? null;
}

// --- comments ---

export async function insertComment(db: Db, row: typeof communityComments.$inferInsert): Promise<CommentRow> {
  const [created] = await db.insert(communityComments).values(row).returning();
  return created as CommentRow;
}

export async function findComment(db: Db, id: string): Promise<CommentRow | null> {
  const [row] = await db.select().from(communityComments).where(eq(communityComments.id, id));
  return row ?? null;
}

export function commentsOf(db: Db, botId: string, limit: number, beforeId?: string): Promise<CommentRow[]> {
  return db
    .select()
    .from(communityComments)
    .where(and(eq(communityComments.botId, botId), beforeId ? lt(communityComments.id, beforeId) : undefined))
    .orderBy(desc(communityComments.id))
    .limit(limit);
}

/** Edits the author's live comment posted after `postedAfter`; null when any of that fails. */
export async function editComment(
  db: Db,
  id: string,
  authorId: string,
  body: string,
  postedAfter: Date,
): Promise<CommentRow | null> {
  const [row] = await db
    .update(communityComments)
    .set({ body, editedAt: new Date() })
    .where(
      and(
        eq(communityComments.id, id),
        eq(communityComments.authorId, authorId),
        sql`${communityComments.deletedAt} IS NULL`,
        sql`${communityComments.createdAt} > ${postedAfter}`,
      ),
    )
    .returning();
  return row ?? null;
}

/** Erases the text of the author's comment and marks it deleted; its replies stay in place. */
export async function softDeleteComment(db: Db, id: string, authorId: string): Promise<boolean> {
  const rows = await db
    .update(communityComments)
    .set({ body: '', deletedAt: new Date() })
    .where(
      and(
        eq(communityComments.id, id),
        eq(communityComments.authorId, authorId),
        sql`${communityComments.deletedAt} IS NULL`,
      ),
    )
    .returning({ id: communityComments.id });
  return rows.length > 0;
}

// --- likes ---

export async function like(db: Db, botId: string, userId: string): Promise<void> {
  await db.insert(communityLikes).values({ botId, userId }).onConflictDoNothing();
}

export async function unlike(db: Db, botId: string, userId: string): Promise<void> {
  await db.delete(communityLikes).where(and(eq(communityLikes.botId, botId), eq(communityLikes.userId, userId)));
}

export async function likeCounts(db: Db, botIds: readonly string[]): Promise<Map<string, number>> {
  if (botIds.length === 0) return new Map();
  const rows = await db
    .select({ id: communityLikes.botId, n: count() })
    .from(communityLikes)
    .where(inArray(communityLikes.botId, [...botIds]))
    .groupBy(communityLikes.botId);
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

export async function hasLiked(db: Db, botId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: communityLikes.botId })
    .from(communityLikes)
    .where(and(eq(communityLikes.botId, botId), eq(communityLikes.userId, userId)));
  return row !== undefined;
}

// --- follows ---

/** True when the follow is new. */
export async function follow(db: Db, followerId: string, targetType: FollowTarget, targetId: string): Promise<boolean> {
  const rows = await db
    .insert(communityFollows)
    .values({ followerId, targetType, targetId })
    .onConflictDoNothing()
    .returning({ id: communityFollows.targetId });
  return rows.length > 0;
}

export async function unfollow(db: Db, followerId: string, targetType: FollowTarget, targetId: string): Promise<void> {
  await db
    .delete(communityFollows)
    .where(
      and(
        eq(communityFollows.followerId, followerId),
        eq(communityFollows.targetType, targetType),
        eq(communityFollows.targetId, targetId),
      ),
    );
}

export async function followerCounts(
  db: Db,
  targetType: FollowTarget,
  targetIds: readonly string[],
): Promise<Map<string, number>> {
  if (targetIds.length === 0) return new Map();
  const rows = await db
    .select({ id: communityFollows.targetId, n: count() })
    .from(communityFollows)
    .where(and(eq(communityFollows.targetType, targetType), inArray(communityFollows.targetId, [...targetIds])))
    .groupBy(communityFollows.targetId);
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

export async function isFollowing(
  db: Db,
  followerId: string,
  targetType: FollowTarget,
  targetId: string,
): Promise<boolean> {
  const [row] = await db
    .select({ id: communityFollows.targetId })
    .from(communityFollows)
    .where(
      and(
        eq(communityFollows.followerId, followerId),
        eq(communityFollows.targetType, targetType),
        eq(communityFollows.targetId, targetId),
      ),
    );
  return row !== undefined;
}

/** Who follows any of these targets (distinct). */
export async function followersOf(db: Db, targetType: FollowTarget, targetIds: readonly string[]): Promise<string[]> {
  if (targetIds.length === 0) return [];
  const rows = await db
    .selectDistinct({ id: communityFollows.followerId })
    .from(communityFollows)
    .where(and(eq(communityFollows.targetType, targetType), inArray(communityFollows.targetId, [...targetIds])));
  return rows.map((r) => r.id);
}

// --- feed ---

export async function insertFeed(db: Db, rows: (typeof communityFeed.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await db.insert(communityFeed).values(rows);
}

/**
 * The feed of `followerId`, newest first: rows by the authors they follow, about the bots they
 * follow, or about the strategies those bots run (known from the announced bots), of strategies
 * that are public now, by authors and about bots no moderator hid. One statement.
 */
export function feedRows(db: Db, followerId: string, limit: number, beforeId?: string): Promise<FeedRow[]> {
  const f = communityFeed;
  return db
    .select()
    .from(f)
    .where(
      and(
        or(
          sql`${f.actorId} IN (SELECT c.target_id FROM ${communityFollows} c
                WHERE c.follower_id = ${followerId} AND c.target_type = 'user')`,
          sql`${f.botId} IN (SELECT c.target_id FROM ${communityFollows} c
                WHERE c.follower_id = ${followerId} AND c.target_type = 'bot')`,
          sql`${f.strategyId} IN (SELECT n.strategy_id FROM ${communityBotNotes} n
                JOIN ${communityFollows} c ON c.target_id = n.bot_id AND c.target_type = 'bot'
                WHERE c.follower_id = ${followerId})`,
        ),
        beforeId ? lt(f.id, beforeId) : undefined,
        sql`EXISTS (SELECT 1 FROM ${communitySharing} s WHERE s.strategy_id = ${f.strategyId} AND s.visibility = 'public')`,
        sql`NOT EXISTS (SELECT 1 FROM ${communityHidden} h WHERE (h.target_type = 'user' AND h.target_id = ${f.actorId})
              OR (h.target_type = 'bot' AND h.target_id = ${f.botId}))`,
      ),
    )
    .orderBy(desc(f.id))
    .limit(limit);
}

// --- announced bots and milestones ---

/** Records bots as announced; returns the ids that were not announced before. */
export async function noteBots(db: Db, rows: { botId: string; strategyId: string }[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const created = await db
    .insert(communityBotNotes)
    .values(rows)
    .onConflictDoNothing()
    .returning({ id: communityBotNotes.botId });
  return created.map((r) => r.id);
}

export async function botMilestones(db: Db, botIds: readonly string[]): Promise<Map<string, number>> {
  if (botIds.length === 0) return new Map();
  const rows = await db
    .select({ id: communityBotNotes.botId, pct: communityBotNotes.milestonePct })
    .from(communityBotNotes)
    .where(inArray(communityBotNotes.botId, [...botIds]));
  return new Map(rows.map((r) => [r.id, r.pct]));
}

/** Raises a bot's announced milestone from `from`; false when another scan already did. */
export async function raiseMilestone(db: Db, botId: string, from: number, to: number): Promise<boolean> {
  const rows = await db
    .update(communityBotNotes)
    .set({ milestonePct: to })
    .where(and(eq(communityBotNotes.botId, botId), eq(communityBotNotes.milestonePct, from)))
    .returning({ id: communityBotNotes.botId });
  return rows.length > 0;
}

// --- reports ---

/** A new open report, or null when the reporter already has one open on that target. */
export async function insertReport(db: Db, row: typeof communityReports.$inferInsert): Promise<ReportRow | null> {
  const [created] = await db.insert(communityReports).values(row).onConflictDoNothing().returning();
  return created ?? null;
}

export async function findOpenReport(
  db: Db,
  reporterId: string,
  targetType: ReportTarget,
  targetId: string,
): Promise<ReportRow | null> {
  const [row] = await db
    .select()
    .from(communityReports)
    .where(
      and(
        eq(communityReports.reporterId, reporterId),
        eq(communityReports.targetType, targetType),
        eq(communityReports.targetId, targetId),
        eq(communityReports.status, 'open'),
      ),
    );
  return row ?? null;
}

export async function findReport(db: Db, id: string): Promise<ReportRow | null> {
  const [row] = await db.select().from(communityReports).where(eq(communityReports.id, id));
  return row ?? null;
}

export function reportsByStatus(db: Db, status: ReportStatus, limit: number, beforeId?: string): Promise<ReportRow[]> {
  return db
    .select()
    .from(communityReports)
    .where(and(eq(communityReports.status, status), beforeId ? lt(communityReports.id, beforeId) : undefined))
    .orderBy(desc(communityReports.id))
    .limit(limit);
}

/** Closes an open report; null when it was not open. */
export async function closeReport(
  db: Db,
  id: string,
  patch: { status: 'resolved' | 'dismissed'; resolvedBy: string; resolutionNote: string | null },
): Promise<ReportRow | null> {
  const [row] = await db
    .update(communityReports)
    .set({ ...patch, resolvedAt: new Date() })
    .where(and(eq(communityReports.id, id), eq(communityReports.status, 'open')))
    .returning();
  return row ?? null;
}

// --- hidden content ---

/** Hides a target; returns the row that hides it (the earlier one when it already was). */
export async function hide(db: Db, row: typeof communityHidden.$inferInsert): Promise<HiddenRow> {
  const [created] = await db.insert(communityHidden).values(row).onConflictDoNothing().returning();
  if (created) return created;
  const [found] = await db
    .select()
    .from(communityHidden)
    .where(and(eq(communityHidden.targetType, row.targetType), eq(communityHidden.targetId, row.targetId)));
  return found as HiddenRow;
}

export async function unhide(db: Db, targetType: ReportTarget, targetId: string): Promise<boolean> {
  const rows = await db
    .delete(communityHidden)
    .where(and(eq(communityHidden.targetType, targetType), eq(communityHidden.targetId, targetId)))
    .returning({ id: communityHidden.targetId });
  return rows.length > 0;
}

/** Which of these targets are hidden, as `type:id` keys. */
export async function hiddenAmong(
  db: Db,
  targets: readonly { type: ReportTarget; id: string }[],
): Promise<Set<string>> {
  if (targets.length === 0) return new Set();
  const ids = [...new Set(targets.map((t) => t.id))];
  const rows = await db
    .select({ type: communityHidden.targetType, id: communityHidden.targetId })
    .from(communityHidden)
    .where(inArray(communityHidden.targetId, ids));
  return new Set(rows.map((r) => `${r.type}:${r.id}`));
}

/** Every hidden target of these types, as `type:id` keys (a moderation list: small). */
export async function hiddenOfTypes(db: Db, types: readonly ReportTarget[]): Promise<Set<string>> {
  const rows = await db
    .select({ type: communityHidden.targetType, id: communityHidden.targetId })
    .from(communityHidden)
    .where(inArray(communityHidden.targetType, [...types]));
  return new Set(rows.map((r) => `${r.type}:${r.id}`));
}
