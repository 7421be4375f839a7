/** The market's pure core: matching, fees, market data and profit maths, free of I/O. */
export { BookIntegrityError, DEFAULT_MARKET_PROTECTION_BPS, OrderBook } from './book.ts';
export {
  CANDLE_INTERVALS,
  CandleAggregator,
  INTERVAL_MS,
  MAX_SERIES_POINTS,
  applyTrade,
  bucketStart,
  fillSeries,
  seriesLength,
  type Candle,
  type CandleInterval,
  type SeriesPoint,
  type TradeTick,
} from './candles.ts';
export {
  DEFAULT_FEE_SCHEDULE,
  DEFAULT_PRICE_BAND,
  buyEscrow,
  checkPriceBand,
  commission,
  feeForFill,
  isOnTick,
  quote,
  type BandCheck,
  type FeePayer,
  type FeeQuote,
  type FeeSchedule,
} from './fees.ts';
export { realisedPnlFifo, type FillPnl, type PnlReport, type PositionPnl, type UserFill } from './pnl.ts';
export { RollingTicker } from './rolling-ticker.ts';
export {
  SUGGESTION_MAX_AGE_MS,
  SUGGESTION_MIN_TRADES,
  SUGGESTION_SAMPLE_SIZE,
  suggestPrice,
  type PricePoint,
  type PriceSuggestion,
  type SuggestionInput,
} from './suggest.ts';
export { THIN_TRADE_COUNT, TICKER_WINDOW_MS, computeTicker, isThin, type Ticker, type TickerInput } from './ticker.ts';
export type * from './types.ts';
