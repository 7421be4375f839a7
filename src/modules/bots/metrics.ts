/**
 * Performance metrics of a bot run: one implementation for backtests, paper bots and live bots, so
 * the same numbers mean the same thing everywhere.
 *
 * Definitions (equity e₀ … eₙ sampled at times t₀ … tₙ, ascending; periodic simple returns
 * rᵢ = eᵢ / eᵢ₋₁ − 1 for i = 1 … n; risk-free rate 0):
 *
 * - totalReturn = eₙ / e₀ − 1.
 * - cagr = (eₙ / e₀)^(1 / years) − 1, years = (tₙ − t₀) / 365.25 days (calendar time).
 * - sharpe = mean(r) / sampleStd(r) × √periodsPerYear, sampleStd with the n − 1 divisor.
 * - sortino = mean(r) / DD × √periodsPerYear, with the target downside deviation
 *   DD = √(Σ min(rᵢ, 0)² / n) taken over all periods (target 0).
 * - calmar = cagr / maxDrawdown.
 * - maxDrawdown = max over i of (peakᵢ − eᵢ) / peakᵢ, peakᵢ the highest equity up to i (a fraction).
 * - maxDrawdownDurationMs = the longest time spent below a previous peak: from the last time at the
 *   peak to the first point back at or above it, or to the last point when it never recovered.
 * - winRate = trades with pnl > 0 / all closed trades (break-even trades are not wins).
 * - profitFactor = Σ positive pnl / |Σ negative pnl|.
 * - expectancy = mean pnl per closed trade (pnl as recorded, net of fees).
 * - exposure = time holding a non-zero position / (tₙ − t₀), at most 1.
 * - benchmarkReturn = last / first price of the buy-and-hold series − 1.
 *
 * periodsPerYear, when not given, is one year divided by the median spacing of the equity points.
 *
 * A metric that cannot be computed honestly says why instead of holding a number: fewer than
 * MIN_TRADES closed trades for trade statistics; fewer than MIN_EQUITY_POINTS points or less than
 * MIN_SPAN_MS of history for sharpe, sortino, cagr and calmar; no variance, no downside, no drawdown
 * or no losing trade where a ratio would divide by zero. No NaN or Infinity ever leaves as a value.
 */

export type Metric = { value: number } | { insufficient: string };
/** A metric that is always known (counts and sums). */
export type KnownMetric = { value: number };

export interface EquityPoint {
  /** ms since epoch */
  t: number;
  /** Cash plus holdings at their mark (minor units); not negative. */
  equity: number;
}

export interface PricePoint {
  t: number;
  price: number;
}

/** A closed round trip (the simulator's or a live bot's); only its net pnl is read. */
export interface TradeResult {
  pnl: number;
}

export interface MetricsInput {
  /** Ascending by time. */
  equity: readonly EquityPoint[];
  trades: readonly TradeResult[];
  /** Every fee paid during the run (minor units). */
  fees: number;
  /** Time with a non-zero position (ms); exposure is unknown without it. */
  exposureMs?: number;
  /** Buy-and-hold value of the same cards over the same run. */
  benchmark?: readonly PricePoint[];
  /** Equity samples per year; derived from the equity spacing when absent. */
  periodsPerYear?: number;
}

export interface PerformanceReport {
  totalReturn: Metric;
  cagr: Metric;
  sharpe: Metric;
  sortino: Metric;
  calmar: Metric;
  maxDrawdown: Metric;
  maxDrawdownDurationMs: Metric;
  winRate: Metric;
  profitFactor: Metric;
  expectancy: Metric;
  exposure: Metric;
  tradeCount: KnownMetric;
  feesPaid: KnownMetric;
  benchmarkReturn: Metric;
  startEquity: Metric;
  endEquity: Metric;
}

const DAY_MS = 86_400_000;
export const YEAR_MS = 365.25 * DAY_MS;
export const MIN_TRADES = 5;
export const MIN_EQUITY_POINTS = 30;
export const MIN_SPAN_MS = 7 * DAY_MS;
/** A standard deviation this small is floating-point noise around identical returns. */
const NEGLIGIBLE_DEVIATION = 1e-12;

const insufficient = (why: string): Metric => ({ insufficient: why });

