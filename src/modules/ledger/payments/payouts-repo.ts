import { and, asc, desc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../../platform/db/tx.ts';
import { ledgerPayments, payoutDestinations } from '../tables.ts';
import type { PaymentRow } from './repo.ts';

export type DestinationRow = typeof payoutDestinations.$inferSelect;

/** The columns a listing shows: never the sealed details. */
const listed = {
  id: payoutDestinations.id,
  kind: payoutDestinations.kind,
  last4: payoutDestinations.last4,
  label: payoutDestinations.label,
  createdAt: payoutDestinations.createdAt,
};
export type ListedDestination = { [K in keyof typeof listed]: DestinationRow[K] };

export async function insertDestination(db: Db, d: typeof payoutDestinations.$inferInsert): Promise<ListedDestination> {
  const [row] = await db.insert(payoutDestinations).values(d).returning(listed);
  if (!row) throw new Error('payout destination insert returned nothing');
  return row;
}

/** A user's destinations still in use, newest first (at most `limit`). */
export async function listDestinations(db: Db, userId: string, limit = 100): Promise<ListedDestination[]> {
  return db
    .select(listed)
    .from(payoutDestinations)
    .where(and(eq(payoutDestinations.userId, userId), isNull(payoutDestinations.removedAt)))
    .orderBy(desc(payoutDestinations.createdAt), desc(payoutDestinations.id))
    .limit(limit);
}

export async function countDestinations(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(payoutDestinations)
    .where(and(eq(payoutDestinations.userId, userId), isNull(payoutDestinations.removedAt)));
  return row?.n ?? 0;
}

export async function hasDestinations(db: Db, userId: string): Promise<boolean> {
  const rows = await db
    .select({ id: payoutDestinations.id })
    .from(payoutDestinations)
    .where(and(eq(payoutDestinations.userId, userId), isNull(payoutDestinations.removedAt)))
    .limit(1);
  return rows.length > 0;
}

/** Marks the user's destination removed; false when it is not theirs or already removed. */
export async function removeDestination(db: Db, userId: string, id: string): Promise<ListedDestination | undefined> {
  const [row] = await db
    .update(payoutDestinations)
    .set({ removedAt: sql`now()` })
    .where(
      and(eq(payoutDestinations.id, id), eq(payoutDestinations.userId, userId), isNull(payoutDestinations.removedAt)),
    )
    .returning(listed);
  return row;
}

/**
 * The user's destination for a new payout, locked against removal until the payout commits, with
 * whether it has passed its cooldown on the database's clock.
 */
export async function lockDestinationForPayout(db: Db, userId: string, id: string, cooldownSeconds: number) {
  const [row] = await db
    .select({
      id: payoutDestinations.id,
      usableFrom: sql<string>`(${payoutDestinations.createdAt} + make_interval(secs => ${cooldownSeconds}))::text`,
      ready: sql<boolean>`${payoutDestinations.createdAt} + make_interval(secs => ${cooldownSeconds}) <= now()`,
    })
    .from(payoutDestinations)
    .where(
      and(eq(payoutDestinations.id, id), eq(payoutDestinations.userId, userId), isNull(payoutDestinations.removedAt)),
    )
    .for('share');
  return row ? { id: row.id, ready: row.ready, usableFrom: new Date(row.usableFrom) } : undefined;
}

/** A destination by id whoever owns it or whether removed: a committed payout is paid where it was sent. */
export async function getDestination(db: Db, id: string): Promise<DestinationRow | undefined> {
  const [row] = await db.select().from(payoutDestinations).where(eq(payoutDestinations.id, id));
  return row;
}

/** Payouts of one status, oldest first (a review queue is worked in order), after `afterId`. */
export async function listPayouts(
  db: Db,
  q: { status: PaymentRow['status']; limit: number; afterId?: string | undefined },
) {
  return db
    .select({
      payment: ledgerPayments,
      destination: { id: payoutDestinations.id, kind: payoutDestinations.kind, last4: payoutDestinations.last4 },
    })
    .from(ledgerPayments)
    .leftJoin(payoutDestinations, eq(payoutDestinations.id, ledgerPayments.destinationId))
    .where(
      and(
        eq(ledgerPayments.direction, 'payout'),
        eq(ledgerPayments.status, q.status),
        q.afterId ? gt(ledgerPayments.id, q.afterId) : undefined,
      ),
    )
    .orderBy(asc(ledgerPayments.id))
    .limit(q.limit);
}

/**
 * Moves a payout out of review, only if it is still there: of two admins deciding at once, the
 * second finds no row (the first's update holds the row until it commits, then no longer matches).
 */
export async function decideReview(
  db: Db,
  id: string,
  change: { status: 'pending' } | { status: 'failed'; failureReason: string },
): Promise<PaymentRow | undefined> {
  const [row] = await db
    .update(ledgerPayments)
    .set({ ...change, updatedAt: sql`now()` })
    .where(and(eq(ledgerPayments.id, id), eq(ledgerPayments.direction, 'payout'), eq(ledgerPayments.status, 'review')))
    .returning();
  return row;
}

export async function getPayout(db: Db, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db
    .select()
    .from(ledgerPayments)
    .where(and(eq(ledgerPayments.id, id), eq(ledgerPayments.direction, 'payout')));
  return row;
}
