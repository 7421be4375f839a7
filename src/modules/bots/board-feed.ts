import type { Db } from '../../platform/db/tx.ts';
import { performanceReport, type EquityPoint, type Metric, type PerformanceReport } from './metrics.ts';
import * as repo from './repo.ts';
import { roundTrips } from './simulator.ts';
import type { BotMode } from './tables.ts';

/*
 * What the leaderboards read of bots: who each bot is, its equity snapshots and fills, finished
 * backtests, and the one metrics implementation, so a board and a bot's own performance page
 * agree on every number.
 */

export type { EquityPoint, Metric, PerformanceReport };

export interface BoardBot {
  id: string;
  ownerId: string;
  name: string;
  mode: BotMode;
  status: string;
  strategyId: string;
  strategyVersion: number;
  variantIds: string[];
  allocation: bigint;
  createdAt: Date;
  startedAt: Date | null;
}

export interface BoardFill {
  id: string;
  botId: string;
  /** The exchange order the fill came from (live bots); null on paper. */
  exchangeOrderId: string | null;
  variantId: string;
  side: 'buy' | 'sell';
  price: number;
  quantity: number;
  fee: number;
  at: number;
}

export interface BoardRecord {
  equity: EquityPoint[];
  fills: BoardFill[];
}

/** Bots by id, or a page of every bot after `afterId` (ascending id). */
export function boardBots(
  db: Db,
  opts: { ids?: readonly string[]; afterId?: string; limit: number },
): Promise<BoardBot[]> {
  return repo.boardBotRows(db, opts);
}

/** Which of these ids are bots' own accounts. */
export const botAccountsAmong = (db: Db, ids: readonly string[]): Promise<Set<string>> => repo.botIdsAmong(db, ids);

/** Equity snapshots and fills of each bot at or after `since` (every bot in `ids` has an entry). */
export async function boardRecords(
  db: Db,
  ids: readonly string[],
  since: Date | null,
): Promise<Map<string, BoardRecord>> {
  const records = new Map<string, BoardRecord>(ids.map((id) => [id, { equity: [], fills: [] }]));
  for (const e of await repo.equityOfBots(db, ids, since)) {
    records.get(e.botId)?.equity.push({ t: e.at.getTime(), equity: Number(e.equity) });
  }
  for (const f of await repo.fillsOfBots(db, ids, since)) {
    records.get(f.botId)?.fills.push({
      id: f.id,
      botId: f.botId,
      exchangeOrderId: f.exchangeOrderId,
      variantId: f.variantId,
      side: f.side,
      price: Number(f.price),
      quantity: Number(f.quantity),
      fee: Number(f.fee),
      at: f.at.getTime(),
    });
  }
  return records;
}

/**
 * The performance report of a stretch of a bot's record: its equity snapshots and the round trips
 * rebuilt from its fills by the simulator's position arithmetic, exactly as the bot's own
 * performance page measures them.
 */
export function recordReport(
  equity: readonly EquityPoint[],
  fills: readonly Omit<BoardFill, 'id' | 'botId' | 'exchangeOrderId'>[],
): PerformanceReport {
  const { closed, fees } = roundTrips(fills);
  return performanceReport({ equity: [...equity], trades: closed, fees });
}

export interface BoardBacktest {
  id: string;
  ownerId: string;
  strategyId: string;
  strategyVersion: number;
  strategyName: string;
  variantIds: string[];
  from: Date;
  to: Date;
  initialCash: number | null;
  finishedAt: Date | null;
  /** The report the backtest stored (the same metrics implementation). */
  metrics: Partial<Record<keyof PerformanceReport, Metric>>;
}

/** The latest finished backtest of each strategy version, finished at or after `since`. */
export async function boardBacktests(db: Db, since: Date | null): Promise<BoardBacktest[]> {
  const rows = await repo.latestDoneBacktests(db, since);
  return rows.map((r) => ({
    ...r,
    metrics: (r.metrics ?? {}) as Partial<Record<keyof PerformanceReport, Metric>>,
  }));
}