/** A computed number, or a reason when it overflowed or was undefined. */
function finite(value: number): Metric {
  return Number.isFinite(value) ? { value } : insufficient('not a finite number');
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => sum(xs) / xs.length;

function sampleStd(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(sum(xs.map((x) => (x - m) ** 2)) / (xs.length - 1));
}

function downsideDeviation(xs: readonly number[]): number {
  return Math.sqrt(sum(xs.map((x) => Math.min(x, 0) ** 2)) / xs.length);
}

/** Periodic simple returns, or null once equity has hit zero (later returns are undefined). */
function periodicReturns(points: readonly EquityPoint[]): number[] | null {
  const returns: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const before = (points[i - 1] as EquityPoint).equity;
    if (before <= 0) return null;
    returns.push((points[i] as EquityPoint).equity / before - 1);
  }
  return returns;
}

/** One year over the median spacing of the points (gaps of zero ignored). */
function derivePeriodsPerYear(points: readonly EquityPoint[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const gap = (points[i] as EquityPoint).t - (points[i - 1] as EquityPoint).t;
    if (gap > 0) gaps.push(gap);
  }
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  const median =
    gaps.length % 2 === 1 ? (gaps[mid] as number) : ((gaps[mid - 1] as number) + (gaps[mid] as number)) / 2;
  return YEAR_MS / median;
}

interface Drawdown {
  depth: number;
  durationMs: number;
}

function drawdown(points: readonly EquityPoint[]): Drawdown {
  let peak = points[0] as EquityPoint;
  let underwater = false;
  let depth = 0;
  let durationMs = 0;
  for (const p of points) {
    if (p.equity >= peak.equity) {
      if (underwater) durationMs = Math.max(durationMs, p.t - peak.t);
      peak = p;
      underwater = false;
    } else {
      underwater = true;
      if (peak.equity > 0) depth = Math.max(depth, (peak.equity - p.equity) / peak.equity);
    }
  }
  const last = points[points.length - 1] as EquityPoint;
  if (underwater) durationMs = Math.max(durationMs, last.t - peak.t);
  return { depth, durationMs };
}

/** Why the series is too short for annualised statistics, or null when it is long enough. */
function seriesShortfall(points: readonly EquityPoint[]): string | null {
  if (points.length < MIN_EQUITY_POINTS) {
    return `needs at least ${MIN_EQUITY_POINTS} equity points (got ${points.length})`;
  }
  const spanMs = (points[points.length - 1] as EquityPoint).t - (points[0] as EquityPoint).t;
  if (spanMs < MIN_SPAN_MS) return `needs at least ${MIN_SPAN_MS / DAY_MS} days of history`;
  return null;
}

function calmarOf(cagr: Metric, maxDrawdown: number): Metric {
  if (!('value' in cagr)) return cagr;
  return maxDrawdown === 0 ? insufficient('no drawdown') : finite(cagr.value / maxDrawdown);
}

type RiskMetrics = Pick<PerformanceReport, 'cagr' | 'sharpe' | 'sortino' | 'calmar'>;

function riskMetrics(points: readonly EquityPoint[], maxDrawdown: number, periodsPerYear?: number): RiskMetrics {
  const shortfall = seriesShortfall(points);
  if (shortfall !== null) {
    const all = insufficient(shortfall);
    return { cagr: all, sharpe: all, sortino: all, calmar: all };
  }
  const first = points[0] as EquityPoint;
  const last = points[points.length - 1] as EquityPoint;
  if (first.equity <= 0) {
    const all = insufficient('starting equity is not positive');
    return { cagr: all, sharpe: all, sortino: all, calmar: all };
  }
  const years = (last.t - first.t) / YEAR_MS;
  const cagr = finite((last.equity / first.equity) ** (1 / years) - 1);
  const calmar = calmarOf(cagr, maxDrawdown);
  const returns = periodicReturns(points);
  if (returns === null) {
    const undefinedReturns = insufficient('equity reached zero');
    return { cagr, sharpe: undefinedReturns, sortino: undefinedReturns, calmar };
  }
  const scale = Math.sqrt(periodsPerYear ?? derivePeriodsPerYear(points));
  const m = mean(returns);
  const std = sampleStd(returns);
  const dd = downsideDeviation(returns);
  return {
    cagr,
    calmar,
    sharpe: std < NEGLIGIBLE_DEVIATION ? insufficient('returns have no variance') : finite((m / std) * scale),
    sortino:
      dd < NEGLIGIBLE_DEVIATION
        ? insufficient('no losing periods (zero downside deviation)')
        : finite((m / dd) * scale),
  };
}

