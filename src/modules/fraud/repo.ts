import { and, arrayContains, asc, desc, eq, inArray, isNotNull, isNull, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import {
  fraudActivity,
  fraudFlags,
  fraudHolds,
  type FlagOutcome,
  type FlagRow,
  type FlagStatus,
  type FraudRule,
  type HoldRow,
  type Severity,
  type StoredAmount,
} from './tables.ts';

export type NewActivity = typeof fraudActivity.$inferInsert;

export async function insertActivity(db: Db, rows: NewActivity[]): Promise<void> {
  if (rows.length > 0) await db.insert(fraudActivity).values(rows);
}

/** The last exchange price of a variant at or before `at`, before this trade's rows are written. */
export async function lastPrice(db: Db, variantId: string, at: Date): Promise<bigint | null> {
  const [row] = await db
    .select({ price: fraudActivity.price })
    .from(fraudActivity)
    .where(and(eq(fraudActivity.variantId, variantId), isNotNull(fraudActivity.price), lte(fraudActivity.at, at)))
    .orderBy(desc(fraudActivity.at), desc(fraudActivity.id))
    .limit(1);
  return row?.price ?? null;
}

/** Last exchange price per variant (null when never traded). */
export async function lastPrices(db: Db, variantIds: string[], at: Date): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const id of variantIds) {
    const p = await lastPrice(db, id, at);
    if (p !== null) out.set(id, p);
  }
  return out;
}

/**
 * Trades of `userId` with `counterpartyId` per variant since `since` (this one included once its
 * rows are written), and whether the variant moved both ways between them.
 */
export async function pairHistory(
  db: Db,
  userId: string,
  counterpartyId: string,
  variantIds: string[],
  since: Date,
): Promise<{ variantId: string; trades: number; bothDirections: boolean }[]> {
  if (variantIds.length === 0) return [];
  const rows = await db
    .select({
      variantId: fraudActivity.variantId,
      trades: sql<number>`count(DISTINCT ${fraudActivity.reference})::int`,
      ins: sql<number>`count(*) FILTER (WHERE ${fraudActivity.direction} = 'in')::int`,
      outs: sql<number>`count(*) FILTER (WHERE ${fraudActivity.direction} = 'out')::int`,
    })
    .from(fraudActivity)
    .where(
      and(
        eq(fraudActivity.userId, userId),
        eq(fraudActivity.counterpartyId, counterpartyId),
        inArray(fraudActivity.variantId, variantIds),
        sql`${fraudActivity.at} >= ${since}`,
      ),
    )
    .groupBy(fraudActivity.variantId);
  return rows.map((r) => ({
    variantId: r.variantId ?? '',
    trades: Number(r.trades),
    bothDirections: Number(r.ins) > 0 && Number(r.outs) > 0,
  }));
}

/** Distinct trades per user since `since`. */
export async function tradeCounts(db: Db, userIds: string[], since: Date): Promise<Map<string, number>> {
  const rows = await db
    .select({ userId: fraudActivity.userId, n: sql<number>`count(DISTINCT ${fraudActivity.reference})::int` })
    .from(fraudActivity)
    .where(and(inArray(fraudActivity.userId, userIds), sql`${fraudActivity.at} >= ${since}`))
    .groupBy(fraudActivity.userId);
  return new Map(rows.map((r) => [r.userId, Number(r.n)]));
}

export interface NewFlag {
  id: string;
  rule: FraudRule;
  severity: Severity;
  userIds: string[];
  variantId: string | null;
  reference: string;
  details: Record<string, unknown>;
}

/** Raises a flag unless the rule already flagged this reference; returns it only when new. */
export async function insertFlag(db: Db, flag: NewFlag): Promise<FlagRow | undefined> {
  const [row] = await db
    .insert(fraudFlags)
    .values(flag)
    .onConflictDoNothing({ target: [fraudFlags.rule, fraudFlags.reference] })
    .returning();
  return row;
}

