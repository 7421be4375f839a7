import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../../platform/db/tx.ts';
import { ledgerPaymentReversals } from '../tables.ts';

export type ReversalRow = typeof ledgerPaymentReversals.$inferSelect;
export type ReversalStatus = ReversalRow['status'];

export async function insertReversal(db: Db, r: typeof ledgerPaymentReversals.$inferInsert): Promise<ReversalRow> {
  const [row] = await db.insert(ledgerPaymentReversals).values(r).returning();
  if (!row) throw new Error('reversal insert returned nothing');
  return row;
}

export async function getReversal(db: Db, id: string): Promise<ReversalRow | undefined> {
  const [row] = await db.select().from(ledgerPaymentReversals).where(eq(ledgerPaymentReversals.id, id));
  return row;
}

export async function lockReversal(db: Db, id: string): Promise<ReversalRow | undefined> {
  const [row] = await db.select().from(ledgerPaymentReversals).where(eq(ledgerPaymentReversals.id, id)).for('update');
  return row;
}

/** Every reversal of a payment, oldest first (the payment row is locked by the caller). */
export async function reversalsOf(db: Db, paymentId: string): Promise<ReversalRow[]> {
  return db
    .select()
    .from(ledgerPaymentReversals)
    .where(eq(ledgerPaymentReversals.paymentId, paymentId))
    .orderBy(asc(ledgerPaymentReversals.createdAt), asc(ledgerPaymentReversals.id));
}

export async function updateReversal(
  db: Db,
  id: string,
  change: { status?: ReversalStatus; shortfall?: bigint; providerRef?: string },
  onlyIf?: readonly ReversalStatus[],
): Promise<boolean> {
  const rows = await db
    .update(ledgerPaymentReversals)
    .set({ ...change, updatedAt: sql`now()` })
    .where(
      and(eq(ledgerPaymentReversals.id, id), onlyIf ? inArray(ledgerPaymentReversals.status, [...onlyIf]) : undefined),
    )
    .returning({ id: ledgerPaymentReversals.id });
  return rows.length > 0;
}

/** What a user still owes from reversals (sum of unpaid shortfalls): reads the partial index. */
export async function owedBy(db: Db, userId: string): Promise<bigint> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${ledgerPaymentReversals.shortfall}), 0)::text` })
    .from(ledgerPaymentReversals)
    .where(and(eq(ledgerPaymentReversals.userId, userId), sql`${ledgerPaymentReversals.shortfall} > 0`));
  return BigInt(row?.total ?? '0');
}

/** A user's unpaid shortfalls, oldest first, locked for repayment. */
export async function lockOwed(db: Db, userId: string): Promise<ReversalRow[]> {
  return db
    .select()
    .from(ledgerPaymentReversals)
    .where(and(eq(ledgerPaymentReversals.userId, userId), sql`${ledgerPaymentReversals.shortfall} > 0`))
    .orderBy(asc(ledgerPaymentReversals.createdAt), asc(ledgerPaymentReversals.id))
    .for('update');
}

/** What each of `userIds` still owes, for those who owe anything (one statement for a batch of orders). */
export async function owedAmong(db: Db, userIds: readonly string[]): Promise<Map<string, bigint>> {
  if (userIds.length === 0) return new Map();
  const rows = await db
    .select({
      userId: ledgerPaymentReversals.userId,
      total: sql<string>`sum(${ledgerPaymentReversals.shortfall})::text`,
    })
    .from(ledgerPaymentReversals)
    .where(
      and(inArray(ledgerPaymentReversals.userId, [...new Set(userIds)]), sql`${ledgerPaymentReversals.shortfall} > 0`),
    )
    .groupBy(ledgerPaymentReversals.userId);
  return new Map(rows.map((r) => [r.userId, BigInt(r.total)]));
}
