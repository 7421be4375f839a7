/*
 * The one strategy interface. The same strategy object runs in a backtest, a paper bot and a live
 * bot: the runner hands it what is known at the close of a candle and gets intents back. It never
 * holds a reference to data beyond that moment, so it cannot look ahead: the input is built from
 * closed candles up to `time` and nothing else, and it is a fresh copy on every call.
 *
 * Prices and coin amounts are integers in the coin's minor unit (as the exchange stores them);
 * quantities are whole cards.
 */

/** Candle lengths a bot may run on (the exchange records each of them). */
export const BOT_INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type BotInterval = (typeof BOT_INTERVALS)[number];

export const INTERVAL_MS: Record<BotInterval, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/** One closed candle; `start` is the bucket's start (ms since epoch). */
export interface Candle {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** What the bot holds of one card. */
export interface Holding {
  quantity: number;
  /** Average price paid for what is held (minor units). */
  entryPrice: number;
  /** Highest close since the position was opened (for trailing stops). */
  peakPrice: number;
  /** When the position was opened (ms). */
  openedAt: number;
}

export interface OpenOrderView {
  id: string;
  variantId: string;
  side: 'buy' | 'sell';
  price: number | null;
  quantity: number;
  remaining: number;
  placedAt: number;
}

export interface StrategyInput {
  /** The close time of the latest candle (ms): "now" for the strategy. */
  time: number;
  interval: BotInterval;
  /** Closed candles per watched card (variant id), oldest first, ending at `time`. */
  candles: Record<string, Candle[]>;
  /** Coins the bot may spend now (minor units), after what its open orders hold. */
  cash: number;
  holdings: Record<string, Holding>;
  openOrders: OpenOrderView[];
  /** When each card's last position was closed (ms), for cooldowns. */
  lastExitAt: Record<string, number>;
  /** What the strategy returned as `state` last time (JSON), or `{}`. */
  state: Record<string, unknown>;
}

export type Intent =
  | {
      action: 'buy' | 'sell';
      variantId: string;
      type: 'limit' | 'market';
      quantity: number;
      /** Limit price (minor units); required for limit orders. */
      price?: number;
      /** Why (shown in the run log), e.g. "sma cross up" or "stop-loss". */
      reason?: string;
    }
  | { action: 'cancel'; orderId: string; reason?: string };

export interface StrategyOutput {
  intents: Intent[];
  /** Carried to the next call as `input.state` (JSON, bounded in size). */
  state?: Record<string, unknown>;
  /** Short notes for the run log. */
  notes?: string[];
}

export interface Strategy {
  decide(input: StrategyInput): StrategyOutput | Promise<StrategyOutput>;
  /** Frees what the strategy holds (a sandbox's worker). */
  close?(): Promise<void>;
}

/** Candles a strategy sees per card (the warm-up window of its indicators). */
export const DEFAULT_LOOKBACK = 200;
