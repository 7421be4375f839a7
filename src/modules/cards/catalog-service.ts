import { uuidv7 } from 'uuidv7';
import type { Cache } from '../../platform/cache/cache.ts';
import { isUniqueViolation } from '../../platform/db/errors.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvents } from '../../platform/events/index.ts';
import { CATALOG_PREFIX, cachedJson, freshJson, invalidateCatalog, queryKey, type CachedJson } from './cache.ts';
import { decodeListCursor, encodeListCursor } from './cursor.ts';
import {
  CardInUseError,
  CardNotFoundError,
  CardOwnedError,
  DuplicateError,
  InvalidFieldError,
  MaxSupplyBelowMintedError,
  OwnedFilterNeedsSignInError,
  SetNotEmptyError,
  SetNotFoundError,
} from './errors.ts';
import { cardHoldings, circulatingSupply } from './holdings.ts';
import { baseVariants } from './pack-repo.ts';
import { CARDS_EVENTS } from './open-service.ts';
import { registerAsset } from './ports.ts';
import { VARIANTS, variantAssetCode, variantLevel } from './rarity.ts';
import * as list from './list-repo.ts';
import * as repo from './repo.ts';
import type { CardCreate, CardListQueryT, CardUpdate, SetCreate, SetUpdate } from './schemas.ts';
import { coversAll, wordCoverage } from './typo-match.ts';
import { cardView, setView } from './views.ts';

export interface CatalogDeps {
  db: Db;
  cache: Cache;
}

/** Tells other modules (the market closes open orders) which card variants just left circulation. */
async function announceRetirement(tx: Db, scope: { cardIds?: string[]; setIds?: string[] }) {
  const variantIds = await repo.variantIdsOf(tx, scope);
  if (variantIds.length === 0) return;
  await recordEvents(tx, [
    {
      type: CARDS_EVENTS.retired,
      aggregateType: 'cards.catalog',
      aggregateId: scope.cardIds?.[0] ?? scope.setIds?.[0] ?? variantIds[0] ?? '',
      payload: { variantIds },
    },
  ]);
}

// ---- sets

export async function createSet(deps: CatalogDeps, body: SetCreate) {
  const row = await repo.insertSet(deps.db, { id: uuidv7(), ...body, description: body.description ?? null });
  if (!row) throw new DuplicateError('set_code_taken', `A set with code ${body.code} already exists`);
  await invalidateCatalog(deps.cache);
  return setView(row, 0);
}

export async function updateSet(deps: CatalogDeps, id: string, body: SetUpdate) {
  const { retired, ...fields } = body;
  const row = await withTransaction(deps.db, async (tx) => {
    const before = retired ? await repo.findSet(tx, id) : null;
    const patch = { ...fields, ...(retired === undefined ? {} : { retiredAt: retired ? new Date() : null }) };
    const updated = await repo.updateSet(tx, id, patch).catch((err: unknown) => {
      throw isUniqueViolation(err) ? new DuplicateError('set_code_taken', `Set code ${body.code} is taken`) : err;
    });
    if (updated && before && !before.retiredAt) await announceRetirement(tx, { setIds: [id] });
    return updated;
  });
  if (!row) throw new SetNotFoundError();
  await invalidateCatalog(deps.cache);
  return setView(row, await repo.countCardsInSet(deps.db, id));
}

export async function deleteSet(deps: CatalogDeps, id: string): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    if (!(await repo.findSet(tx, id))) throw new SetNotFoundError();
    if ((await repo.countCardsInSet(tx, id)) > 0) throw new SetNotEmptyError();
    await repo.deleteSet(tx, id);
  });
  await invalidateCatalog(deps.cache);
}

export function listSets(deps: CatalogDeps, includeRetired: boolean): Promise<CachedJson> {
  return cachedJson(deps.cache, `${CATALOG_PREFIX}sets:${includeRetired}`, async () => ({
    items: (await repo.listSets(deps.db, includeRetired)).map((s) => setView(s, s.cardCount)),
  }));
}

export function getSet(deps: CatalogDeps, id: string): Promise<CachedJson> {
  return cachedJson(deps.cache, `${CATALOG_PREFIX}set:${id}`, async () => {
    const set = await repo.findSet(deps.db, id);
    if (!set) throw new SetNotFoundError();
    return setView(set, await repo.countCardsInSet(deps.db, set.id));
  });
}

// ---- cards

async function requireSet(db: Db, setId: string) {
  const set = await repo.findSet(db, setId);
  if (!set) throw new InvalidFieldError('body.setId', 'no set has this id');
  return set;
}

async function loadCardView(db: Db, id: string) {
  const row = await repo.findCard(db, id);
  if (!row) throw new CardNotFoundError();
  return cardView(row, await repo.variantsOf(db, [id]));
}