type TradeMetrics = Pick<PerformanceReport, 'winRate' | 'profitFactor' | 'expectancy'>;

function tradeMetrics(trades: readonly TradeResult[]): TradeMetrics {
  if (trades.length < MIN_TRADES) {
    const all = insufficient(`needs at least ${MIN_TRADES} closed trades (got ${trades.length})`);
    return { winRate: all, profitFactor: all, expectancy: all };
  }
  const pnls = trades.map((t) => t.pnl);
  const gains = sum(pnls.filter((p) => p > 0));
  const losses = -sum(pnls.filter((p) => p < 0));
  return {
    winRate: { value: pnls.filter((p) => p > 0).length / pnls.length },
    profitFactor: losses === 0 ? insufficient('no losing trades') : finite(gains / losses),
    expectancy: finite(mean(pnls)),
  };
}

function ratioReturn(first: number, last: number, what: string): Metric {
  return first > 0 ? finite(last / first - 1) : insufficient(`starting ${what} is not positive`);
}

function benchmarkReturn(benchmark: readonly PricePoint[] | undefined): Metric {
  if (benchmark === undefined || benchmark.length < 2) return insufficient('no buy-and-hold series');
  const first = benchmark[0] as PricePoint;
  const last = benchmark[benchmark.length - 1] as PricePoint;
  return ratioReturn(first.price, last.price, 'price');
}

/**
 * Time spent holding a position, from snapshots in time order: each interval between two
 * snapshots counts when a position was held at its start.
 */
export function timeInPosition(points: readonly { t: number; held: boolean }[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) {
    const start = points[i - 1] as { t: number; held: boolean };
    if (start.held) total += (points[i] as { t: number }).t - start.t;
  }
  return total;
}

function exposure(exposureMs: number | undefined, spanMs: number): Metric {
  if (exposureMs === undefined) return insufficient('time in position not recorded');
  if (spanMs <= 0) return insufficient('no time elapsed');
  return finite(Math.min(1, Math.max(0, exposureMs) / spanMs));
}

function assertAscending(points: readonly EquityPoint[]): void {
  for (let i = 1; i < points.length; i++) {
    if ((points[i] as EquityPoint).t < (points[i - 1] as EquityPoint).t) {
      throw new RangeError('equity points must be in ascending time order');
    }
  }
}

/** The full report of a run; see the module comment for each definition. */
export function performanceReport(input: MetricsInput): PerformanceReport {
  const { equity: points, trades, fees, periodsPerYear } = input;
  if (periodsPerYear !== undefined && !(periodsPerYear > 0 && Number.isFinite(periodsPerYear))) {
    throw new RangeError('periodsPerYear must be a positive number');
  }
  assertAscending(points);
  const known = {
    tradeCount: { value: trades.length },
    feesPaid: { value: fees },
    ...tradeMetrics(trades),
    benchmarkReturn: benchmarkReturn(input.benchmark),
  };
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) {
    const none = insufficient('no equity points');
    return {
      ...known,
      totalReturn: none,
      cagr: none,
      sharpe: none,
      sortino: none,
      calmar: none,
      maxDrawdown: none,
      maxDrawdownDurationMs: none,
      exposure: none,
      startEquity: none,
      endEquity: none,
    };
  }
  const dd = drawdown(points);
  return {
    ...known,
    totalReturn:
      points.length < 2
        ? insufficient('needs at least 2 equity points')
        : ratioReturn(first.equity, last.equity, 'equity'),
    ...riskMetrics(points, dd.depth, periodsPerYear),
    maxDrawdown: { value: dd.depth },
    maxDrawdownDurationMs: { value: dd.durationMs },
    exposure: exposure(input.exposureMs, last.t - first.t),
    startEquity: { value: first.equity },
    endEquity: { value: last.equity },
  };
}
