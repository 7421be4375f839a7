import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CANDLE_INTERVALS,
  CandleAggregator,
  INTERVAL_MS,
  applyTrade,
  bucketStart,
  fillSeries,
  seriesLength,
  type Candle,
  type CandleInterval,
  type TradeTick,
} from './candles.ts';

const T0 = Date.UTC(2025, 2, 10, 0, 0, 0);
const HOUR = 3_600_000;

/** Candles recomputed from scratch: group by bucket, first trade opens, last closes. */
function bruteForce(trades: readonly TradeTick[], interval: CandleInterval): Candle[] {
  const ms = INTERVAL_MS[interval];
  const groups = new Map<number, TradeTick[]>();
  for (const t of trades) {
    const start = Math.floor(t.ts / ms) * ms;
    groups.set(start, [...(groups.get(start) ?? []), t]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, g]) => {
      const prices = g.map((t) => t.price);
      return {
        interval,
        start,
        open: prices[0] ?? 0n,
        high: prices.reduce((a, b) => (b > a ? b : a)),
        low: prices.reduce((a, b) => (b < a ? b : a)),
        close: prices[prices.length - 1] ?? 0n,
        volume: g.reduce((s, t) => s + t.quantity, 0n),
        notional: g.reduce((s, t) => s + t.price * t.quantity, 0n),
        trades: g.length,
      };
    });
}

const tradeArb = fc.record({
  ts: fc.integer({ min: T0, max: T0 + 3 * 24 * HOUR }),
  price: fc.bigInt({ min: 1n, max: 10_000n }),
  quantity: fc.bigInt({ min: 1n, max: 50n }),
});

describe('candles', () => {
  it('kept trade by trade equal a recomputation from all trades, for every interval', () => {
    fc.assert(
      fc.property(fc.array(tradeArb, { maxLength: 200 }), fc.boolean(), (raw, sorted) => {
        const trades = sorted ? [...raw].sort((a, b) => a.ts - b.ts) : raw;
        const agg = new CandleAggregator();
        for (const t of trades) agg.add(t);
        for (const interval of CANDLE_INTERVALS) {
          const kept = agg.range(interval, T0, T0 + 3 * 24 * HOUR + 1);
          expect(kept).toEqual(bruteForce(trades, interval));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('open on UTC boundaries', () => {
    const ts = Date.UTC(2025, 2, 10, 13, 47, 31, 500);
    expect(bucketStart(ts, '1m')).toBe(Date.UTC(2025, 2, 10, 13, 47));
    expect(bucketStart(ts, '15m')).toBe(Date.UTC(2025, 2, 10, 13, 45));
    expect(bucketStart(ts, '4h')).toBe(Date.UTC(2025, 2, 10, 12));
    expect(bucketStart(ts, '1d')).toBe(Date.UTC(2025, 2, 10));
  });

  it('refuse a trade from another bucket', () => {
    const c = applyTrade(null, { ts: T0, price: 5n, quantity: 1n }, '1m');
    expect(() => applyTrade(c, { ts: T0 + 60_000, price: 5n, quantity: 1n }, '1m')).toThrow(RangeError);
    expect(() => applyTrade(c, { ts: T0, price: 5n, quantity: 1n }, '5m')).toThrow(RangeError);
  });
});

describe('series', () => {
  it('makes intervals without trades explicit, with no invented prices', () => {
    const agg = new CandleAggregator(['1h']);
    agg.add({ ts: T0 + 10 * 60_000, price: 100n, quantity: 2n });
    agg.add({ ts: T0 + 3 * HOUR + 5, price: 90n, quantity: 1n });
    const from = T0 + 30 * 60_000; // inside the first hour: that hour is included
    const to = T0 + 4 * HOUR; // exclusive
    const series = fillSeries(agg.range('1h', from, to), '1h', from, to);
    expect(series.map((p) => [p.start - T0, p.close, p.volume, p.trades])).toEqual([
      [0, 100n, 2n, 1],
      [HOUR, null, 0n, 0],
      [2 * HOUR, null, 0n, 0],
      [3 * HOUR, 90n, 1n, 1],
    ]);
    expect(series[1]).toEqual({
      start: T0 + HOUR,
      open: null,
      high: null,
      low: null,
      close: null,
      volume: 0n,
      notional: 0n,
      trades: 0,
    });
  });

  it('covers every bucket of the range once and refuses ranges that are too long', () => {
    fc.assert(
      fc.property(
        fc.array(tradeArb, { maxLength: 50 }),
        fc.constantFrom(...CANDLE_INTERVALS),
        fc.integer({ min: T0 - HOUR, max: T0 + 3 * 24 * HOUR }),
        fc.integer({ min: 0, max: 12 * HOUR }),
        (trades, interval, from, span) => {
          const agg = new CandleAggregator([interval]);
          for (const t of trades) agg.add(t);
          const to = from + span;
          const series = fillSeries(agg.range(interval, from, to), interval, from, to);
          expect(series).toHaveLength(seriesLength(interval, from, to));
          series.forEach((p, i) => expect(p.start).toBe(bucketStart(from, interval) + i * INTERVAL_MS[interval]));
          expect(series.every((p) => p.start < to && (p.trades === 0) === (p.close === null))).toBe(true);
          const inRange = trades.filter((t) => t.ts >= bucketStart(from, interval) && bucketStart(t.ts, interval) < to);
          expect(series.reduce((s, p) => s + p.volume, 0n)).toBe(inRange.reduce((s, t) => s + t.quantity, 0n));
        },
      ),
      { numRuns: 200 },
    );
    expect(() => fillSeries([], '1m', T0, T0 + 10 * 60_000, 9)).toThrow(RangeError);
    expect(fillSeries([], '1m', T0, T0)).toEqual([]);
  });
});