/** Creates a card with every variant level, each registered as a ledger asset in the same transaction. */
export async function createCard(deps: CatalogDeps, body: CardCreate) {
  const id = uuidv7();
  await withTransaction(deps.db, async (tx) => {
    const set = await requireSet(tx, body.setId);
    const inserted = await repo.insertCard(
      tx,
      {
        id,
        setId: set.id,
        number: body.number,
        name: body.name,
        rarity: body.rarity,
        element: body.element,
        stats: body.stats ?? {},
        text: body.text ?? '',
        artUrl: body.artUrl ?? null,
        maxSupply: body.maxSupply == null ? null : BigInt(body.maxSupply),
        maxLevel: body.maxLevel ?? VARIANTS.length - 1,
        price: BigInt(body.price),
      },
      set,
    );
    if (!inserted) throw new DuplicateError('card_number_taken', `Set ${set.code} already has card ${body.number}`);
    const variants = VARIANTS.map((v) => ({ id: uuidv7(), cardId: id, level: variantLevel(v), asset: '' }));
    for (const v of variants) v.asset = variantAssetCode(v.id);
    await repo.insertVariants(tx, variants);
    for (const v of variants) await registerAsset(tx, v.asset, 'card');
  });
  await invalidateCatalog(deps.cache);
  return loadCardView(deps.db, id);
}

export async function updateCard(deps: CatalogDeps, id: string, body: CardUpdate) {
  await withTransaction(deps.db, async (tx) => {
    const current = await repo.findCard(tx, id);
    if (!current) throw new CardNotFoundError();
    const set = body.setId && body.setId !== current.setId ? await requireSet(tx, body.setId) : undefined;
    if (body.maxSupply != null) {
      // The same print-run lock an opening draws under: an opening in flight finishes (and its
      // copies count) before the new cap is checked, and none starts until the cap is written.
      const [base] = await baseVariants(tx, [id], true);
      if (base && base.minted > BigInt(body.maxSupply)) throw new MaxSupplyBelowMintedError(base.minted);
    }
    const { retired, maxSupply, price, ...fields } = body;
    const patch = {
      ...fields,
      ...(maxSupply === undefined ? {} : { maxSupply: maxSupply === null ? null : BigInt(maxSupply) }),
      ...(price === undefined ? {} : { price: BigInt(price) }),
      ...(retired === undefined ? {} : { retiredAt: retired ? (current.retiredAt ?? new Date()) : null }),
    };
    await repo.updateCard(tx, id, patch, set).catch((err: unknown) => {
      if (!isUniqueViolation(err)) throw err;
      throw new DuplicateError('card_number_taken', 'Another card of this set has this number');
    });
    if (retired && !current.retiredAt) await announceRetirement(tx, { cardIds: [id] });
  });
  await invalidateCatalog(deps.cache);
  return loadCardView(deps.db, id);
}

/** Deletes a card nobody owns and nobody ever pulled; otherwise 409 (retire it instead). */
export async function deleteCard(deps: CatalogDeps, id: string): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    if (!(await repo.findCard(tx, id))) throw new CardNotFoundError();
    let circulating = 0n;
    for (const v of await repo.variantsOf(tx, [id])) circulating += await circulatingSupply(tx, v);
    if (circulating > 0n) throw new CardOwnedError(circulating);
    if (await repo.cardWasIssued(tx, id)) throw new CardInUseError();
    await repo.deleteCard(tx, id);
  });
  await invalidateCatalog(deps.cache);
}

export function getCard(deps: CatalogDeps, id: string): Promise<CachedJson> {
  return cachedJson(deps.cache, `${CATALOG_PREFIX}card:${id}`, () => loadCardView(deps.db, id));
}

const DEFAULT_DESC = { name: false, price: false, rarity: true, newest: true } as const;

/** The catalogue filters of a list query, resolved (set code to id, owned cards from the ledger). */
export async function resolveFilter(
  db: Db,
  q: Omit<CardListQueryT, 'limit' | 'cursor' | 'sort' | 'order'>,
  userId: string | undefined,
): Promise<list.CardFilter> {
  if (q.priceMin !== undefined && q.priceMax !== undefined && q.priceMin > q.priceMax) {
    throw new InvalidFieldError('query.priceMin', 'must not be above query.priceMax');
  }
  const filter: list.CardFilter = {
    rarities: q.rarity,
    element: q.element,
    name: q.name,
    level: q.variant === undefined ? undefined : variantLevel(q.variant),
    priceMin: q.priceMin === undefined ? undefined : BigInt(q.priceMin),
    priceMax: q.priceMax === undefined ? undefined : BigInt(q.priceMax),
    includeRetired: q.includeRetired,
  };
  if (q.set) {
    const set = await repo.findSet(db, q.set);
    // An unknown set simply matches nothing; it is a filter, not a reference.
    filter.setId = set?.id ?? '00000000-0000-0000-0000-000000000000';
  }
  if (q.owned !== undefined) {
    if (!userId) throw new OwnedFilterNeedsSignInError();
    const level = filter.level;
    const owned = [
      ...new Set(
        (await cardHoldings(db, userId)).filter((h) => level === undefined || h.level === level).map((h) => h.cardId),
      ),
    ];
    if (q.owned) filter.onlyIds = owned;
    else filter.exceptIds = owned;
  }
  return filter;
}

