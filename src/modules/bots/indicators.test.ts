import fc from 'fast-check';
import * as ti from 'technicalindicators';
import { describe, expect, it } from 'vitest';
import {
  createIndicatorMemo,
  indicatorSeries,
  indicatorTail,
  specKey,
  warmupCandles,
  type IndicatorSpec,
  type Series,
} from './indicators.ts';
import type { Candle } from './strategy.ts';

/*
 * Every indicator is checked against `technicalindicators`, an independent implementation. Where the
 * two define a value differently the test says how and checks the difference is exactly that:
 * - RSI: `technicalindicators` rounds to 2 decimals; unrounded, its average gain and loss give ours.
 * - ATR: ours (like TradingView) takes the first candle's high - low as its true range and so has a
 *   value one candle earlier; `technicalindicators` (like TA-Lib) skips the first candle. Given a
 *   leading candle that closes at the first candle's low, it computes ours exactly; on long series
 *   the two converge.
 * - EMA and MACD: both seed with the simple average (the `trading-signals` classes alone would
 *   start from the first price), so they agree from the first value.
 * - Bollinger bands: both use the population standard deviation.
 * - `technicalindicators` takes an EMA seed of exactly 0 for "no value yet", so its MACD signal
 *   line never starts on a flat series; the MACD check runs on prices that always move.
 */

const MINUTE = 60_000;

/** A random walk of candles with positive prices and consistent high/low. */
function walk(moves: readonly { change: number; wick: number; body: number; volume: number }[]): Candle[] {
  let close = 1_000;
  return moves.map((move, i) => {
    const open = close;
    close = Math.max(1, open * (1 + move.change));
    const high = Math.max(open, close) * (1 + move.wick);
    const low = Math.min(open, close) * (1 - move.body);
    return { start: i * MINUTE, open, high, low, close, volume: move.volume };
  });
}

const move = fc.record({
  change: fc.double({ min: -0.08, max: 0.08, noNaN: true }),
  wick: fc.double({ min: 0, max: 0.05, noNaN: true }),
  body: fc.double({ min: 0, max: 0.05, noNaN: true }),
  volume: fc.integer({ min: 0, max: 1_000 }),
});
const candlesArb = (minLength: number, maxLength: number, arb = move) =>
  fc.array(arb, { minLength, maxLength }).map((moves) => walk(moves));
/** Walks whose price never stands still (see the MACD check). */
const restless = move.filter((m) => Math.abs(m.change) >= 1e-4);
const period = (min: number, max = 30) => fc.integer({ min, max });

const FIXED = walk(
  Array.from({ length: 120 }, (_, i) => ({
    change: Math.sin(i / 5) * 0.03 + (i % 7 === 0 ? -0.02 : 0.004),
    wick: (i % 5) * 0.004,
    body: (i % 3) * 0.005,
    volume: 10 + i,
  })),
);

const closes = (candles: readonly Candle[]) => candles.map((c) => c.close);

/** Puts a result list that starts late back in line with its candles. */
function align<T>(values: readonly T[], length: number): (T | null)[] {
  return [...Array<null>(length - values.length).fill(null), ...values];
}

function expectSeries(actual: Series, expected: readonly (number | null | undefined)[], tolerance = 1e-9) {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => {
    const want = expected[i] ?? null;
    if (want === null || value === null) {
      expect({ i, value }).toEqual({ i, value: want });
      return;
    }
    expect(Math.abs(value - want), `index ${i}: ${value} vs ${want}`).toBeLessThanOrEqual(
      tolerance * Math.max(1, Math.abs(want)),
    );
  });
}

function tiMacd(candles: readonly Candle[], fast: number, slow: number, signal: number) {
  const out = ti.MACD.calculate({
    values: closes(candles),
    fastPeriod: fast,
    slowPeriod: slow,
    signalPeriod: signal,
    SimpleMAOscillator: false,
    SimpleMASignal: false,
  });
  return align(out, candles.length);
}

/** RSI from `technicalindicators`' own average gain and loss, without its rounding. */
function tiRsiUnrounded(values: number[], p: number): (number | null)[] {
  const gains = ti.AverageGain.calculate({ period: p, values });
  const losses = ti.AverageLoss.calculate({ period: p, values });
  const rsi = gains.map((gain, i) => {
    const loss = losses[i] ?? 0;
    return loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  });
  return align(rsi, values.length);
}

