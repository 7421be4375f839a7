/**
 * OHLCV candles, updated one trade at a time. Buckets are aligned on the UTC epoch:
 * start = floor(ts / interval) × interval, so 1d candles open at 00:00 UTC and 4h ones at 00, 04, … UTC.
 * Timestamps are epoch milliseconds.
 */

export const CANDLE_INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

const MINUTE = 60_000;
export const INTERVAL_MS: Readonly<Record<CandleInterval, number>> = Object.freeze({
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '4h': 240 * MINUTE,
  '1d': 1440 * MINUTE,
});

/** One execution as market data sees it. */
export interface TradeTick {
  /** Epoch milliseconds. */
  readonly ts: number;
  readonly price: bigint;
  readonly quantity: bigint;
}

export interface Candle {
  readonly interval: CandleInterval;
  /** Epoch milliseconds of the bucket start. */
  readonly start: number;
  readonly open: bigint;
  readonly high: bigint;
  readonly low: bigint;
  readonly close: bigint;
  /** Card units traded. */
  readonly volume: bigint;
  /** Coins traded: Σ price × quantity. */
  readonly notional: bigint;
  readonly trades: number;
}

export function bucketStart(ts: number, interval: CandleInterval): number {
  const ms = INTERVAL_MS[interval];
  return Math.floor(ts / ms) * ms;
}

/**
 * The candle after one more trade. Apply trades in execution order: the first applied is the open and
 * the last the close. `candle` is the current candle of the trade's bucket, or null when there is none.
 */
export function applyTrade(candle: Candle | null, trade: TradeTick, interval: CandleInterval): Candle {
  const start = bucketStart(trade.ts, interval);
  const notional = trade.price * trade.quantity;
  if (candle === null) {
    const p = trade.price;
    return { interval, start, open: p, high: p, low: p, close: p, volume: trade.quantity, notional, trades: 1 };
  }
  if (candle.interval !== interval || candle.start !== start) {
    throw new RangeError(`trade at ${trade.ts} is outside the ${interval} candle starting ${candle.start}`);
  }
  return {
    interval,
    start,
    open: candle.open,
    high: trade.price > candle.high ? trade.price : candle.high,
    low: trade.price < candle.low ? trade.price : candle.low,
    close: trade.price,
    volume: candle.volume + trade.quantity,
    notional: candle.notional + notional,
    trades: candle.trades + 1,
  };
}

/** In-memory candles of one card for every interval, kept current trade by trade. */
export class CandleAggregator {
  private readonly byInterval = new Map<CandleInterval, Map<number, Candle>>(
    CANDLE_INTERVALS.map((i) => [i, new Map<number, Candle>()]),
  );

  constructor(private readonly intervals: readonly CandleInterval[] = CANDLE_INTERVALS) {}

  /** Applies a trade to every interval; returns the updated candles (one per interval). */
  add(trade: TradeTick): Candle[] {
    const updated: Candle[] = [];
    for (const interval of this.intervals) {
      const store = this.store(interval);
      const start = bucketStart(trade.ts, interval);
      const next = applyTrade(store.get(start) ?? null, trade, interval);
      store.set(start, next);
      updated.push(next);
    }
    return updated;
  }

  get(interval: CandleInterval, start: number): Candle | null {
    return this.store(interval).get(start) ?? null;
  }

  /** Candles with trades whose bucket lies in the range `fillSeries` would cover, oldest first. */
  range(interval: CandleInterval, from: number, to: number): Candle[] {
    const store = this.store(interval);
    const out: Candle[] = [];
    const ms = INTERVAL_MS[interval];
    for (let start = bucketStart(from, interval); start < to; start += ms) {
      const candle = store.get(start);
      if (candle !== undefined) out.push(candle);
    }
    return out;
  }

  private store(interval: CandleInterval): Map<number, Candle> {
    const store = this.byInterval.get(interval);
    if (store === undefined) throw new RangeError(`unknown interval ${interval}`);
    return store;
  }
}

/** A point of a gap-free series: an interval without trades has null prices and zero volume. */
export interface SeriesPoint {
  readonly start: number;
  readonly open: bigint | null;
  readonly high: bigint | null;
  readonly low: bigint | null;
  readonly close: bigint | null;
  readonly volume: bigint;
  readonly notional: bigint;
  readonly trades: number;
}

export const MAX_SERIES_POINTS = 5_000;

/** Number of buckets from the one holding `from` up to (not including) the first starting at or after `to`. */
export function seriesLength(interval: CandleInterval, from: number, to: number): number {
  const first = bucketStart(from, interval);
  if (to <= first) return 0;
  return Math.ceil((to - first) / INTERVAL_MS[interval]);
}

/**
 * Every bucket of [from, to) in order, with the stored candles where there were trades and explicit
 * empty points elsewhere; no price is carried over into an empty interval. Throws RangeError when
 * the range has more than `maxPoints` buckets (check with `seriesLength` first).
 */
export function fillSeries(
  candles: readonly Candle[],
  interval: CandleInterval,
  from: number,
  to: number,
  maxPoints: number = MAX_SERIES_POINTS,
): SeriesPoint[] {
  const length = seriesLength(interval, from, to);
  if (length > maxPoints) throw new RangeError(`range holds ${length} ${interval} candles, more than ${maxPoints}`);
  const byStart = new Map<number, Candle>();
  for (const c of candles) if (c.interval === interval) byStart.set(c.start, c);
  const ms = INTERVAL_MS[interval];
  const first = bucketStart(from, interval);
  const out: SeriesPoint[] = [];
  for (let i = 0; i < length; i++) {
    const start = first + i * ms;
    const c = byStart.get(start);
    out.push(
      c === undefined
        ? { start, open: null, high: null, low: null, close: null, volume: 0n, notional: 0n, trades: 0 }
        : {
            start,
            open: c.open,
            high: c.high,
            low: c.low,
            close: c.close,
            volume: c.volume,
            notional: c.notional,
            trades: c.trades,
          },
    );
  }
  return out;
}
