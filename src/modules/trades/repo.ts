import { and, desc, eq, lt, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { tradeOffers, type OfferRow, type OfferStatus } from './tables.ts';

export type NewOffer = Omit<OfferRow, 'status' | 'createdAt' | 'closedAt'>;

export async function insertOffer(db: Db, offer: NewOffer): Promise<OfferRow> {
  const [row] = await db.insert(tradeOffers).values(offer).returning();
  if (!row) throw new Error('trade offer insert returned nothing');
  return row;
}

export async function findOffer(db: Db, id: string): Promise<OfferRow | undefined> {
  const [row] = await db.select().from(tradeOffers).where(eq(tradeOffers.id, id));
  return row;
}

/**
 * Serialises a user's offer creation, so two concurrent proposals cannot both slip under the
 * open-offer limit (released at commit).
 */
export async function lockProposer(db: Db, userId: string): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`trades:${userId}`}, 0))`);
}

export async function countOpenBy(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(tradeOffers)
    .where(and(eq(tradeOffers.proposerId, userId), eq(tradeOffers.status, 'open')));
  return row?.n ?? 0;
}

/**
 * Closes an open offer if it is still open (and, when given, the caller is the expected party and
 * it has not expired). The row lock makes a concurrent close wait and then find it closed, so
 * exactly one of two racing actions wins.
 */
export async function closeOpenOffer(
  db: Db,
  id: string,
  status: Exclude<OfferStatus, 'open'>,
  where: { recipientId?: string; proposerId?: string; unexpired?: boolean; due?: boolean },
): Promise<OfferRow | undefined> {
  const conditions: SQL[] = [eq(tradeOffers.id, id), eq(tradeOffers.status, 'open')];
  if (where.recipientId) conditions.push(eq(tradeOffers.recipientId, where.recipientId));
  if (where.proposerId) conditions.push(eq(tradeOffers.proposerId, where.proposerId));
  if (where.unexpired) conditions.push(sql`${tradeOffers.expiresAt} > now()`);
  if (where.due) conditions.push(lte(tradeOffers.expiresAt, sql`now()`));
  const [row] = await db
    .update(tradeOffers)
    .set({ status, closedAt: sql`now()` })
    .where(and(...conditions))
    .returning();
  return row;
}

export async function dueOfferIds(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: tradeOffers.id })
    .from(tradeOffers)
    .where(and(eq(tradeOffers.status, 'open'), lte(tradeOffers.expiresAt, sql`now()`)))
    .orderBy(tradeOffers.expiresAt)
    .limit(limit);
  return rows.map((r) => r.id);
}

export type Box = 'incoming' | 'outgoing' | 'history';

/** A page of a user's offers, newest first, after `cursor` (an offer id). */
export async function listOffers(
  db: Db,
  userId: string,
  box: Box,
  limit: number,
  cursor?: string,
): Promise<OfferRow[]> {
  const mine =
    box === 'incoming'
      ? and(eq(tradeOffers.recipientId, userId), eq(tradeOffers.status, 'open'))
      : box === 'outgoing'
        ? and(eq(tradeOffers.proposerId, userId), eq(tradeOffers.status, 'open'))
        : and(
            or(eq(tradeOffers.proposerId, userId), eq(tradeOffers.recipientId, userId)),
            ne(tradeOffers.status, 'open'),
          );
  return db
    .select()
    .from(tradeOffers)
    .where(cursor ? and(mine, lt(tradeOffers.id, cursor)) : mine)
    .orderBy(desc(tradeOffers.id))
    .limit(limit);
}