describe('indicators against technicalindicators', () => {
  it('SMA matches on a fixed series and on random walks, from any source', () => {
    expectSeries(
      indicatorSeries({ indicator: 'sma', period: 10 }, FIXED),
      align(ti.SMA.calculate({ period: 10, values: closes(FIXED) }), 120),
    );
    fc.assert(
      fc.property(candlesArb(0, 150), period(1), (candles, p) => {
        const highs = candles.map((c) => c.high);
        expectSeries(
          indicatorSeries({ indicator: 'sma', period: p, source: 'high' }, candles),
          align(ti.SMA.calculate({ period: p, values: highs }), candles.length),
        );
      }),
    );
  });

  it('EMA matches, seeded with the simple average of the first period', () => {
    fc.assert(
      fc.property(candlesArb(0, 150), period(1), (candles, p) => {
        expectSeries(
          indicatorSeries({ indicator: 'ema', period: p }, candles),
          align(ti.EMA.calculate({ period: p, values: closes(candles) }), candles.length),
        );
      }),
    );
  });

  it('RSI matches Wilder smoothing exactly and the rounded RSI to 2 decimals', () => {
    fc.assert(
      fc.property(candlesArb(0, 150), period(2), (candles, p) => {
        const ours = indicatorSeries({ indicator: 'rsi', period: p }, candles);
        expectSeries(ours, tiRsiUnrounded(closes(candles), p));
        const rounded = align(ti.RSI.calculate({ period: p, values: closes(candles) }), candles.length);
        rounded.forEach((value, i) => {
          if (value === null) expect(ours[i]).toBeNull();
          else expect(Math.abs((ours[i] ?? NaN) - value)).toBeLessThanOrEqual(0.005 + 1e-9);
        });
      }),
    );
  });

  it('RSI is 100 on a flat series and 0 on a falling one', () => {
    const flat = walk(Array.from({ length: 20 }, () => ({ change: 0, wick: 0, body: 0, volume: 1 })));
    const falling = walk(Array.from({ length: 20 }, () => ({ change: -0.01, wick: 0, body: 0, volume: 1 })));
    expect(indicatorSeries({ indicator: 'rsi', period: 14 }, flat).at(-1)).toBe(100);
    expect(indicatorSeries({ indicator: 'rsi', period: 14 }, falling).at(-1)).toBe(0);
  });

  it('MACD lines match with EMA oscillator and EMA signal', () => {
    fc.assert(
      fc.property(
        candlesArb(0, 150, restless),
        period(1, 12),
        period(1, 15),
        period(1, 9),
        (candles, fast, gap, signal) => {
          const slow = fast + gap;
          const expected = tiMacd(candles, fast, slow, signal);
          const line = (name: 'macd' | 'signal' | 'histogram') =>
            indicatorSeries({ indicator: 'macd', fast, slow, signal, line: name }, candles);
          expectSeries(
            line('macd'),
            expected.map((r) => r?.MACD ?? null),
          );
          expectSeries(
            line('signal'),
            expected.map((r) => r?.signal ?? null),
          );
          expectSeries(
            line('histogram'),
            expected.map((r) => r?.histogram ?? null),
          );
        },
      ),
    );
  });

  it('Bollinger bands match with the population standard deviation', () => {
    fc.assert(
      fc.property(candlesArb(0, 150), period(2), fc.double({ min: 0.5, max: 4, noNaN: true }), (candles, p, stdDev) => {
        const expected = align(
          ti.BollingerBands.calculate({ period: p, stdDev, values: closes(candles) }),
          candles.length,
        );
        for (const band of ['upper', 'middle', 'lower'] as const) {
          expectSeries(
            indicatorSeries({ indicator: 'bollinger', period: p, stdDev, band }, candles),
            expected.map((r) => r?.[band] ?? null),
          );
        }
      }),
    );
  });

  it('ATR equals technicalindicators given a leading candle that closes at the first low', () => {
    fc.assert(
      fc.property(candlesArb(1, 150), period(1), (candles, p) => {
        const first = candles[0] as Candle;
        const padded = [{ ...first, close: first.low }, ...candles];
        const expected = ti.ATR.calculate({
          period: p,
          high: padded.map((c) => c.high),
          low: padded.map((c) => c.low),
          close: padded.map((c) => c.close),
        });
        expectSeries(indicatorSeries({ indicator: 'atr', period: p }, candles), align(expected, candles.length));
      }),
    );
  });

  it('ATR starts one candle before technicalindicators and converges to it', () => {
    const long = walk(
      Array.from({ length: 400 }, (_, i) => ({ change: Math.sin(i) * 0.02, wick: 0.01, body: 0.02, volume: 1 })),
    );
    const ours = indicatorSeries({ indicator: 'atr', period: 14 }, long);
    const theirs = align(
      ti.ATR.calculate({ period: 14, high: long.map((c) => c.high), low: long.map((c) => c.low), close: closes(long) }),
      long.length,
    );
    expect(ours.findIndex((v) => v !== null)).toBe(13);
    expect(theirs.findIndex((v) => v !== null)).toBe(14);
    expectSeries(ours.slice(300), theirs.slice(300), 1e-6);
  });
});

