import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import type { PoolCard } from './draw.ts';
import { cardSets, cardVariants, cards, openingPulls, openings, packProducts, pityCounters } from './tables.ts';

/** SQL of pack products, print runs, pity counters and openings. */

export type ProductRow = typeof packProducts.$inferSelect;
export type OpeningRow = typeof openings.$inferSelect;

export async function insertProduct(db: Db, values: typeof packProducts.$inferInsert): Promise<ProductRow | null> {
  const [row] = await db.insert(packProducts).values(values).onConflictDoNothing().returning();
  return row ?? null;
}

export async function findProduct(db: Db, id: string): Promise<ProductRow | null> {
  const [row] = await db.select().from(packProducts).where(eq(packProducts.id, id));
  return row ?? null;
}

export async function listProducts(db: Db, includeRetired: boolean): Promise<ProductRow[]> {
  return db
    .select()
    .from(packProducts)
    .where(includeRetired ? undefined : isNull(packProducts.retiredAt))
    .orderBy(asc(packProducts.price), asc(packProducts.id));
}

export async function updateProduct(
  db: Db,
  id: string,
  patch: Partial<Omit<typeof packProducts.$inferInsert, 'id' | 'asset' | 'createdAt'>>,
): Promise<ProductRow | null> {
  const [row] = await db
    .update(packProducts)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(packProducts.id, id))
    .returning();
  return row ?? null;
}

export async function productWasOpened(db: Db, id: string): Promise<boolean> {
  const rows = await db.select({ id: openings.id }).from(openings).where(eq(openings.productId, id)).limit(1);
  return rows.length > 0;
}

export async function deleteProduct(db: Db, id: string): Promise<void> {
  await db.delete(pityCounters).where(eq(pityCounters.productId, id));
  await db.delete(packProducts).where(eq(packProducts.id, id));
}

export async function existingSetIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: cardSets.id })
    .from(cardSets)
    .where(inArray(cardSets.id, [...ids]));
  return new Set(rows.map((r) => r.id));
}

/** Cards a product draws from: not retired, in a set that is not retired, ordered by id. */
export async function poolCards(db: Db, setIds: readonly string[]): Promise<PoolCard[]> {
  return (await poolCardsWithSet(db, setIds)).map((r) => r.card);
}

/** `poolCards` of every set in `setIds` (every set when empty), each with its set id, in pool order. */
export async function poolCardsWithSet(
  db: Db,
  setIds: readonly string[],
): Promise<{ setId: string; card: PoolCard }[]> {
  const rows = await db
    .select({ cardId: cards.id, setId: cards.setId, rarity: cards.rarity, maxSupply: cards.maxSupply })
    .from(cards)
    .innerJoin(cardSets, eq(cardSets.id, cards.setId))
    .where(
      and(
        isNull(cards.retiredAt),
        isNull(cardSets.retiredAt),
        setIds.length > 0 ? inArray(cards.setId, [...setIds]) : undefined,
      ),
    )
    .orderBy(sql`${cards.id}::text COLLATE "C"`);
  return rows.map((r) => ({
    setId: r.setId,
    card: { cardId: r.cardId, rarity: r.rarity, maxSupply: r.maxSupply === null ? null : Number(r.maxSupply) },
  }));
}

export interface BaseVariant {
  cardId: string;
  variantId: string;
  asset: string;
  minted: bigint;
  maxSupply: bigint | null;
}

/**
 * The base variants of `cardIds`, locked in id order when `lock` is set: an opening holds the
 * print runs it may draw from until it commits, so two openings never both take the last copy.
 */
export async function baseVariants(db: Db, cardIds: readonly string[], lock: boolean): Promise<BaseVariant[]> {
  if (cardIds.length === 0) return [];
  const query = db
    .select({
      cardId: cardVariants.cardId,
      variantId: cardVariants.id,
      asset: cardVariants.asset,
      minted: cardVariants.minted,
      maxSupply: cards.maxSupply,
    })
    .from(cardVariants)
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .where(and(inArray(cardVariants.cardId, [...cardIds]), eq(cardVariants.level, 0)))
    .orderBy(asc(cardVariants.id));
  return lock ? query.for('update', { of: cardVariants }) : query;
}

/**
 * Counts `count` more copies of a variant as minted. The condition re-checks the print run, so even
 * a caller that forgot the lock cannot over-mint: it gets false and must roll back.
 */
export async function addMinted(db: Db, variantId: string, count: bigint): Promise<boolean> {
  const rows = await db.execute<{ id: string }>(sql`
    UPDATE ${cardVariants} v SET minted = v.minted + ${count}
    FROM ${cards} c
    WHERE v.id = ${variantId} AND c.id = v.card_id
      AND (v.level > 0 OR c.max_supply IS NULL OR v.minted + ${count} <= c.max_supply)
    RETURNING v.id`);
  return rows.rows.length === 1;
}

export async function pityCounter(db: Db, userId: string, productId: string): Promise<number> {
  const [row] = await db
    .select({ counter: pityCounters.counter })
    .from(pityCounters)
    .where(and(eq(pityCounters.userId, userId), eq(pityCounters.productId, productId)));
  return row?.counter ?? 0;
}

export async function pityCountersOf(db: Db, userId: string): Promise<Map<string, number>> {
  const rows = await db.select().from(pityCounters).where(eq(pityCounters.userId, userId));
  return new Map(rows.map((r) => [r.productId, r.counter]));
}

export async function setPityCounter(db: Db, userId: string, productId: string, counter: number): Promise<void> {
  await db
    .insert(pityCounters)
    .values({ userId, productId, counter })
    .onConflictDoUpdate({
      target: [pityCounters.userId, pityCounters.productId],
      set: { counter, updatedAt: sql`now()` },
    });
}

export async function insertOpening(
  db: Db,
  row: typeof openings.$inferInsert,
  pulls: { slot: number; cardId: string }[],
): Promise<OpeningRow> {
  const [inserted] = await db.insert(openings).values(row).returning();
  if (!inserted) throw new Error('opening insert returned nothing');
  if (pulls.length > 0) {
    await db.insert(openingPulls).values(
      pulls.map((p) => ({
        openingId: inserted.id,
        slot: p.slot,
        cardId: p.cardId,
        productId: inserted.productId,
        pityApplied: inserted.pityApplied,
        createdAt: inserted.createdAt,
      })),
    );
  }
  return inserted;
}

export async function findOpening(db: Db, id: string): Promise<OpeningRow | null> {
  const [row] = await db.select().from(openings).where(eq(openings.id, id));
  return row ?? null;
}
