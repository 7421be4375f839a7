import { recordReport, type BoardFill, type EquityPoint, type Metric } from '../bots/index.ts';
import type { BoardPeriod } from './contract.ts';

/*
 * The pure part of the boards: which stretch of a record a period covers, the metrics of that
 * stretch (through the bots' one metrics implementation) and the qualification rules. No I/O.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const PERIOD_MS: Record<BoardPeriod, number | null> = {
  '7d': 7 * DAY_MS,
  '30d': 30 * DAY_MS,
  '90d': 90 * DAY_MS,
  all: null,
};
export const PERIODS = Object.keys(PERIOD_MS) as BoardPeriod[];

export interface QualificationRules {
  /** Closed trades in the period. */
  minTrades: number;
  /** Hours between the first point of the record and now. */
  minAgeHours: number;
  /** Minor units allocated to the bot (a backtest: its starting cash). */
  minAllocation: number;
}

/** Where a period starts (ms), or null for all time. */
export function periodStart(period: BoardPeriod, now: number): number | null {
  const span = PERIOD_MS[period];
  return span === null ? null : now - span;
}

export interface EntryValues {
  qualified: boolean;
  reason: string | null;
  totalReturn: number | null;
  sharpe: number | null;
  maxDrawdown: number | null;
  profitFactor: number | null;
  trades: number;
}

const valueOf = (m: Metric | undefined): number | null => (m && 'value' in m ? m.value : null);

/** The first rule the subject misses, or null when it qualifies. */
export function missedRule(
  rules: QualificationRules,
  facts: { allocation: number; ageHours: number; trades: number },
): string | null {
  if (facts.allocation < rules.minAllocation) return `allocation below ${rules.minAllocation}`;
  if (facts.ageHours < rules.minAgeHours) return `record shorter than ${rules.minAgeHours} hours`;
  if (facts.trades < rules.minTrades) return `fewer than ${rules.minTrades} closed trades`;
  return null;
}

export interface BotRecordInput {
  allocation: number;
  /** When the bot's current strategy version was pinned: nothing before counts. */
  since: number;
  /** The record since `since`, ascending; wash-traded fills already removed. */
  equity: readonly EquityPoint[];
  fills: readonly BoardFill[];
}

/** A bot's values on one period's board. */
export function botValues(
  input: BotRecordInput,
  period: BoardPeriod,
  now: number,
  rules: QualificationRules,
): EntryValues {
  const start = Math.max(periodStart(period, now) ?? input.since, input.since);
  const equity = input.equity.filter((p) => p.t >= start && p.t <= now);
  const fills = input.fills.filter((f) => f.at >= start && f.at <= now);
  const report = recordReport(equity, fills);
  const first = input.equity.find((p) => p.t >= input.since);
  const ageHours = first ? (now - first.t) / HOUR_MS : 0;
  const trades = report.tradeCount.value;
  const reason = missedRule(rules, { allocation: input.allocation, ageHours, trades });
  return {
    qualified: reason === null,
    reason,
    totalReturn: valueOf(report.totalReturn),
    sharpe: valueOf(report.sharpe),
    maxDrawdown: valueOf(report.maxDrawdown),
    profitFactor: valueOf(report.profitFactor),
    trades,
  };
}

/** A finished backtest's values, from the report it stored; its age is the span it covered. */
export function backtestValues(
  bt: { initialCash: number | null; from: Date; to: Date; metrics: Partial<Record<string, Metric>> },
  rules: QualificationRules,
): EntryValues {
  const trades = valueOf(bt.metrics.tradeCount) ?? 0;
  const reason = missedRule(rules, {
    allocation: bt.initialCash ?? 0,
    ageHours: (bt.to.getTime() - bt.from.getTime()) / HOUR_MS,
    trades,
  });
  return {
    qualified: reason === null,
    reason,
    totalReturn: valueOf(bt.metrics.totalReturn),
    sharpe: valueOf(bt.metrics.sharpe),
    maxDrawdown: valueOf(bt.metrics.maxDrawdown),
    profitFactor: valueOf(bt.metrics.profitFactor),
    trades,
  };
}

/** One side of an exchange trade as the trader saw it. */
export interface TraderFill {
  userId: string;
  variantId: string;
  side: 'buy' | 'sell';
  price: bigint;
  quantity: bigint;
  fee: bigint;
  at: number;
}

interface Position {
  quantity: bigint;
  cost: bigint;
}

/**
 * Realised profit per trader with an average cost per card: a buy adds price × quantity plus its
 * fee to the cost; a sale realises its proceeds net of fee minus the average cost of the copies
 * sold. Copies sold beyond what the trader bought on the exchange (packs, gifts) have no cost and
 * are left out, proceeds and all. Profit counts only sales at or after `from`; fills counts every
 * fill at or after it. Feed fills in execution order, across calls.
 */
export class RealisedProfit {
  private readonly positions = new Map<string, Position>();
  readonly profit = new Map<string, bigint>();
  readonly fills = new Map<string, number>();

  constructor(private readonly from: number | null) {}

  add(f: TraderFill): void {
    const key = `${f.userId}:${f.variantId}`;
    const pos = this.positions.get(key) ?? { quantity: 0n, cost: 0n };
    this.positions.set(key, pos);
    const counted = this.from === null || f.at >= this.from;
    if (counted) this.fills.set(f.userId, (this.fills.get(f.userId) ?? 0) + 1);
    if (f.side === 'buy') {
      pos.quantity += f.quantity;
      pos.cost += f.price * f.quantity + f.fee;
      return;
    }
    const matched = f.quantity < pos.quantity ? f.quantity : pos.quantity;
    if (matched === 0n) return;
    const basis = (pos.cost * matched) / pos.quantity;
    const proceeds = ((f.price * f.quantity - f.fee) * matched) / f.quantity;
    pos.quantity -= matched;
    pos.cost -= basis;
    if (counted) this.profit.set(f.userId, (this.profit.get(f.userId) ?? 0n) + proceeds - basis);
  }
}
