import { and, asc, desc, eq, gt, inArray, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import type { BoardMetric, BoardPeriod } from './contract.ts';
import {
  leaderboardBotVersions as versions,
  leaderboardDirty as dirty,
  leaderboardEntries as e,
  type BoardKind,
  type EntryRow,
  type NewEntry,
} from './tables.ts';

/* Every query of the leaderboards module. */

/** What a board is ordered by: a bot metric, or the amount of a people board. */
export type RankKey = BoardMetric | 'amount';

/** The stored value and rank column of each ordering, and whether larger is better. */
export const RANK_COLUMNS = {
  return: { value: e.totalReturn, rank: e.rankReturn, desc: true },
  sharpe: { value: e.sharpe, rank: e.rankSharpe, desc: true },
  maxDrawdown: { value: e.maxDrawdown, rank: e.rankMaxDrawdown, desc: false },
  profitFactor: { value: e.profitFactor, rank: e.rankProfitFactor, desc: true },
  amount: { value: e.amount, rank: e.rankAmount, desc: true },
} as const satisfies Record<RankKey, unknown>;

const BOT_BOARDS: BoardKind[] = ['live', 'paper'];

// --- reads for other modules ---

/** Entries of these bots on the live and paper boards for one period. */
export function botEntries(db: Db, botIds: readonly string[], period: BoardPeriod): Promise<EntryRow[]> {
  if (botIds.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(e)
    .where(and(inArray(e.board, BOT_BOARDS), eq(e.period, period), inArray(e.subjectId, [...botIds])));
}

/** Bot ids with a stored entry, best first by the metric (unranked after ranked), ties by trades then id. */
export async function botsOrderedBy(
  db: Db,
  botIds: readonly string[],
  metric: BoardMetric,
  period: BoardPeriod,
): Promise<string[]> {
  if (botIds.length === 0) return [];
  const m = RANK_COLUMNS[metric];
  const rows = await db
    .select({ id: e.subjectId })
    .from(e)
    .where(and(inArray(e.board, BOT_BOARDS), eq(e.period, period), inArray(e.subjectId, [...botIds])))
    .orderBy(sql`(${m.rank} IS NULL)`, m.desc ? desc(m.value) : asc(m.value), desc(e.trades), asc(e.subjectId));
  return rows.map((r) => r.id);
}

// --- board pages ---

export interface BoardFilter {
  board: BoardKind;
  period: BoardPeriod;
  key: RankKey;
  variantId?: string | undefined;
  setId?: string | undefined;
  minTrades?: number | undefined;
}

function filterWhere(f: BoardFilter): SQL | undefined {
  const rank = RANK_COLUMNS[f.key].rank;
  return and(
    eq(e.board, f.board),
    eq(e.period, f.period),
    isNotNull(rank),
    f.variantId ? sql`${f.variantId}::uuid = ANY(${e.variantIds})` : undefined,
    f.setId ? sql`${f.setId}::uuid = ANY(${e.setIds})` : undefined,
    f.minTrades !== undefined ? sql`${e.trades} >= ${f.minTrades}` : undefined,
  );
}

/** Ranked rows of a board after the stored rank `afterRank`, in rank order. */
export function boardPage(db: Db, f: BoardFilter, afterRank: number, limit: number): Promise<EntryRow[]> {
  const rank = RANK_COLUMNS[f.key].rank;
  return db
    .select()
    .from(e)
    .where(and(filterWhere(f), gt(rank, afterRank)))
    .orderBy(asc(rank))
    .limit(limit);
}

/**
 * The best place of an owner's entries on a (filtered) board: the stored rank of their best entry
 * and how many filtered entries rank at or above it. Null when they have no ranked entry there.
 */
export async function ownBest(
  db: Db,
  f: BoardFilter,
  ownerId: string,
): Promise<{ stored: number; place: number } | null> {
  const rank = RANK_COLUMNS[f.key].rank;
  const [best] = await db
    .select({ stored: sql<number | null>`min(${rank})` })
    .from(e)
    .where(and(filterWhere(f), eq(e.ownerId, ownerId)));
  const stored = best?.stored ?? null;
  if (stored === null) return null;
  const [count] = await db
    .select({ place: sql<number>`count(*)::int` })
    .from(e)
    .where(and(filterWhere(f), sql`${rank} <= ${stored}`));
  return { stored: Number(stored), place: count?.place ?? 0 };
}

/** Every ranked row of a board (for its mirror), in rank order of `key`. */
export function rankedRows(db: Db, board: BoardKind, period: BoardPeriod, key: RankKey): Promise<EntryRow[]> {
  return boardPage(db, { board, period, key }, 0, 1_000_000);
}

// --- writes (the aggregation job) ---

const UPDATED = [
  'ownerId',
  'name',
  'variantIds',
  'setIds',
  'qualified',
  'reason',
  'totalReturn',
  'sharpe',
  'maxDrawdown',
  'profitFactor',
  'amount',
  'trades',
  'computedAt',
] as const;

/** Inserts or replaces entries (their ranks are set afterwards by `rerank`). */
export async function upsertEntries(db: Db, rows: readonly NewEntry[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await db
      .insert(e)
      .values([...chunk])
      .onConflictDoUpdate({
        target: [e.board, e.period, e.subjectId],
        set: Object.fromEntries(UPDATED.map((k) => [k, sql.raw(`excluded.${e[k].name}`)])),
      });
  }
}

/** Drops a board's rows not recomputed since `before` (subjects gone since the last rebuild). */
export async function deleteStale(db: Db, board: BoardKind, before: Date): Promise<number> {
  const rows = await db
    .delete(e)
    .where(and(eq(e.board, board), lt(e.computedAt, before)))
    .returning({ id: e.subjectId });
  return rows.length;
}

/** Drops every entry of these subjects (bots that no longer exist). */
export async function deleteSubjects(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length > 0) await db.delete(e).where(inArray(e.subjectId, [...ids]));
}

/**
 * Serialises the job's writes of the boards (an incremental refresh and a rebuild in two workers)
 * until the transaction ends, so their renumbering never interleaves.
 */
export async function lockBoards(db: Db): Promise<void> {
  await db.execute(sql`SELECT pg_advisory_xact_lock(hashtext('leaderboards.write'))`);
}

/**
 * Refreshes the planner's statistics of the boards after a bulk write: without them the renumbering
 * join below is planned as a nested loop over every pair of rows.
 */
export async function analyzeEntries(db: Db): Promise<void> {
  await db.execute(sql`ANALYZE leaderboard_entries`);
}

/**
 * Renumbers one board and period for every ordering in one statement: qualified rows with a known
 * value get 1…n (best value first, then more trades, then subject id); others get no rank. Only
 * rows whose rank changes are written.
 */
export async function rerank(db: Db, board: BoardKind, period: BoardPeriod): Promise<void> {
  const ranked = (col: string, dir: 'DESC' | 'ASC') =>
    sql.raw(`CASE WHEN qualified AND ${col} IS NOT NULL THEN row_number() OVER (
      PARTITION BY (qualified AND ${col} IS NOT NULL) ORDER BY ${col} ${dir}, trades DESC, subject_id ASC) END`);
  await db.execute(sql`
    UPDATE leaderboard_entries t
       SET rank_return = r.a, rank_sharpe = r.b, rank_max_drawdown = r.c, rank_profit_factor = r.d, rank_amount = r.f
      FROM (SELECT subject_id,
                   ${ranked('total_return', 'DESC')} AS a,
                   ${ranked('sharpe', 'DESC')} AS b,
                   ${ranked('max_drawdown', 'ASC')} AS c,
                   ${ranked('profit_factor', 'DESC')} AS d,
                   ${ranked('amount', 'DESC')} AS f
              FROM leaderboard_entries
             WHERE board = ${board} AND period = ${period}) r
     WHERE t.board = ${board} AND t.period = ${period} AND t.subject_id = r.subject_id
       AND (t.rank_return IS DISTINCT FROM r.a OR t.rank_sharpe IS DISTINCT FROM r.b
            OR t.rank_max_drawdown IS DISTINCT FROM r.c OR t.rank_profit_factor IS DISTINCT FROM r.d
            OR t.rank_amount IS DISTINCT FROM r.f)`);
}

// --- dirty bots and version pins ---

export async function markDirty(db: Db, botIds: readonly string[]): Promise<void> {
  if (botIds.length === 0) return;
  await db
    .insert(dirty)
    .values([...new Set(botIds)].map((botId) => ({ botId })))
    .onConflictDoUpdate({ target: dirty.botId, set: { markedAt: sql`now()` } });
}

/** Claims up to `limit` dirty bots (oldest mark first); the claim holds until the transaction ends. */
export async function takeDirty(db: Db, limit: number): Promise<string[]> {
  const rows = await db.execute<{ bot_id: string }>(sql`
    DELETE FROM leaderboard_dirty WHERE bot_id IN (
      SELECT bot_id FROM leaderboard_dirty ORDER BY marked_at, bot_id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING bot_id`);
  return rows.rows.map((r) => r.bot_id);
}

export async function versionPins(
  db: Db,
  botIds: readonly string[],
): Promise<Map<string, { version: number; since: Date }>> {
  if (botIds.length === 0) return new Map();
  const rows = await db
    .select()
    .from(versions)
    .where(inArray(versions.botId, [...botIds]));
  return new Map(rows.map((r) => [r.botId, { version: r.strategyVersion, since: r.since }]));
}

/** Records the version a bot runs from `since`; a pin of the same version is kept as it was. */
export async function pinVersions(
  db: Db,
  pins: readonly { botId: string; strategyVersion: number; since: Date }[],
): Promise<void> {
  if (pins.length === 0) return;
  await db
    .insert(versions)
    .values([...pins])
    .onConflictDoUpdate({
      target: versions.botId,
      set: { strategyVersion: sql`excluded.strategy_version`, since: sql`excluded.since` },
      setWhere: sql`${versions.strategyVersion} <> excluded.strategy_version`,
    });
}
