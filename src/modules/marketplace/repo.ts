import { and, desc, eq, gte, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { cardSets, cardVariants, cards, type Rarity } from '../cards/index.ts';
import { marketOrders, marketTrades } from '../market/index.ts';

/*
 * Read-only queries over the exchange's orders (listings are its `source = 'listing'` rows) joined
 * with the catalogue for names, sets and rarities. Every change goes through the exchange.
 */

export type ListingSort = 'price' | '-price' | 'newest';

/** Where a page starts: after this listing in the chosen order. */
export type ListingKeyset = { sort: 'price' | '-price'; price: bigint; id: string } | { sort: 'newest'; id: string };

export interface ListingFilter {
  /** A card id (every variant of it) or one variant id. */
  card?: string;
  /** A set id or set code. */
  set?: string;
  rarity?: Rarity;
  minPrice?: bigint;
  maxPrice?: bigint;
  sellerId?: string;
}

const columns = {
  order: marketOrders,
  cardId: cards.id,
  cardName: cards.name,
  rarity: cards.rarity,
  level: cardVariants.level,
  setId: cardSets.id,
  setCode: cardSets.code,
  setName: cardSets.name,
};

export interface ListingRow {
  order: typeof marketOrders.$inferSelect;
  cardId: string;
  cardName: string;
  rarity: Rarity;
  level: number;
  setId: string;
  setCode: string;
  setName: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function joined(db: Db) {
  return db
    .select(columns)
    .from(marketOrders)
    .innerJoin(cardVariants, eq(cardVariants.id, marketOrders.variantId))
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .innerJoin(cardSets, eq(cardSets.id, cards.setId));
}

function after(keyset: ListingKeyset): SQL {
  if (keyset.sort === 'newest') return sql`${marketOrders.id} < ${keyset.id}::uuid`;
  const op = keyset.sort === 'price' ? sql`>` : sql`<`;
  return sql`(${marketOrders.price}, ${marketOrders.id}) ${op} (${keyset.price.toString()}::bigint, ${keyset.id}::uuid)`;
}

/** Open listings matching the filter, `limit` of them after `from` in `sort` order. */
export function openListings(
  db: Db,
  filter: ListingFilter,
  sort: ListingSort,
  limit: number,
  from?: ListingKeyset,
): Promise<ListingRow[]> {
  // An expired listing is gone for buyers even before the expiry sweep closes it.
  const conds: SQL[] = [
    eq(marketOrders.source, 'listing'),
    eq(marketOrders.status, 'open'),
    sql`(${marketOrders.expiresAt} IS NULL OR ${marketOrders.expiresAt} > now())`,
  ];
  if (filter.card !== undefined) {
    const byCard = or(eq(cardVariants.cardId, filter.card), eq(cardVariants.id, filter.card));
    if (byCard) conds.push(byCard);
  }
  if (filter.set !== undefined) {
    conds.push(UUID.test(filter.set) ? eq(cardSets.id, filter.set) : eq(cardSets.code, filter.set.toUpperCase()));
  }
  if (filter.rarity !== undefined) conds.push(eq(cards.rarity, filter.rarity));
  if (filter.minPrice !== undefined) conds.push(gte(marketOrders.price, filter.minPrice));
  if (filter.maxPrice !== undefined) conds.push(lte(marketOrders.price, filter.maxPrice));
  if (filter.sellerId !== undefined) conds.push(eq(marketOrders.ownerId, filter.sellerId));
  if (from) conds.push(after(from));
  const order =
    sort === 'newest'
      ? [desc(marketOrders.id)]
      : sort === 'price'
        ? [marketOrders.price, marketOrders.id]
        : [desc(marketOrders.price), desc(marketOrders.id)];
  return joined(db)
    .where(and(...conds))
    .orderBy(...order)
    .limit(limit);
}

/** One user's listings, open or done (sold out or cancelled), newest first, before `beforeId`. */
export function listingsOf(
  db: Db,
  ownerId: string,
  state: 'open' | 'done',
  limit: number,
  beforeId?: string,
): Promise<ListingRow[]> {
  const statuses: ('open' | 'filled' | 'cancelled')[] = state === 'open' ? ['open'] : ['filled', 'cancelled'];
  const conds: SQL[] = [
    eq(marketOrders.ownerId, ownerId),
    eq(marketOrders.source, 'listing'),
    inArray(marketOrders.status, statuses),
  ];
  if (beforeId) conds.push(sql`${marketOrders.id} < ${beforeId}::uuid`);
  return joined(db)
    .where(and(...conds))
    .orderBy(desc(marketOrders.id))
    .limit(limit);
}

/** A listing in any state, with its card. */
export async function findListing(db: Db, id: string): Promise<ListingRow | null> {
  if (!UUID.test(id)) return null;
  const [row] = await joined(db).where(and(eq(marketOrders.id, id), eq(marketOrders.source, 'listing')));
  return row ?? null;
}

/** A card variant with the rarity and level of its card. */
export async function variantInfo(db: Db, variantId: string) {
  if (!UUID.test(variantId)) return null;
  const [row] = await db
    .select({ id: cardVariants.id, level: cardVariants.level, rarity: cards.rarity, cardName: cards.name })
    .from(cardVariants)
    .innerJoin(cards, eq(cards.id, cardVariants.cardId))
    .where(eq(cardVariants.id, variantId));
  return row ?? null;
}

/** The newest `limit` trades of a variant since `since`, newest first. */
export function recentTrades(db: Db, variantId: string, since: Date, limit: number) {
  return db
    .select({ ts: marketTrades.ts, price: marketTrades.price })
    .from(marketTrades)
    .where(and(eq(marketTrades.variantId, variantId), gte(marketTrades.ts, since)))
    .orderBy(desc(marketTrades.ts), desc(marketTrades.id))
    .limit(limit);
}
