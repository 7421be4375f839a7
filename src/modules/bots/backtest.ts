import { createHash } from 'node:crypto';
import { performanceReport, timeInPosition, type PerformanceReport } from './metrics.ts';
import { Simulator, emptyState, type ClosedTrade, type SimSettings, type SimState } from './simulator.ts';
import {
  DEFAULT_LOOKBACK,
  INTERVAL_MS,
  type BotInterval,
  type Candle,
  type Intent,
  type Strategy,
  type StrategyInput,
  type StrategyOutput,
} from './strategy.ts';

/*
 * The backtest engine: replays the exchange's recorded candles through a strategy and the
 * simulated account. At each candle close the strategy sees only candles that closed by then
 * (it is handed slices, never the series), its intents rest until a later candle fills them, and
 * equity is marked at the close. Same strategy version, candles and settings → byte-identical
 * result and hash.
 */

export interface BacktestSettings extends SimSettings {
  initialCash: number;
  lookback?: number;
  /**
   * Ticks before this time (ms) only advance the market: the strategy first decides at it. A
   * replay of a bot started at some moment uses it to begin where the bot began.
   */
  decideFrom?: number;
  /** When given, the strategy decides only at these ticks (a replay of a bot that skipped some). */
  decideAt?: ReadonlySet<number>;
}

export interface EquityPoint {
  t: number;
  equity: number;
}

export interface BacktestResult {
  candles: number;
  ticks: number;
  orders: number;
  rejected: number;
  fills: number;
  feesPaid: number;
  finalCash: number;
  holdings: SimState['holdings'];
  trades: ClosedTrade[];
  equity: EquityPoint[];
  benchmark: EquityPoint[];
  metrics: PerformanceReport;
}

export interface BacktestHooks {
  /** Called every few hundred ticks with the share done; returning true cancels the run. */
  onProgress?: (share: number) => boolean | Promise<boolean>;
  /** Called after each decision with what the simulated account made of its intents. */
  onDecision?: (time: number, outcomes: ReturnType<typeof applyIntents>['outcomes']) => void;
}

export class BacktestCancelledError extends Error {
  constructor() {
    super('backtest cancelled');
  }
}

/** Candle close times across all cards, in order. */
function timeline(series: Record<string, Candle[]>, intervalMs: number, extra?: ReadonlySet<number>): number[] {
  const closes = new Set<number>(extra);
  for (const candles of Object.values(series)) for (const c of candles) closes.add(c.start + intervalMs);
  return [...closes].sort((a, b) => a - b);
}

/** Applies one strategy answer to the simulator; returns how many orders it accepted and refused. */
export function applyIntents(
  sim: Simulator,
  intents: readonly Intent[],
  time: number,
  lastClose: Record<string, number>,
  nextId: () => string,
): { placed: number; rejected: number; outcomes: { intent: Intent; orderId?: string; rejected?: string }[] } {
  let placed = 0;
  let rejected = 0;
  const outcomes: { intent: Intent; orderId?: string; rejected?: string }[] = [];
  for (const intent of intents) {
    if (intent.action === 'cancel') {
      outcomes.push(sim.cancel(intent.orderId) ? { intent } : { intent, rejected: 'no such open order' });
      continue;
    }
    if (!(intent.variantId in lastClose)) {
      rejected += 1;
      outcomes.push({ intent, rejected: 'not a card this bot watches' });
      continue;
    }
    const result = sim.place(intent, nextId(), time, lastClose[intent.variantId]);
    if ('order' in result) {
      placed += 1;
      outcomes.push({ intent, orderId: result.order.id });
    } else {
      rejected += 1;
      outcomes.push({ intent, rejected: result.rejected });
    }
  }
  return { placed, rejected, outcomes };
}

/** The strategy's view at `time`: the last `lookback` closed candles of each card, copied. */
export function strategyInput(
  sim: Simulator,
  windows: Record<string, Candle[]>,
  time: number,
  interval: BotInterval,
  state: Record<string, unknown>,
): StrategyInput {
  const holdings: StrategyInput['holdings'] = {};
  for (const [v, h] of Object.entries(sim.state.holdings)) holdings[v] = { ...h };
  return {
    time,
    interval,
    candles: windows,
    cash: sim.available(),
    holdings,
    openOrders: sim.openOrders(),
    lastExitAt: { ...sim.state.lastExitAt },
    state,
  };
}