describe('series shape', () => {
  const specArb: fc.Arbitrary<IndicatorSpec> = fc.oneof(
    fc
      .constantFrom('open', 'high', 'low', 'close', 'volume')
      .map((source) => ({ indicator: 'price' as const, source })),
    period(1).map((p) => ({ indicator: 'sma' as const, period: p })),
    period(1).map((p) => ({ indicator: 'ema' as const, period: p, source: 'low' as const })),
    period(2).map((p) => ({ indicator: 'rsi' as const, period: p })),
    fc
      .tuple(period(1, 10), period(1, 10), period(1, 9), fc.constantFrom('macd', 'signal', 'histogram'))
      .map(([fast, gap, signal, line]) => ({ indicator: 'macd' as const, fast, slow: fast + gap, signal, line })),
    fc
      .tuple(period(2), fc.constantFrom('upper', 'middle', 'lower'))
      .map(([p, band]) => ({ indicator: 'bollinger' as const, period: p, stdDev: 2, band })),
    period(1).map((p) => ({ indicator: 'atr' as const, period: p })),
    fc.integer({ min: -50, max: 5_000 }).map((value) => ({ value })),
  );

  it('is null exactly during warm-up and a number after', () => {
    fc.assert(
      fc.property(specArb, candlesArb(0, 80), (spec, candles) => {
        const series = indicatorSeries(spec, candles);
        const warmup = warmupCandles(spec);
        expect(series).toHaveLength(candles.length);
        series.forEach((value, i) => {
          if (i < warmup - 1) expect(value).toBeNull();
          else expect(Number.isFinite(value)).toBe(true);
        });
      }),
    );
  });

  it('tails equal the end of the full series, padded with null', () => {
    fc.assert(
      fc.property(specArb, candlesArb(0, 80), fc.integer({ min: 1, max: 5 }), (spec, candles, count) => {
        const full = indicatorSeries(spec, candles);
        const tail = indicatorTail(spec, candles, count);
        expect(tail).toEqual(align(full.slice(-count), count));
      }),
    );
  });

  it('reads price fields and constants as they are', () => {
    expect(indicatorSeries({ indicator: 'price', source: 'volume' }, FIXED.slice(0, 3))).toEqual([10, 11, 12]);
    expect(indicatorSeries({ value: 42 }, FIXED.slice(0, 2))).toEqual([42, 42]);
    expect(indicatorTail({ value: 42 }, [], 2)).toEqual([null, null]);
    expect(indicatorTail({ indicator: 'sma', period: 2 }, FIXED, 0)).toEqual([]);
  });

  it('memoizes per spec and candle array', () => {
    const memo = createIndicatorMemo();
    const spec: IndicatorSpec = { indicator: 'sma', period: 5, source: 'close' };
    const first = memo(spec, FIXED, 2);
    expect(memo({ source: 'close', period: 5, indicator: 'sma' }, FIXED, 2)).toBe(first);
    expect(first).toEqual(indicatorTail(spec, FIXED, 2));
    const other = FIXED.slice(0, 50);
    expect(memo(spec, other, 2)).not.toBe(first);
    expect(memo(spec, other, 2)).toEqual(indicatorTail(spec, other, 2));
    expect(specKey({ indicator: 'sma', period: 5 })).not.toBe(specKey({ indicator: 'ema', period: 5 }));
  });
});
