import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { cardSets, cards, wishlist } from './tables.ts';

/** Non-retired cards per set, and how many of them are among `ownedCardIds`. */
export async function setCompletion(db: Db, ownedCardIds: readonly string[]) {
  const owned = ownedCardIds.length > 0 ? inArray(cards.id, [...ownedCardIds]) : sql`false`;
  return db
    .select({
      id: cardSets.id,
      code: cardSets.code,
      name: cardSets.name,
      total: sql<number>`count(${cards.id})::int`,
      owned: sql<number>`(count(${cards.id}) FILTER (WHERE ${owned}))::int`,
    })
    .from(cardSets)
    .leftJoin(cards, and(eq(cards.setId, cardSets.id), isNull(cards.retiredAt)))
    .where(isNull(cardSets.retiredAt))
    .groupBy(cardSets.id)
    .orderBy(sql`${cardSets.releaseDate} DESC`, asc(cardSets.id));
}

export type WishRow = typeof wishlist.$inferSelect;

export async function wishlistOf(db: Db, userId: string): Promise<WishRow[]> {
  return db.select().from(wishlist).where(eq(wishlist.userId, userId)).orderBy(asc(wishlist.createdAt));
}

/**
 * Serialises changes to one user's wishlist until the transaction ends, so two additions at once
 * cannot both pass the size check.
 */
export async function lockWishlist(db: Db, userId: string): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended(${`cards.wishlist:${userId}`}, 0))`);
}

export async function countWishes(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(wishlist)
    .where(eq(wishlist.userId, userId));
  return row?.n ?? 0;
}

export async function upsertWish(
  db: Db,
  row: { userId: string; cardId: string; variantLevel: number | null; note: string | null },
): Promise<void> {
  await db
    .insert(wishlist)
    .values(row)
    .onConflictDoUpdate({
      target: [wishlist.userId, wishlist.cardId],
      set: { variantLevel: row.variantLevel, note: row.note },
    });
}

export async function deleteWish(db: Db, userId: string, cardId: string): Promise<boolean> {
  const rows = await db
    .delete(wishlist)
    .where(and(eq(wishlist.userId, userId), eq(wishlist.cardId, cardId)))
    .returning({ cardId: wishlist.cardId });
  return rows.length > 0;
}