/** Runs a strategy over recorded candles (each card's candles ascending by start). */
export async function runBacktest(
  strategy: Strategy,
  series: Record<string, Candle[]>,
  interval: BotInterval,
  settings: BacktestSettings,
  hooks: BacktestHooks = {},
): Promise<BacktestResult> {
  const ms = INTERVAL_MS[interval];
  const lookback = settings.lookback ?? DEFAULT_LOOKBACK;
  const sim = new Simulator(emptyState(settings.initialCash), settings);
  const cards = Object.keys(series).sort();
  const cursor: Record<string, number> = Object.fromEntries(cards.map((v) => [v, 0]));
  const lastClose: Record<string, number> = {};
  const firstClose: Record<string, number> = {};
  const closes = timeline(series, ms, settings.decideAt);
  const equity: EquityPoint[] = [];
  const benchmark: EquityPoint[] = [];
  const positions: { t: number; held: boolean }[] = [];
  let state: Record<string, unknown> = {};
  let seq = 0;
  let orders = 0;
  let rejected = 0;
  let fills = 0;
  let candleCount = 0;
  for (const [i, time] of closes.entries()) {
    const windows: Record<string, Candle[]> = {};
    for (const v of cards) {
      const candles = series[v] ?? [];
      let k = cursor[v] ?? 0;
      while (k < candles.length && (candles[k] as Candle).start + ms <= time) {
        const candle = candles[k] as Candle;
        fills += sim.advance(v, candle).length;
        lastClose[v] = candle.close;
        firstClose[v] ??= candle.close;
        candleCount += 1;
        k += 1;
      }
      cursor[v] = k;
      if (k > 0) windows[v] = candles.slice(Math.max(0, k - lookback), k);
    }
    if (time >= (settings.decideFrom ?? -Infinity) && (!settings.decideAt || settings.decideAt.has(time))) {
      const output: StrategyOutput = await strategy.decide(strategyInput(sim, windows, time, interval, state));
      state = output.state ?? state;
      const applied = applyIntents(sim, output.intents, time, lastClose, () => `o${++seq}`);
      orders += applied.placed;
      rejected += applied.rejected;
      hooks.onDecision?.(time, applied.outcomes);
    }
    equity.push({ t: time, equity: sim.equity(lastClose) });
    positions.push({ t: time, held: Object.keys(sim.state.holdings).length > 0 });
    benchmark.push({ t: time, equity: buyAndHold(settings.initialCash, firstClose, lastClose) });
    if (hooks.onProgress && i % 500 === 499 && (await hooks.onProgress((i + 1) / closes.length))) {
      throw new BacktestCancelledError();
    }
  }
  const metrics = performanceReport({
    equity,
    trades: sim.closed,
    fees: sim.state.feesPaid,
    benchmark: benchmark.map((p) => ({ t: p.t, price: p.equity })),
    exposureMs: timeInPosition(positions),
  });
  return {
    candles: candleCount,
    ticks: closes.length,
    orders,
    rejected,
    fills,
    feesPaid: sim.state.feesPaid,
    finalCash: sim.state.cash,
    holdings: sim.state.holdings,
    trades: sim.closed,
    equity,
    benchmark,
    metrics,
  };
}

/** Equity of putting the initial cash equally into every card at its first close and holding. */
function buyAndHold(initialCash: number, first: Record<string, number>, last: Record<string, number>): number {
  const cards = Object.keys(first);
  if (cards.length === 0) return initialCash;
  const share = initialCash / cards.length;
  let value = 0;
  for (const v of cards) value += (share * (last[v] ?? 0)) / (first[v] ?? 1);
  return Math.round(value);
}

/** SHA-256 of the result's canonical JSON (keys sorted): equal results, equal hashes. */
export function resultHash(result: BacktestResult): string {
  return createHash('sha256').update(canonicalJson(result)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
