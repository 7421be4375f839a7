import type { Cache } from '../../platform/cache/cache.ts';
import type { Db } from '../../platform/db/tx.ts';
import { decodeCursor, encodeCursor } from '../../platform/http/cursor.ts';
import type { BoardMetric, BoardPeriod } from './contract.ts';
import type { BoardMirror } from './mirror.ts';
import { boardUsers } from './ports.ts';
import * as repo from './repo.ts';
import type { BoardFilter, RankKey } from './repo.ts';
import type { BoardQuery, CollectorsQuery, PeopleQuery } from './schemas.ts';
import type { EntryRow } from './tables.ts';
import { boardEntryView, personEntryView } from './views.ts';

/*
 * Board reads: pages of the stored rows in stored-rank order, never a metric computed on read.
 * Unfiltered boards come from the Redis mirror when there is one; filtered boards (a card, a set,
 * a trade minimum) from the database, ranked 1…n within the filter by their stored order.
 */

export interface ReadDeps {
  db: Db;
  mirror?: BoardMirror | undefined;
  /** Board pages and own ranks are kept here for `ttlMs` (dropped whenever the job writes). */
  cache?: { store: Cache; ttlMs: number } | undefined;
}

/** The cursor holds the last row's stored rank and its place in this (possibly filtered) list. */
interface Keyset {
  stored: number;
  place: number;
}

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

function decodeKeyset(cursor: string | undefined): Keyset {
  return (
    decodeCursor(cursor, (raw) =>
      Array.isArray(raw) && raw.length === 2 && isCount(raw[0]) && isCount(raw[1]) && raw[1] <= raw[0]
        ? { stored: raw[0], place: raw[1] }
        : undefined,
    ) ?? { stored: 0, place: 0 }
  );
}

const filtered = (f: BoardFilter) => f.variantId !== undefined || f.setId !== undefined || f.minTrades !== undefined;
const mirrorFor = (deps: ReadDeps, f: BoardFilter) => (deps.mirror && !filtered(f) ? deps.mirror : undefined);

/** A read through the module's cache when there is one. */
async function cached<T>(deps: ReadDeps, key: string, load: () => Promise<T>): Promise<T> {
  if (!deps.cache) return load();
  const hit = await deps.cache.store.get<{ value: T }>(key);
  if (hit) return hit.value;
  const value = await load();
  await deps.cache.store.set(key, { value }, deps.cache.ttlMs);
  return value;
}

type NameOf = (ownerId: string) => string | null;

/** One page of a board, as views; `place` is the rank within this (possibly filtered) list. */
async function readPage<V>(
  deps: ReadDeps,
  f: BoardFilter,
  cursor: string | undefined,
  limit: number,
  view: (row: EntryRow, place: number, nameOf: NameOf) => V,
): Promise<{ items: V[]; nextCursor: string | null }> {
  const after = decodeKeyset(cursor);
  const rows =
    (await mirrorFor(deps, f)?.page(f.board, f.period, f.key, after.stored, limit + 1)) ??
    (await repo.boardPage(deps.db, f, after.stored, limit + 1));
  const page = rows.slice(0, limit);
  const nameOf = await usernames(deps.db, page);
  const last = page.at(-1);
  return {
    items: page.map((row, i) => view(row, after.place + i + 1, nameOf)),
    nextCursor: rows.length > limit && last ? encodeCursor([rankFor(last, f.key), after.place + page.length]) : null,
  };
}

/** The caller's best place on a (possibly filtered) board, or null. */
async function myRankOf(deps: ReadDeps, f: BoardFilter, me: string): Promise<number | null> {
  const mirrored = await mirrorFor(deps, f)?.ownBest(f.board, f.period, f.key, me);
  return mirrored !== undefined ? mirrored : ((await repo.ownBest(deps.db, f, me))?.place ?? null);
}

/** A page and the caller's rank, each cached under the query that produced it. */
async function readBoard<V>(
  deps: ReadDeps,
  f: BoardFilter,
  q: { limit: number; cursor?: string | undefined },
  me: string | null,
  view: (row: EntryRow, place: number, nameOf: NameOf) => V,
) {
  const key = JSON.stringify([f.board, f.period, f.key, f.variantId ?? '', f.setId ?? '', f.minTrades ?? -1]);
  const page = await cached(deps, `page:${key}:${q.limit}:${q.cursor ?? ''}`, () =>
    readPage(deps, f, q.cursor, q.limit, view),
  );
  const myRank = me === null ? null : await cached(deps, `rank:${key}:${me}`, () => myRankOf(deps, f, me));
  return { ...page, myRank };
}

function rankFor(r: EntryRow, key: RankKey): number {
  const rank =
    key === 'return'
      ? r.rankReturn
      : key === 'sharpe'
        ? r.rankSharpe
        : key === 'maxDrawdown'
          ? r.rankMaxDrawdown
          : key === 'profitFactor'
            ? r.rankProfitFactor
            : r.rankAmount;
  return rank ?? 0;
}

async function usernames(db: Db, rows: readonly EntryRow[]): Promise<NameOf> {
  const users = await boardUsers(
    db,
    rows.map((r) => r.ownerId),
  );
  return (id: string) => {
    const u = users.get(id);
    return u?.active ? u.username : null;
  };
}

/** A bot board page and the caller's best rank on it. */
export async function botBoard(deps: ReadDeps, q: BoardQuery, me: string | null) {
  const f: BoardFilter = {
    board: q.mode,
    period: q.period,
    key: q.metric,
    variantId: q.cardId?.toLowerCase(),
    setId: q.setId?.toLowerCase(),
    minTrades: q.minTrades,
  };
  const page = await readBoard(deps, f, q, me, (row, place, nameOf) =>
    boardEntryView(row, place, q.metric, nameOf(row.ownerId)),
  );
  return { mode: q.mode, period: q.period, metric: q.metric, ...page };
}

/** The boards the public preview shows. */
export const PREVIEW_BOARDS: readonly { mode: 'live' | 'paper'; metric: BoardMetric; period: BoardPeriod }[] = [
  { mode: 'live', metric: 'return', period: '30d' },
  { mode: 'live', metric: 'sharpe', period: '30d' },
  { mode: 'paper', metric: 'return', period: '30d' },
  { mode: 'paper', metric: 'sharpe', period: '30d' },
];
export const PREVIEW_SIZE = 10;

/** The top of each preview board: exactly the first page of the full board, without caller data. */
export async function preview(deps: ReadDeps) {
  const boards = [];
  for (const b of PREVIEW_BOARDS) {
    const page = await botBoard(deps, { ...b, limit: PREVIEW_SIZE }, null);
    boards.push({ mode: b.mode, period: b.period, metric: b.metric, items: page.items });
  }
  return { boards, generatedAt: new Date().toISOString() };
}

async function peopleBoard(
  deps: ReadDeps,
  board: 'traders' | 'collectors',
  period: BoardPeriod,
  q: { limit: number; cursor?: string | undefined },
  me: string,
) {
  const page = await readBoard(deps, { board, period, key: 'amount' }, q, me, (row, place, nameOf) =>
    personEntryView(row, place, nameOf(row.ownerId) ?? '(closed account)'),
  );
  return { period, ...page };
}

/** Exchange traders by realised profit over the period. */
export const tradersBoard = (deps: ReadDeps, q: PeopleQuery, me: string) =>
  peopleBoard(deps, 'traders', q.period, q, me);

/** Public collections by value (all time: a collection is valued as it is now). */
export const collectorsBoard = (deps: ReadDeps, q: CollectorsQuery, me: string) =>
  peopleBoard(deps, 'collectors', 'all', q, me);