export async function findFlag(db: Db, id: string): Promise<FlagRow | undefined> {
  const [row] = await db.select().from(fraudFlags).where(eq(fraudFlags.id, id));
  return row;
}

export interface FlagFilter {
  status: FlagStatus;
  rule?: FraudRule;
  userId?: string;
  /** Flags older than this id (the previous page's last). */
  before?: string;
  limit: number;
}

/** Newest first. */
export async function listFlags(db: Db, f: FlagFilter): Promise<FlagRow[]> {
  const where: SQL[] = [eq(fraudFlags.status, f.status)];
  if (f.rule) where.push(eq(fraudFlags.rule, f.rule));
  if (f.userId) where.push(arrayContains(fraudFlags.userIds, [f.userId]));
  if (f.before) where.push(lt(fraudFlags.id, f.before));
  return db
    .select()
    .from(fraudFlags)
    .where(and(...where))
    .orderBy(desc(fraudFlags.id))
    .limit(f.limit);
}

/** Resolves an open flag; undefined when it is unknown or no longer open. */
export async function resolveOpenFlag(
  db: Db,
  id: string,
  r: { outcome: FlagOutcome; note: string | null; resolvedBy: string },
): Promise<FlagRow | undefined> {
  const [row] = await db
    .update(fraudFlags)
    .set({ status: 'resolved', outcome: r.outcome, note: r.note, resolvedBy: r.resolvedBy, resolvedAt: new Date() })
    .where(and(eq(fraudFlags.id, id), eq(fraudFlags.status, 'open')))
    .returning();
  return row;
}

export async function insertHold(
  db: Db,
  hold: {
    id: string;
    flagId: string;
    userId: string;
    reference: string;
    escrowAccountId: string;
    amounts: StoredAmount[];
    reason: string;
    releaseAt: Date;
  },
): Promise<HoldRow> {
  const [row] = await db.insert(fraudHolds).values(hold).returning();
  if (!row) throw new Error('hold insert returned nothing');
  return row;
}

export async function holdsByReference(db: Db, references: string[]): Promise<HoldRow[]> {
  if (references.length === 0) return [];
  return db
    .select()
    .from(fraudHolds)
    .where(inArray(fraudHolds.reference, references))
    .orderBy(asc(fraudHolds.createdAt), asc(fraudHolds.id));
}

export async function holdsOfFlags(db: Db, flagIds: string[]): Promise<HoldRow[]> {
  if (flagIds.length === 0) return [];
  return db.select().from(fraudHolds).where(inArray(fraudHolds.flagId, flagIds)).orderBy(asc(fraudHolds.id));
}

export async function dueHoldIds(db: Db, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: fraudHolds.id })
    .from(fraudHolds)
    .where(and(isNull(fraudHolds.releasedAt), lte(fraudHolds.releaseAt, now)))
    .orderBy(asc(fraudHolds.releaseAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Marks a hold released; undefined when it already was (a concurrent release won). */
export async function markReleased(db: Db, id: string, due?: Date): Promise<HoldRow | undefined> {
  const where = [eq(fraudHolds.id, id), isNull(fraudHolds.releasedAt)];
  if (due) where.push(lte(fraudHolds.releaseAt, due));
  const [row] = await db
    .update(fraudHolds)
    .set({ releasedAt: new Date() })
    .where(and(...where))
    .returning();
  return row;
}

/** Of these references, those with a wash-trading flag staff have not dismissed (open or confirmed). */
export async function washFlaggedReferences(db: Db, references: readonly string[]): Promise<Set<string>> {
  if (references.length === 0) return new Set();
  const rows = await db
    .select({ reference: fraudFlags.reference })
    .from(fraudFlags)
    .where(
      and(
        eq(fraudFlags.rule, 'wash_trading'),
        inArray(fraudFlags.reference, [...references]),
        sql`${fraudFlags.outcome} IS DISTINCT FROM 'dismissed'`,
      ),
    );
  return new Set(rows.map((r) => r.reference));
}
