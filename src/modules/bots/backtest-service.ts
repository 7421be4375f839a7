import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvents } from '../../platform/events/index.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import { ValidationError } from '../../platform/http/errors.ts';
import {
  BacktestCancelledError,
  resultHash,
  runBacktest,
  type BacktestResult,
  type BacktestSettings,
} from './backtest.ts';
import { BacktestFinishedError, BacktestNotFoundError } from './errors.ts';
import { backtestChannelMessage } from './events.ts';
import { checkCards, feeTerms } from './market-view.ts';
import { loadMarketSettings, recordedCandles } from './ports.ts';
import * as repo from './repo.ts';
import type { Sandbox } from './sandbox/sandbox.ts';
import type { BacktestBody, PageQuery } from './schemas.ts';
import { INTERVAL_MS, type BotInterval } from './strategy.ts';
import { loadStrategy, pinnedVersion } from './strategy-service.ts';
import type { BacktestRow } from './tables.ts';
import { backtestView, pointView, tradeView } from './views.ts';

/*
 * Backtests as jobs: created queued (the job is enqueued in the same transaction), run by a worker
 * over the exchange's recorded candles with the exchange's fees at the time it starts, cancelled
 * by the owner at any point. The stored result keeps a sample of the curve and the last trades;
 * its hash covers the full result.
 */

/** Ticks (candle closes per card) one backtest may cover. */
export const MAX_BACKTEST_TICKS = 200_000;
const KEPT_POINTS = 500;
const KEPT_TRADES = 500;

export type BacktestStored = ReturnType<typeof storedResult>;

export type EnqueueBacktest = (tx: Db, id: string) => Promise<void>;

export async function createBacktest(db: Db, ownerId: string, body: BacktestBody, enqueue: EnqueueBacktest) {
  const from = new Date(body.from);
  const to = new Date(body.to);
  if (!(from < to))
    throw new ValidationError('from must be before to', [{ field: 'body.to', message: 'must be after from' }]);
  if ((to.getTime() - from.getTime()) / INTERVAL_MS[body.interval] > MAX_BACKTEST_TICKS) {
    throw new ValidationError('The range holds too many candles for this interval', [
      { field: 'body.from', message: `at most ${MAX_BACKTEST_TICKS} candles per card` },
    ]);
  }
  const version = await pinnedVersion(db, ownerId, body.strategyId, body.strategyVersion);
  await checkCards(db, body.variantIds);
  const settings = {
    initialCash: body.initialCash,
    slippageBps: body.slippageBps ?? 10,
    spreadBps: body.spreadBps ?? 50,
    ...(body.lookback ? { lookback: body.lookback } : {}),
  };
  return withTransaction(db, async (tx) => {
    const row = await repo.insertBacktest(tx, {
      id: uuidv7(),
      ownerId,
      strategyId: version.strategyId,
      strategyVersion: version.version,
      variantIds: body.variantIds.map((v) => v.toLowerCase()),
      interval: body.interval,
      from,
      to,
      settings,
      status: 'queued',
    });
    await enqueue(tx, row.id);
    return backtestView(row);
  });
}

async function ownBacktest(db: Db, ownerId: string, id: string): Promise<BacktestRow> {
  const row = await repo.findBacktest(db, id);
  if (!row || row.ownerId !== ownerId) throw new BacktestNotFoundError();
  return row;
}

export async function getBacktest(db: Db, ownerId: string, id: string) {
  return backtestView(await ownBacktest(db, ownerId, id));
}

export async function listBacktests(db: Db, ownerId: string, q: PageQuery) {
  const rows = await repo.backtestsOf(db, ownerId, q.limit + 1, decodeIdCursor(q.cursor));
  return pageById(rows, q.limit, backtestView);
}

/** Cancels a queued or running backtest; a finished one is 409. */
export async function cancelBacktest(db: Db, ownerId: string, id: string) {
  const found = await ownBacktest(db, ownerId, id);
  const row = await moveAndTell(db, id, ['queued', 'running'], { status: 'cancelled', finishedAt: new Date() });
  if (!row) throw new BacktestFinishedError(found.status);
  return backtestView(row);
}

/** Runs a queued backtest to the end (the job handler). Returns its final status. */
/**
 * Moves a backtest from one of `from` to its next state and tells its owner (progress and final
 * status reach the owner's realtime channel) in the same transaction; null if it was not in `from`.
 */
async function moveAndTell(
  db: Db,
  id: string,
  from: BacktestRow['status'][],
  patch: Parameters<typeof repo.moveBacktest>[3],
): Promise<BacktestRow | null> {
  return withTransaction(db, async (tx) => {
    const row = await repo.moveBacktest(tx, id, from, patch);
    if (row) {
      const extra = row.status === 'done' ? { resultHash: row.resultHash } : row.error ? { error: row.error } : {};
      await recordEvents(tx, [backtestChannelMessage(row, extra)]);
    }
    return row;
  });
}

export async function executeBacktest(db: Db, sandbox: Sandbox, id: string): Promise<BacktestRow['status'] | null> {
  const row = await moveAndTell(db, id, ['queued'], { status: 'running', startedAt: new Date() });
  if (!row) return null;
  const strategy = await loadStrategy(
    sandbox,
    await pinnedVersion(db, row.ownerId, row.strategyId, row.strategyVersion),
  );
  try {
    const market = await loadMarketSettings(db);
    const settings: BacktestSettings = { ...(row.settings as Omit<BacktestSettings, 'fees'>), fees: feeTerms(market) };
    const series = await recordedCandles(db, row.variantIds, row.interval, row.from, row.to);
    const result = await runBacktest(strategy, series, row.interval as BotInterval, settings, {
      onProgress: async (share) => {
        const moved = await moveAndTell(db, id, ['running'], { progress: share });
        return moved === null;
      },
    });
    const done = await moveAndTell(db, id, ['running'], {
      status: 'done',
      progress: 1,
      result: storedResult(result),
      resultHash: resultHash(result),
      finishedAt: new Date(),
    });
    return done?.status ?? 'cancelled';
  } catch (err) {
    if (err instanceof BacktestCancelledError) return 'cancelled';
    const message = err instanceof Error ? err.message : String(err);
    await moveAndTell(db, id, ['running'], {
      status: 'failed',
      error: message.slice(0, 2000),
      finishedAt: new Date(),
    });
    return 'failed';
  } finally {
    await strategy.close?.();
  }
}

function sample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const step = (points.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, i) => points[Math.round(i * step)] as T);
}

/** What a finished backtest keeps: the figures, a sample of the curves and the last round trips. */
export function storedResult(r: BacktestResult) {
  return {
    candles: r.candles,
    ticks: r.ticks,
    orders: r.orders,
    rejected: r.rejected,
    fills: r.fills,
    feesPaid: r.feesPaid,
    finalCash: r.finalCash,
    metrics: r.metrics as unknown as Record<string, { value: number } | { insufficient: string }>,
    equity: sample(r.equity, KEPT_POINTS).map(pointView),
    benchmark: sample(r.benchmark, KEPT_POINTS).map(pointView),
    trades: r.trades.slice(-KEPT_TRADES).map(tradeView),
  };
}
