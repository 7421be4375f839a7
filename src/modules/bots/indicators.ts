/*
 * Technical indicators over a card's closed candles, as the no-code rules read them. Every series is
 * aligned with its candles: one value per candle, `null` while the indicator is still warming up.
 *
 * The arithmetic comes from `trading-signals`. Its EMA starts from the first price and its MACD
 * emits a signal line from the first MACD value; here both start from the simple average of their
 * first `period` inputs instead (as TradingView, TA-Lib and most charting tools do), so a bot's
 * numbers match what its owner sees on a chart.
 */
import { ATR, BollingerBands, EMA, RSI, SMA, getAverage } from 'trading-signals';
import { Type, type Static } from 'typebox';
import type { Candle } from './strategy.ts';

/** Longest look-back an indicator may ask for, in candles. */
export const MAX_PERIOD = 500;

export const PRICE_SOURCES = ['open', 'high', 'low', 'close', 'volume'] as const;
export const PriceSource = Type.Enum(PRICE_SOURCES);
export type PriceSource = Static<typeof PriceSource>;

const closed = { additionalProperties: false } as const;
const Period = (minimum: number) => Type.Integer({ minimum, maximum: MAX_PERIOD });
const Source = Type.Optional(
  Type.Enum(PRICE_SOURCES, { description: 'Candle field the indicator reads; close by default' }),
);

export const PriceSpec = Type.Object({ indicator: Type.Literal('price'), source: PriceSource }, closed);
export const SmaSpec = Type.Object({ indicator: Type.Literal('sma'), period: Period(1), source: Source }, closed);
export const EmaSpec = Type.Object({ indicator: Type.Literal('ema'), period: Period(1), source: Source }, closed);
/** RSI with Wilder's smoothing, 0..100. */
export const RsiSpec = Type.Object({ indicator: Type.Literal('rsi'), period: Period(2), source: Source }, closed);
export const MacdSpec = Type.Object(
  {
    indicator: Type.Literal('macd'),
    fast: Period(1),
    slow: Period(2),
    signal: Period(1),
    line: Type.Enum(['macd', 'signal', 'histogram']),
    source: Source,
  },
  closed,
);
/** Bollinger bands: the SMA plus or minus `stdDev` population standard deviations. */
export const BollingerSpec = Type.Object(
  {
    indicator: Type.Literal('bollinger'),
    period: Period(2),
    stdDev: Type.Number({ exclusiveMinimum: 0, maximum: 10 }),
    band: Type.Enum(['upper', 'middle', 'lower']),
    source: Source,
  },
  closed,
);
/** Average true range with Wilder's smoothing (minor units). */
export const AtrSpec = Type.Object({ indicator: Type.Literal('atr'), period: Period(1) }, closed);
/** A fixed number, e.g. an RSI threshold or a price in minor units. */
export const ConstantSpec = Type.Object({ value: Type.Number() }, closed);

export const IndicatorSpec = Type.Union([
  PriceSpec,
  SmaSpec,
  EmaSpec,
  RsiSpec,
  MacdSpec,
  BollingerSpec,
  AtrSpec,
  ConstantSpec,
]);
export type IndicatorSpec = Static<typeof IndicatorSpec>;

export type Series = (number | null)[];

/** How many candles the indicator needs before its first value. */
export function warmupCandles(spec: IndicatorSpec): number {
  if ('value' in spec) return 0;
  switch (spec.indicator) {
    case 'price':
      return 1;
    case 'sma':
    case 'ema':
    case 'bollinger':
    case 'atr':
      return spec.period;
    case 'rsi':
      return spec.period + 1;
    case 'macd':
      return spec.line === 'macd' ? spec.slow : spec.slow + spec.signal - 1;
  }
}

/** The indicator's value at every candle, `null` during warm-up. */
export function indicatorSeries(spec: IndicatorSpec, candles: readonly Candle[]): Series {
  if ('value' in spec) return candles.map(() => spec.value);
  switch (spec.indicator) {
    case 'price':
      return candles.map((candle) => candle[spec.source]);
    case 'sma':
      return feed(new SMA(spec.period), pick(candles, spec.source));
    case 'ema':
      return emaSeries(pick(candles, spec.source), spec.period);
    case 'rsi':
      return feed(new RSI(spec.period), pick(candles, spec.source));
    case 'macd':
      return macdSeries(pick(candles, spec.source), spec)[spec.line];
    case 'bollinger':
      return feed(new BollingerBands(spec.period, spec.stdDev), pick(candles, spec.source)).map(
        (bands) => bands?.[spec.band] ?? null,
      );
    case 'atr':
      return feed(new ATR(spec.period), candles);
  }
}

