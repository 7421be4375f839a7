import { and, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../../platform/db/tx.ts';
import { ledgerPaymentEvents, ledgerPayments } from '../tables.ts';

export type PaymentRow = typeof ledgerPayments.$inferSelect;

export async function insertPayment(db: Db, p: typeof ledgerPayments.$inferInsert): Promise<PaymentRow> {
  const [row] = await db.insert(ledgerPayments).values(p).returning();
  if (!row) throw new Error('payment insert returned nothing');
  return row;
}

export async function getPayment(db: Db, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db.select().from(ledgerPayments).where(eq(ledgerPayments.id, id));
  return row;
}

/** A payment locked for a change of state (registration failure, settlement). */
export async function lockPayment(db: Db, id: string): Promise<PaymentRow | undefined> {
  const [row] = await db.select().from(ledgerPayments).where(eq(ledgerPayments.id, id)).for('update');
  return row;
}

/**
 * Records the provider's id for a payment not yet registered; false when it already was (a
 * repeated registration), in which case nothing changes.
 */
export async function recordRegistration(
  db: Db,
  id: string,
  providerPaymentId: string,
  providerCheckoutUrl?: string,
): Promise<boolean> {
  const rows = await db
    .update(ledgerPayments)
    .set({ providerPaymentId, ...(providerCheckoutUrl ? { providerCheckoutUrl } : {}), updatedAt: sql`now()` })
    .where(and(eq(ledgerPayments.id, id), isNull(ledgerPayments.providerPaymentId)))
    .returning({ id: ledgerPayments.id });
  return rows.length > 0;
}

/**
 * The payment a provider event is about, locked so its events apply one at a time: by our own id
 * when the provider echoes it back, else by the provider's id or the second reference it recorded.
 */
export async function lockPaymentByProviderId(
  db: Db,
  provider: string,
  providerPaymentId: string,
  paymentId?: string,
): Promise<PaymentRow | undefined> {
  const match = paymentId
    ? eq(ledgerPayments.id, paymentId)
    : or(
        eq(ledgerPayments.providerPaymentId, providerPaymentId),
        eq(ledgerPayments.providerReference, providerPaymentId),
      );
  const [row] = await db
    .select()
    .from(ledgerPayments)
    .where(and(eq(ledgerPayments.provider, provider), match))
    .limit(1)
    .for('update');
  return row;
}

/** Keeps the first second reference a provider names a payment by (see `provider_reference`). */
export async function recordProviderReference(db: Db, id: string, reference: string): Promise<void> {
  await db
    .update(ledgerPayments)
    .set({ providerReference: reference, updatedAt: sql`now()` })
    .where(and(eq(ledgerPayments.id, id), isNull(ledgerPayments.providerReference)));
}

export async function settlePayment(
  db: Db,
  id: string,
  change: { status: 'succeeded' | 'failed'; transferId?: string; failureReason?: string | null },
): Promise<void> {
  await db
    .update(ledgerPayments)
    .set({
      status: change.status,
      ...(change.transferId ? { transferId: change.transferId } : {}),
      failureReason: change.failureReason ?? null,
      updatedAt: sql`now()`,
    })
    .where(and(eq(ledgerPayments.id, id), eq(ledgerPayments.status, 'pending')));
}

export async function providerEventSeen(db: Db, provider: string, eventId: string): Promise<boolean> {
  const rows = await db
    .select({ eventId: ledgerPaymentEvents.eventId })
    .from(ledgerPaymentEvents)
    .where(and(eq(ledgerPaymentEvents.provider, provider), eq(ledgerPaymentEvents.eventId, eventId)));
  return rows.length > 0;
}

/** Records a processed provider event; false when this event id was already recorded. */
export async function recordProviderEvent(
  db: Db,
  e: { provider: string; eventId: string; paymentId: string; type: string; outcome: string },
): Promise<boolean> {
  const rows = await db
    .insert(ledgerPaymentEvents)
    .values(e)
    .onConflictDoNothing()
    .returning({ eventId: ledgerPaymentEvents.eventId });
  return rows.length > 0;
}

/** What a user has deposited (pending or succeeded) since `since`. */
export async function depositedSince(db: Db, userId: string, since: Date): Promise<bigint> {
  const [row] = await db
    .select({ total: sql<string>`coalesce(sum(${ledgerPayments.amount}), 0)::text` })
    .from(ledgerPayments)
    .where(
      and(
        eq(ledgerPayments.userId, userId),
        eq(ledgerPayments.direction, 'deposit'),
        sql`${ledgerPayments.status} <> 'failed'`,
        sql`${ledgerPayments.createdAt} >= ${since}`,
      ),
    );
  return BigInt(row?.total ?? '0');
}
