import { and, asc, desc, eq, gt, gte, ilike, inArray, isNull, lt, lte, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import type { Rarity } from './rarity.ts';
import { cardColumns, type CardRow } from './repo.ts';
import { cardSets, cards } from './tables.ts';

/** The SQL of card lists (filters, keyset pages) and of ranked search. */

export interface CardFilter {
  setId?: string;
  rarities?: readonly Rarity[];
  element?: string;
  name?: string;
  /** Cards offering this variant level (level <= max level). */
  level?: number;
  priceMin?: bigint;
  priceMax?: bigint;
  onlyIds?: readonly string[];
  exceptIds?: readonly string[];
  includeRetired: boolean;
}

export type SortKey = 'name' | 'rarity' | 'newest' | 'price';

/** Where a page starts: the sort value and id of the previous page's last row. */
export interface Keyset {
  value: string;
  id: string;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function filterConditions(f: CardFilter): SQL[] {
  const where: SQL[] = [];
  if (!f.includeRetired) where.push(isNull(cards.retiredAt));
  if (f.setId) where.push(eq(cards.setId, f.setId));
  if (f.rarities?.length) where.push(inArray(cards.rarity, [...f.rarities]));
  if (f.element) where.push(sql`lower(${cards.element}) = lower(${f.element})`);
  if (f.name) where.push(ilike(cards.name, `%${escapeLike(f.name)}%`));
  if (f.level !== undefined) where.push(gte(cards.maxLevel, f.level));
  if (f.priceMin !== undefined) where.push(gte(cards.price, f.priceMin));
  if (f.priceMax !== undefined) where.push(lte(cards.price, f.priceMax));
  if (f.onlyIds) where.push(f.onlyIds.length > 0 ? inArray(cards.id, [...f.onlyIds]) : sql`false`);
  if (f.exceptIds?.length) where.push(notInArray(cards.id, [...f.exceptIds]));
  return where;
}

/** Sort column per key; `newest` sorts by the time-ordered id alone. */
const SORT_COLUMNS = {
  name: { column: cards.name, cast: sql`::text` },
  rarity: { column: cards.rarityRank, cast: sql`::smallint` },
  price: { column: cards.price, cast: sql`::bigint` },
} as const;

/** One page of cards (limit + 1 rows, so the caller knows whether another follows). */
export async function listCards(
  db: Db,
  f: CardFilter,
  sort: { key: SortKey; desc: boolean },
  after: Keyset | undefined,
  limit: number,
): Promise<CardRow[]> {
  const where = filterConditions(f);
  const dir = sort.desc ? desc : asc;
  const order: SQL[] = [];
  if (sort.key === 'newest') {
    if (after) where.push(sort.desc ? lt(cards.id, after.id) : gt(cards.id, after.id));
    order.push(dir(cards.id));
  } else {
    const { column, cast } = SORT_COLUMNS[sort.key];
    if (after) {
      const cmp = sort.desc ? sql`<` : sql`>`;
      where.push(sql`(${column}, ${cards.id}) ${cmp} (${after.value}${cast}, ${after.id}::uuid)`);
    }
    order.push(dir(column), dir(cards.id));
  }
  return db
    .select(cardColumns)
    .from(cards)
    .innerJoin(cardSets, eq(cardSets.id, cards.setId))
    .where(and(...where))
    .orderBy(...order)
    .limit(limit + 1);
}

/** The sort value of a row as the keyset stores it. */
export function sortValue(row: CardRow, key: SortKey): string {
  if (key === 'name') return row.name;
  if (key === 'rarity') return String(row.rarityRank);
  if (key === 'price') return row.price.toString();
  return row.id;
}

export interface SearchCandidate {
  id: string;
  name: string;
  searchText: string;
  /** The full-text query matched (stemmed words over name, set, element, rarity and text). */
  matched: boolean;
  /** Full-text rank plus the similarity of the whole query to the name. */
  textRank: number;
  /** Average best word similarity (pg_trgm) of the query words. */
  fuzzy: number;
}

/**
 * Search candidates: cards the full-text query matches or whose words resemble the query words
 * (pg_trgm word similarity ≥ 0.3, loose enough to keep swapped letters), the most similar first.
 * The service ranks them by how each query word matches (`typo-match.ts`).
 */
export async function searchCandidates(
  db: Db,
  q: string,
  words: readonly string[],
  limit: number,
  includeRetired: boolean,
): Promise<SearchCandidate[]> {
  const r = await db.execute<{
    id: string;
    name: string;
    search_text: string;
    matched: boolean;
    text_rank: number;
    fuzzy: number;
  }>(sql`
    WITH q AS (SELECT websearch_to_tsquery('english', ${q}) AS tsq)
    SELECT id, name, search_text, matched, text_rank, fuzzy FROM (
      SELECT c.id, c.name, c.search_text,
        c.search @@ q.tsq AS matched,
        (ts_rank_cd(c.search, q.tsq) + similarity(c.name, ${q}))::float8 AS text_rank,
        (SELECT avg(word_similarity(w, c.search_text)) FROM unnest(${sql.param(words)}::text[]) AS w)::float8 AS fuzzy
      FROM ${cards} c, q
      WHERE ${includeRetired ? sql`true` : sql`c.retired_at IS NULL`}
    ) ranked
    WHERE matched OR fuzzy >= 0.3
    ORDER BY fuzzy DESC, id
    LIMIT ${limit}`);
  return r.rows.map((row) => ({
    id: row.id,
    name: row.name,
    searchText: row.search_text,
    matched: row.matched,
    textRank: Number(row.text_rank),
    fuzzy: Number(row.fuzzy),
  }));
}