/**
 * The last `count` values of `indicatorSeries(spec, candles)`, padded with `null` at the front when
 * there are fewer candles. Indicators that only look at a fixed window (price, SMA, Bollinger) read
 * just the candles they need; smoothed ones (EMA, RSI, MACD, ATR) depend on every candle given.
 */
export function indicatorTail(spec: IndicatorSpec, candles: readonly Candle[], count: number): Series {
  if (count < 1) return [];
  const window = fixedWindow(spec);
  const input = window === null ? candles : candles.slice(Math.max(0, candles.length - (window + count - 1)));
  const values = indicatorSeries(spec, input).slice(-count);
  return [...Array<null>(Math.max(0, count - values.length)).fill(null), ...values];
}

/**
 * A memo of `indicatorTail` for one strategy decision: the same indicator used by several
 * conditions over the same candles is computed once.
 */
export function createIndicatorMemo(): (spec: IndicatorSpec, candles: readonly Candle[], count: number) => Series {
  const byCandles = new WeakMap<readonly Candle[], Map<string, Series>>();
  return (spec, candles, count) => {
    let memo = byCandles.get(candles);
    if (!memo) byCandles.set(candles, (memo = new Map()));
    const key = `${count}:${specKey(spec)}`;
    let values = memo.get(key);
    if (!values) memo.set(key, (values = indicatorTail(spec, candles, count)));
    return values;
  };
}

/** A stable text key for a spec: the same indicator gives the same key, whatever its field order. */
export function specKey(spec: IndicatorSpec): string {
  const full = 'value' in spec || 'source' in spec || spec.indicator === 'atr' ? spec : { ...spec, source: 'close' };
  return JSON.stringify(full, Object.keys(full).sort());
}

/** A short label for run logs, e.g. `sma(20)`, `macd(12,26,9).signal`, `bollinger(20,2).upper`. */
export function describeIndicator(spec: IndicatorSpec): string {
  if ('value' in spec) return String(spec.value);
  if (spec.indicator === 'price') return spec.source;
  const of = 'source' in spec && spec.source !== undefined && spec.source !== 'close' ? ` of ${spec.source}` : '';
  switch (spec.indicator) {
    case 'macd':
      return `macd(${spec.fast},${spec.slow},${spec.signal}).${spec.line}${of}`;
    case 'bollinger':
      return `bollinger(${spec.period},${spec.stdDev}).${spec.band}${of}`;
    default:
      return `${spec.indicator}(${spec.period})${of}`;
  }
}

function fixedWindow(spec: IndicatorSpec): number | null {
  if ('value' in spec) return 1;
  if (spec.indicator === 'price') return 1;
  if (spec.indicator === 'sma' || spec.indicator === 'bollinger') return spec.period;
  return null;
}

function pick(candles: readonly Candle[], source: PriceSource = 'close'): number[] {
  return candles.map((candle) => candle[source]);
}

function feed<Input, Result>(indicator: { add(input: Input): Result | null }, inputs: readonly Input[]) {
  return inputs.map((input) => indicator.add(input));
}

/** EMA seeded with the simple average of its first `period` values. */
function emaSeries(values: readonly number[], period: number): Series {
  if (values.length < period) return values.map(() => null);
  const ema = new EMA(period);
  const seed = getAverage(values.slice(0, period));
  return values.map((value, i) => (i < period - 1 ? null : ema.add(i === period - 1 ? seed : value)));
}

interface MacdLines {
  macd: Series;
  signal: Series;
  histogram: Series;
}

/** MACD from two SMA-seeded EMAs; the signal line is an SMA-seeded EMA of the MACD line. */
function macdSeries(values: readonly number[], spec: { fast: number; slow: number; signal: number }): MacdLines {
  const fast = emaSeries(values, spec.fast);
  const slow = emaSeries(values, spec.slow);
  const known: number[] = [];
  const macd = values.map((_, i) => {
    const difference = differenceOf(fast[i], slow[i]);
    if (difference !== null) known.push(difference);
    return difference;
  });
  const signal = [...Array<null>(values.length - known.length).fill(null), ...emaSeries(known, spec.signal)];
  const histogram = macd.map((value, i) => differenceOf(value, signal[i]));
  return { macd, signal, histogram };
}

function differenceOf(a: number | null | undefined, b: number | null | undefined): number | null {
  return a === null || a === undefined || b === null || b === undefined ? null : a - b;
}
