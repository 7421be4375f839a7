import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { cardSets, cardVariants, cards, openingPulls, upgrades, wishlist } from './tables.ts';

/** The catalogue's SQL: sets, cards and their variants. */

export type SetRow = typeof cardSets.$inferSelect;
export type CardRow = typeof cards.$inferSelect & { setCode: string; setName: string };
export type VariantRow = typeof cardVariants.$inferSelect;
export type NewCard = Omit<typeof cards.$inferInsert, 'setLabel'>;

const setLabel = (code: string, name: string) => `${code} ${name}`;

// ---- sets

export async function insertSet(db: Db, values: typeof cardSets.$inferInsert): Promise<SetRow | null> {
  const [row] = await db.insert(cardSets).values(values).onConflictDoNothing().returning();
  return row ?? null;
}

export async function findSet(db: Db, idOrCode: string): Promise<SetRow | null> {
  const byId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrCode);
  const [row] = await db
    .select()
    .from(cardSets)
    .where(byId ? eq(cardSets.id, idOrCode.toLowerCase()) : eq(cardSets.code, idOrCode.toUpperCase()));
  return row ?? null;
}

export async function listSets(db: Db, includeRetired: boolean): Promise<(SetRow & { cardCount: number })[]> {
  return db
    .select({
      ...cardSetColumns,
      // Spelled out: drizzle drops table qualifiers inside a select list, which would make this self-referential.
      cardCount: sql<number>`(SELECT count(*)::int FROM cards_cards c WHERE c.set_id = cards_sets.id)`,
    })
    .from(cardSets)
    .where(includeRetired ? undefined : isNull(cardSets.retiredAt))
    .orderBy(desc(cardSets.releaseDate), asc(cardSets.id));
}

const cardSetColumns = {
  id: cardSets.id,
  code: cardSets.code,
  name: cardSets.name,
  description: cardSets.description,
  releaseDate: cardSets.releaseDate,
  retiredAt: cardSets.retiredAt,
  createdAt: cardSets.createdAt,
  updatedAt: cardSets.updatedAt,
};

export async function countCardsInSet(db: Db, setId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(cards)
    .where(eq(cards.setId, setId));
  return row?.n ?? 0;
}

/** Updates a set and, in the same statement batch, the search label its cards carry. */
export async function updateSet(
  db: Db,
  id: string,
  patch: Partial<Pick<SetRow, 'code' | 'name' | 'description' | 'releaseDate' | 'retiredAt'>>,
): Promise<SetRow | null> {
  const [row] = await db
    .update(cardSets)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(cardSets.id, id))
    .returning();
  if (row && (patch.code !== undefined || patch.name !== undefined)) {
    await db
      .update(cards)
      .set({ setLabel: setLabel(row.code, row.name) })
      .where(eq(cards.setId, id));
  }
  return row ?? null;
}

export async function deleteSet(db: Db, id: string): Promise<boolean> {
  const rows = await db.delete(cardSets).where(eq(cardSets.id, id)).returning({ id: cardSets.id });
  return rows.length > 0;
}

// ---- cards

/** Card columns with the set's code and name, for selects joined with the set. */
export const cardColumns = {
  id: cards.id,
  setId: cards.setId,
  number: cards.number,
  name: cards.name,
  rarity: cards.rarity,
  rarityRank: cards.rarityRank,
  element: cards.element,
  stats: cards.stats,
  text: cards.text,
  artUrl: cards.artUrl,
  maxSupply: cards.maxSupply,
  maxLevel: cards.maxLevel,
  price: cards.price,
  setLabel: cards.setLabel,
  searchText: cards.searchText,
  search: cards.search,
  retiredAt: cards.retiredAt,
  createdAt: cards.createdAt,
  updatedAt: cards.updatedAt,
  setCode: cardSets.code,
  setName: cardSets.name,
};

/** Inserts a card of `set` (its search label comes from the set); null when the set number is taken. */
export async function insertCard(db: Db, values: NewCard, set: SetRow): Promise<string | null> {
  const [row] = await db
    .insert(cards)
    .values({ ...values, setLabel: setLabel(set.code, set.name) })
    .onConflictDoNothing()
    .returning({ id: cards.id });
  return row?.id ?? null;
}