/** One page of cards with its cursor; `filter` comes from `resolveFilter`. */
export async function pageOfCards(
  db: Db,
  filter: list.CardFilter,
  q: Pick<CardListQueryT, 'sort' | 'order' | 'limit' | 'cursor'>,
) {
  const desc = q.order === undefined ? DEFAULT_DESC[q.sort] : q.order === 'desc';
  const after = decodeListCursor(q.cursor, q.sort, desc);
  const rows = await list.listCards(db, filter, { key: q.sort, desc }, after, q.limit);
  const pageRows = rows.slice(0, q.limit);
  const variants = await repo.variantsOf(
    db,
    pageRows.map((r) => r.id),
  );
  const last = pageRows.at(-1);
  return {
    items: pageRows.map((r) => cardView(r, variants)),
    nextCursor:
      rows.length > q.limit && last
        ? encodeListCursor(q.sort, desc, { value: list.sortValue(last, q.sort), id: last.id })
        : null,
  };
}

/**
 * `GET /api/cards`. Pages without the `owned` filter are the same for everyone and come from the
 * cache; pages filtered by ownership are read fresh (they change with every trade).
 */
export async function listCards(deps: CatalogDeps, q: CardListQueryT, userId: string | undefined): Promise<CachedJson> {
  const produce = async () => {
    const { items, nextCursor } = await pageOfCards(deps.db, await resolveFilter(deps.db, q, userId), q);
    return { items, nextCursor };
  };
  if (q.owned !== undefined) return freshJson(await produce());
  return cachedJson(deps.cache, queryKey(`${CATALOG_PREFIX}list:`, q), produce);
}

/** Words of a text as search compares them: lower-case runs of letters and digits. */
const wordsOf = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

/** Query words for the similarity part of search: lower-case letters and digits, at most 8. */
export function searchWords(q: string): string[] {
  return [...new Set(wordsOf(q).filter((w) => w.length >= 2))].slice(0, 8);
}

/** Cards search looks at before ranking: more than a page, so typo matches are not cut off. */
const SEARCH_CANDIDATES = 200;

/**
 * Ranks search candidates: a card qualifies when the full-text query matches it, its words
 * resemble the query's (similarity ≥ 0.5), or every query word matches one of its words exactly,
 * as a prefix or within its typos; the score is twice the word coverage plus the text rank and
 * the similarity. Ties go by name, then id, the same on every database.
 */
export function rankCandidates(words: readonly string[], candidates: readonly list.SearchCandidate[], limit: number) {
  return candidates
    .map((c) => {
      const cardWords = wordsOf(c.searchText);
      return { c, all: coversAll(words, cardWords), score: 2 * wordCoverage(words, cardWords) + c.textRank + c.fuzzy };
    })
    .filter((r) => r.c.matched || r.c.fuzzy >= 0.5 || r.all)
    .sort(
      (a, b) =>
        b.score - a.score || (a.c.name < b.c.name ? -1 : a.c.name > b.c.name ? 1 : 0) || (a.c.id < b.c.id ? -1 : 1),
    )
    .slice(0, limit)
    .map((r) => ({ id: r.c.id, score: r.score }));
}

export function searchCards(
  deps: CatalogDeps,
  q: { q: string; limit: number; includeRetired: boolean },
): Promise<CachedJson> {
  return cachedJson(deps.cache, queryKey(`${CATALOG_PREFIX}search:`, q), async () => {
    const words = searchWords(q.q);
    if (words.length === 0) return { query: q.q, items: [] };
    const candidates = await list.searchCandidates(deps.db, q.q, words, SEARCH_CANDIDATES, q.includeRetired);
    const hits = rankCandidates(words, candidates, q.limit);
    const ids = hits.map((h) => h.id);
    const rows = new Map((await repo.findCards(deps.db, ids)).map((r) => [r.id, r]));
    const variants = await repo.variantsOf(deps.db, ids);
    const items = hits.flatMap((h) => {
      const row = rows.get(h.id);
      return row ? [{ ...cardView(row, variants), score: Math.round(h.score * 10_000) / 10_000 }] : [];
    });
    return { query: q.q, items };
  });
}
