import type { Db } from '../../platform/db/tx.ts';
import * as repo from './repo.ts';
import type { BOARD_METRICS, BOARD_PERIODS, EntryRow } from './tables.ts';

export type BoardPeriod = (typeof BOARD_PERIODS)[number];
export type BoardMetric = (typeof BOARD_METRICS)[number];

/** A bot's place on its own mode's board for one period, as last computed by the aggregation job. */
export interface BotStanding {
  botId: string;
  period: BoardPeriod;
  /** Meets the qualification rules (trades, age, allocation) over this period. */
  qualified: boolean;
  /** Rank by total return; null when not qualified or the return is not known. */
  rank: number | null;
  totalReturn: number | null;
  sharpe: number | null;
  maxDrawdown: number | null;
  profitFactor: number | null;
  trades: number;
  computedAt: string;
}

function standingOf(row: EntryRow): BotStanding {
  return {
    botId: row.subjectId,
    period: row.period,
    qualified: row.qualified,
    rank: row.rankReturn,
    totalReturn: row.totalReturn,
    sharpe: row.sharpe,
    maxDrawdown: row.maxDrawdown,
    profitFactor: row.profitFactor,
    trades: row.trades,
    computedAt: row.computedAt.toISOString(),
  };
}

/**
 * Latest computed standings (from the stored snapshot, never computed on the fly) of the given bots
 * on their own mode's board. Bots the job has not computed yet are absent from the map.
 */
export async function botStandings(
  db: Db,
  botIds: readonly string[],
  period: BoardPeriod,
): Promise<Map<string, BotStanding>> {
  const rows = await repo.botEntries(db, botIds, period);
  return new Map(rows.map((r) => [r.subjectId, standingOf(r)]));
}

/**
 * The given bots ordered by a board metric (best first; unranked last; deterministic ties: more
 * trades first, then bot id), for sorting other lists. Ids the boards do not know come last, by id.
 */
export async function orderByStanding(
  db: Db,
  botIds: readonly string[],
  metric: BoardMetric,
  period: BoardPeriod,
): Promise<string[]> {
  const unique = [...new Set(botIds)];
  const ranked = await repo.botsOrderedBy(db, unique, metric, period);
  const seen = new Set(ranked);
  return [...ranked, ...unique.filter((id) => !seen.has(id)).sort()];
}