export async function insertVariants(db: Db, rows: (typeof cardVariants.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await db.insert(cardVariants).values(rows);
}

export async function findCards(db: Db, ids: readonly string[]): Promise<CardRow[]> {
  if (ids.length === 0) return [];
  return db
    .select(cardColumns)
    .from(cards)
    .innerJoin(cardSets, eq(cardSets.id, cards.setId))
    .where(inArray(cards.id, [...ids]));
}

export async function findCard(db: Db, id: string): Promise<CardRow | null> {
  return (await findCards(db, [id]))[0] ?? null;
}

export async function updateCard(
  db: Db,
  id: string,
  patch: Partial<Omit<NewCard, 'id' | 'createdAt'>>,
  set?: SetRow,
): Promise<boolean> {
  const rows = await db
    .update(cards)
    .set({ ...patch, ...(set ? { setLabel: setLabel(set.code, set.name) } : {}), updatedAt: sql`now()` })
    .where(eq(cards.id, id))
    .returning({ id: cards.id });
  return rows.length > 0;
}

/** Removes a card that was never minted, with its variants and wishlist entries. */
export async function deleteCard(db: Db, id: string): Promise<void> {
  await db.delete(wishlist).where(eq(wishlist.cardId, id));
  await db.delete(cardVariants).where(eq(cardVariants.cardId, id));
  await db.delete(cards).where(eq(cards.id, id));
}

/** Whether a card ever left the mint: minted copies, pulls or upgrades point at it. */
export async function cardWasIssued(db: Db, id: string): Promise<boolean> {
  const r = await db.execute<{ issued: boolean }>(sql`
    SELECT EXISTS (SELECT 1 FROM ${cardVariants} WHERE ${cardVariants.cardId} = ${id} AND ${cardVariants.minted} > 0)
        OR EXISTS (SELECT 1 FROM ${openingPulls} WHERE ${openingPulls.cardId} = ${id})
        OR EXISTS (SELECT 1 FROM ${upgrades} WHERE ${upgrades.cardId} = ${id}) AS issued`);
  return r.rows[0]?.issued === true;
}

export async function variantsOf(db: Db, cardIds: readonly string[]): Promise<VariantRow[]> {
  if (cardIds.length === 0) return [];
  return db
    .select()
    .from(cardVariants)
    .where(inArray(cardVariants.cardId, [...cardIds]))
    .orderBy(asc(cardVariants.cardId), asc(cardVariants.level));
}

export async function variantsByAssets(db: Db, assets: readonly string[]): Promise<VariantRow[]> {
  if (assets.length === 0) return [];
  return db
    .select()
    .from(cardVariants)
    .where(inArray(cardVariants.asset, [...assets]));
}

/** Bulk insert for seeding: cards of one set, labelled with the set. */
export async function insertCards(db: Db, rows: NewCard[], set: SetRow): Promise<void> {
  if (rows.length > 0)
    await db.insert(cards).values(rows.map((r) => ({ ...r, setLabel: setLabel(set.code, set.name) })));
}

export { databaseName } from '../../platform/db/tx.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A variant's identity for other modules: its card and its ledger asset; null when unknown. */
export async function findVariantRef(
  db: Db,
  variantId: string,
): Promise<{ id: string; cardId: string; asset: string; retired: boolean } | null> {
  if (!UUID.test(variantId)) return null;
  const [row] = await db
    .select({
      id: cardVariants.id,
      cardId: cardVariants.cardId,
      asset: cardVariants.asset,
      retired: sql<boolean>`(${cards.retiredAt} IS NOT NULL OR ${cardSets.retiredAt} IS NOT NULL)`,
    })
    .from(cardVariants)
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .innerJoin(cardSets, eq(cardSets.id, cards.setId))
    .where(eq(cardVariants.id, variantId));
  return row ?? null;
}

/** The variants of one card that its level cap allows, lowest first (none for an unknown id). */
export async function variantsOfCard(db: Db, cardId: string): Promise<{ id: string; level: number }[]> {
  if (!UUID.test(cardId)) return [];
  return db
    .select({ id: cardVariants.id, level: cardVariants.level })
    .from(cardVariants)
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .where(and(eq(cardVariants.cardId, cardId), sql`${cardVariants.level} <= ${cards.maxLevel}`))
    .orderBy(asc(cardVariants.level));
}

/** Variant ids of the given cards, or of every card of the given sets. */
export async function variantIdsOf(db: Db, scope: { cardIds?: string[]; setIds?: string[] }): Promise<string[]> {
  const conds = [];
  if (scope.cardIds?.length) conds.push(inArray(cards.id, scope.cardIds));
  if (scope.setIds?.length) conds.push(inArray(cards.setId, scope.setIds));
  if (conds.length === 0) return [];
  const rows = await db
    .select({ id: cardVariants.id })
    .from(cardVariants)
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .where(or(...conds));
  return rows.map((r) => r.id);
}

/** Base variants of circulating cards without a supply cap, with their catalogue price, in card order. */
export async function tradableBaseVariants(
  db: Db,
): Promise<{ variantId: string; asset: string; cardId: string; price: bigint; rarity: string }[]> {
  return db
    .select({
      variantId: cardVariants.id,
      asset: cardVariants.asset,
      cardId: cards.id,
      price: cards.price,
      rarity: cards.rarity,
    })
    .from(cardVariants)
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .innerJoin(cardSets, eq(cardSets.id, cards.setId))
    .where(
      sql`${cardVariants.level} = 0 AND ${cards.maxSupply} IS NULL AND ${cards.retiredAt} IS NULL AND ${cardSets.retiredAt} IS NULL`,
    )
    .orderBy(asc(cards.setId), asc(cards.number));
}

/** The catalogue price (coin minor units) of each variant's card; unknown ids are absent. */
export async function catalogPrices(db: Db, variantIds: readonly string[]): Promise<Map<string, bigint>> {
  if (variantIds.length === 0) return new Map();
  const rows = await db
    .select({ id: cardVariants.id, price: cards.price })
    .from(cardVariants)
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .where(inArray(cardVariants.id, [...variantIds]));
  return new Map(rows.map((r) => [r.id, r.price]));
}

/** The set each of these variants belongs to. */
export async function setsOfVariants(db: Db, variantIds: readonly string[]): Promise<Map<string, string>> {
  if (variantIds.length === 0) return new Map();
  const rows = await db
    .select({ id: cardVariants.id, setId: cards.setId })
    .from(cardVariants)
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .where(inArray(cardVariants.id, [...new Set(variantIds)]));
  return new Map(rows.map((r) => [r.id, r.setId]));
}
