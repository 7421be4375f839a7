/** Below this many recent trades the suggestion falls back to the rarity floor. */
export const SUGGESTION_MIN_TRADES = 5;
/** At most this many of the newest trades make the median. */
export const SUGGESTION_SAMPLE_SIZE = 20;
/** Trades older than this do not count as recent. */
export const SUGGESTION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

export interface PricePoint {
  /** Epoch milliseconds. */
  readonly ts: number;
  readonly price: bigint;
}

export interface SuggestionInput {
  readonly now: number;
  /** Recent trades of the card, any order; older or future ones are ignored. */
  readonly trades: readonly PricePoint[];
  /** The card's rarity-based floor price, used when there are too few trades. */
  readonly rarityFloor: bigint;
  /** The suggestion is rounded to a multiple of this (half up). Default 1. */
  readonly tickSize?: bigint;
  readonly sampleSize?: number;
  readonly maxAgeMs?: number;
}

export type PriceSuggestion =
  | {
      readonly source: 'recent_trades';
      /** Median price of the sample. */
      readonly price: bigint;
      readonly sampleSize: number;
      /** Epoch milliseconds of the oldest and newest trade in the sample. */
      readonly oldestTradeAt: number;
      readonly newestTradeAt: number;
      /** now − oldestTradeAt: how far back the sample reaches. */
      readonly ageMs: number;
    }
  | {
      readonly source: 'rarity_floor';
      readonly price: bigint;
      /** How many recent trades there were (fewer than SUGGESTION_MIN_TRADES). */
      readonly sampleSize: number;
      readonly reason: 'insufficient_trades';
      readonly minTrades: number;
    };

/**
 * A listing price to suggest: the median of the newest recent trades, or the rarity floor (saying
 * so) when there are fewer than SUGGESTION_MIN_TRADES of them. An even sample takes the mean of its
 * two middle prices; the result is rounded half up to the tick.
 */
export function suggestPrice(input: SuggestionInput): PriceSuggestion {
  const tick = input.tickSize ?? 1n;
  const maxAge = input.maxAgeMs ?? SUGGESTION_MAX_AGE_MS;
  const limit = input.sampleSize ?? SUGGESTION_SAMPLE_SIZE;
  const recent = input.trades
    .filter((t) => t.ts <= input.now && input.now - t.ts <= maxAge)
    .sort((a, b) => b.ts - a.ts)
    .slice(0, Math.max(0, limit));
  if (recent.length < SUGGESTION_MIN_TRADES) {
    return {
      source: 'rarity_floor',
      price: input.rarityFloor,
      sampleSize: recent.length,
      reason: 'insufficient_trades',
      minTrades: SUGGESTION_MIN_TRADES,
    };
  }
  const prices = recent.map((t) => t.price).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = prices.length >> 1;
  const upper = prices[mid] ?? 0n;
  const twice = prices.length % 2 === 1 ? 2n * upper : (prices[mid - 1] ?? 0n) + upper;
  const rounded = ((twice + tick) / (2n * tick)) * tick;
  const newest = recent[0]?.ts ?? input.now;
  const oldest = recent[recent.length - 1]?.ts ?? input.now;
  return {
    source: 'recent_trades',
    price: rounded < tick ? tick : rounded,
    sampleSize: recent.length,
    oldestTradeAt: oldest,
    newestTradeAt: newest,
    ageMs: input.now - oldest,
  };
}
