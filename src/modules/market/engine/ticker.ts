import type { TradeTick } from './candles.ts';

/** The ticker covers the trades with now − 24 h < ts ≤ now. */
export const TICKER_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Below this many trades in the window, the card's ticker and candles are flagged thin. */
export const THIN_TRADE_COUNT = 5;

export const isThin = (tradesIn24h: number): boolean => tradesIn24h < THIN_TRADE_COUNT;

export interface Ticker {
  /** Last traded price, even when older than the window; null when the card never traded. */
  readonly last: bigint | null;
  /** Supplied by the caller from the book. */
  readonly bestBid: bigint | null;
  readonly bestAsk: bigint | null;
  /**
   * Reference of the 24 h change: the last price before the window when known, else the first price
   * inside it. Null when neither exists.
   */
  readonly open: bigint | null;
  /** last − open; null without a reference. */
  readonly change: bigint | null;
  /** change / open in basis points, truncated towards zero. */
  readonly changeBps: bigint | null;
  /** Over the window's trades; null without trades in the window. */
  readonly high: bigint | null;
  readonly low: bigint | null;
  readonly volume: bigint;
  readonly notional: bigint;
  readonly trades: number;
  readonly thin: boolean;
  /** Epoch milliseconds: the window is (windowStart, windowEnd]. */
  readonly windowStart: number;
  readonly windowEnd: number;
}

export interface TickerInput {
  readonly now: number;
  /** Trades in execution order; those outside the window are ignored. */
  readonly trades: readonly TradeTick[];
  /** Price of the last trade at or before the window start, when the caller knows it. */
  readonly previousPrice?: bigint | null;
  readonly bestBid: bigint | null;
  readonly bestAsk: bigint | null;
}

/** The 24 h ticker from a list of trades. */
export function computeTicker(input: TickerInput): Ticker {
  const windowStart = input.now - TICKER_WINDOW_MS;
  let previous = input.previousPrice ?? null;
  let first: bigint | null = null;
  let last: bigint | null = null;
  let high: bigint | null = null;
  let low: bigint | null = null;
  let volume = 0n;
  let notional = 0n;
  let trades = 0;
  for (const t of input.trades) {
    if (t.ts > input.now) continue;
    if (t.ts <= windowStart) {
      previous = t.price;
      continue;
    }
    first ??= t.price;
    last = t.price;
    if (high === null || t.price > high) high = t.price;
    if (low === null || t.price < low) low = t.price;
    volume += t.quantity;
    notional += t.price * t.quantity;
    trades += 1;
  }
  return tickerOf({
    windowStart,
    windowEnd: input.now,
    previous,
    first,
    last,
    high,
    low,
    volume,
    notional,
    trades,
    bestBid: input.bestBid,
    bestAsk: input.bestAsk,
  });
}

export interface TickerParts {
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Last price before the window. */
  readonly previous: bigint | null;
  /** First and last price inside the window. */
  readonly first: bigint | null;
  readonly last: bigint | null;
  readonly high: bigint | null;
  readonly low: bigint | null;
  readonly volume: bigint;
  readonly notional: bigint;
  readonly trades: number;
  readonly bestBid: bigint | null;
  readonly bestAsk: bigint | null;
}

/** Assembles a ticker from window aggregates (shared by the list and the rolling computations). */
export function tickerOf(p: TickerParts): Ticker {
  const last = p.last ?? p.previous;
  const open = p.previous ?? p.first;
  const change = last !== null && open !== null ? last - open : null;
  const changeBps = change !== null && open !== null && open > 0n ? (change * 10_000n) / open : null;
  return {
    last,
    bestBid: p.bestBid,
    bestAsk: p.bestAsk,
    open,
    change,
    changeBps,
    high: p.high,
    low: p.low,
    volume: p.volume,
    notional: p.notional,
    trades: p.trades,
    thin: isThin(p.trades),
    windowStart: p.windowStart,
    windowEnd: p.windowEnd,
  };
}
