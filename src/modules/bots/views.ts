import type { Static } from 'typebox';
import type { BacktestStored } from './backtest-service.ts';
import type { ClosedTrade } from './simulator.ts';
import type { Backtest, Bot, BotOrder, BotSettings, Run, Strategy } from './schemas.ts';
import type { BacktestRow, BotOrderRow, BotRow, RunRow, StrategyRow } from './tables.ts';

/* How the bots module's rows look in replies: numbers for amounts, ISO strings for times. */

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function strategyView(
  row: StrategyRow,
  version?: { document: unknown; source: string | null },
): Static<typeof Strategy> {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    kind: row.kind,
    latestVersion: row.latestVersion,
    ...(version && version.source !== null ? { source: version.source } : {}),
    ...(version && version.source === null ? { document: version.document } : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function botView(row: BotRow): Static<typeof Bot> {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    strategyId: row.strategyId,
    strategyVersion: row.strategyVersion,
    mode: row.mode,
    status: row.status,
    pauseReason: row.pauseReason,
    variantIds: row.variantIds,
    interval: row.interval,
    allocation: Number(row.allocation),
    settings: row.settings as BotSettings,
    consecutiveFailures: row.consecutiveFailures,
    nextRunAt: iso(row.nextRunAt),
    lastTick: iso(row.lastTick),
    startedAt: iso(row.startedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function runView(row: RunRow): Static<typeof Run> {
  return {
    id: row.id,
    tick: row.tick.toISOString(),
    scheduledAt: row.scheduledAt.toISOString(),
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt.toISOString(),
    lagMs: row.startedAt.getTime() - row.scheduledAt.getTime(),
    status: row.status,
    errorKind: row.errorKind,
    error: row.error,
    inputsDigest: row.inputsDigest,
    decisions: row.decisions as unknown[],
    orders: row.orders as unknown[],
    fills: row.fills as unknown[],
    notes: row.notes as string[],
    durationMs: row.durationMs,
    cpuMs: row.cpuMs,
  };
}

export function botOrderView(row: BotOrderRow): Static<typeof BotOrder> {
  return {
    id: row.id,
    runId: row.runId,
    variantId: row.variantId,
    side: row.side,
    type: row.type,
    price: row.price === null ? null : Number(row.price),
    quantity: Number(row.quantity),
    filled: Number(row.filled),
    status: row.status,
    reason: row.reason,
    rejection: row.rejection,
    exchangeOrderId: row.exchangeOrderId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function backtestView(row: BacktestRow): Static<typeof Backtest> {
  const stored = row.result as BacktestStored | null;
  return {
    id: row.id,
    ownerId: row.ownerId,
    strategyId: row.strategyId,
    strategyVersion: row.strategyVersion,
    variantIds: row.variantIds,
    interval: row.interval,
    from: row.from.toISOString(),
    to: row.to.toISOString(),
    settings: row.settings as Record<string, unknown>,
    status: row.status,
    progress: row.progress,
    resultHash: row.resultHash,
    result: stored,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

/** Turns ms timestamps of points and trades into ISO strings for replies. */
export const pointView = (p: { t: number; equity: number }) => ({ t: new Date(p.t).toISOString(), equity: p.equity });
export const tradeView = (t: ClosedTrade) => ({
  ...t,
  entryAt: new Date(t.entryAt).toISOString(),
  exitAt: new Date(t.exitAt).toISOString(),
});
