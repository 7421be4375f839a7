import type { RankKey } from './repo.ts';
import type { EntryRow } from './tables.ts';

/** A bot or backtest on a board: names and the platform's numbers, never strategy content. */
export function boardEntryView(row: EntryRow, rank: number, key: RankKey, owner: string | null) {
  const metrics = {
    totalReturn: row.totalReturn,
    sharpe: row.sharpe,
    maxDrawdown: row.maxDrawdown,
    profitFactor: row.profitFactor,
  };
  const value =
    key === 'return'
      ? row.totalReturn
      : key === 'sharpe'
        ? row.sharpe
        : key === 'maxDrawdown'
          ? row.maxDrawdown
          : key === 'profitFactor'
            ? row.profitFactor
            : Number(row.amount);
  const backtest = row.board === 'backtest';
  return {
    rank,
    botId: backtest ? null : row.subjectId,
    backtestId: backtest ? row.subjectId : null,
    botName: row.name,
    owner,
    value: value ?? 0,
    trades: row.trades,
    metrics,
    computedAt: row.computedAt.toISOString(),
  };
}

/** A trader or collector: their username and amount only. */
export function personEntryView(row: EntryRow, rank: number, username: string) {
  return {
    rank,
    username,
    value: Number(row.amount ?? 0n),
    count: row.trades,
    computedAt: row.computedAt.toISOString(),
  };
}
