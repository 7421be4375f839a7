import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MIN_EQUITY_POINTS,
  MIN_TRADES,
  YEAR_MS,
  performanceReport,
  timeInPosition,
  type EquityPoint,
  type Metric,
  type MetricsInput,
  type PerformanceReport,
} from './metrics.ts';

const DAY = 86_400_000;

const daily = (values: readonly number[]): EquityPoint[] => values.map((equity, i) => ({ t: i * DAY, equity }));

const report = (input: Partial<MetricsInput>) => performanceReport({ equity: [], trades: [], fees: 0, ...input });

function valueOf(metric: Metric): number {
  if (!('value' in metric)) throw new Error(`expected a value, got insufficient: ${metric.insufficient}`);
  return metric.value;
}

function reasonOf(metric: Metric): string {
  if (!('insufficient' in metric)) throw new Error(`expected insufficient, got ${metric.value}`);
  return metric.insufficient;
}

const trades = (...pnls: number[]) => pnls.map((pnl) => ({ pnl }));

/** 31 daily points from 1000, alternating +2 % and −1 % (15 of each). */
const alternating = (): EquityPoint[] => {
  const values = [1000];
  for (let i = 0; i < 30; i++) values.push((values[i] as number) * (i % 2 === 0 ? 1.02 : 0.99));
  return daily(values);
};

describe('returns and drawdown on a short series', () => {
  it('computes total return and a recovered drawdown by hand', () => {
    // 100 → 120 → 90 → 135: total 135/100 − 1 = 0.35; worst fall (120 − 90)/120 = 0.25;
    // below the day-1 peak from day 1 until day 3 (135 ≥ 120): 2 days.
    const r = report({ equity: daily([100, 120, 90, 135]) });
    expect(valueOf(r.totalReturn)).toBeCloseTo(0.35, 12);
    expect(valueOf(r.maxDrawdown)).toBeCloseTo(0.25, 12);
    expect(valueOf(r.maxDrawdownDurationMs)).toBe(2 * DAY);
    expect(valueOf(r.startEquity)).toBe(100);
    expect(valueOf(r.endEquity)).toBe(135);
  });

  it('runs a drawdown that never recovers to the last point', () => {
    // 100, 150 (peak, day 1), 120, 130, 140: deepest (150 − 120)/150 = 0.2; still below 150 at
    // day 4, so 4 − 1 = 3 days. The earlier rise never counts as time under water.
    const r = report({ equity: daily([100, 150, 120, 130, 140]) });
    expect(valueOf(r.maxDrawdown)).toBeCloseTo(0.2, 12);
    expect(valueOf(r.maxDrawdownDurationMs)).toBe(3 * DAY);
  });

  it('keeps the longest time under water, not the deepest episode', () => {
    // Episode 1: peak 100 at day 0, 50 at day 1, back to 100 at day 2 → 2 days, depth 0.5.
    // Episode 2: peak 100 at day 2, 95 on days 3–5, 100 at day 6 → 4 days, depth 0.05.
    const r = report({ equity: daily([100, 50, 100, 95, 95, 95, 100]) });
    expect(valueOf(r.maxDrawdown)).toBeCloseTo(0.5, 12);
    expect(valueOf(r.maxDrawdownDurationMs)).toBe(4 * DAY);
  });

  it('counts a fall to zero as a full drawdown and leaves the ratios undefined', () => {
    const values = Array.from({ length: 40 }, (_, i) => (i < 20 ? 100 + i : 0));
    const r = report({ equity: daily(values) });
    expect(valueOf(r.maxDrawdown)).toBe(1);
    expect(valueOf(r.totalReturn)).toBe(-1);
    expect(valueOf(r.cagr)).toBe(-1);
    expect(reasonOf(r.sharpe)).toMatch(/zero/);
    expect(reasonOf(r.sortino)).toMatch(/zero/);
    expect(valueOf(r.calmar)).toBe(-1);
  });
});

describe('annualised ratios', () => {
  it('computes sharpe, sortino, cagr and calmar by hand', () => {
    // Returns: 15 × 0.02 and 15 × −0.01 → mean 0.005. Deviations ±0.015, Σ² = 30 × 0.000225 =
    // 0.00675; sample std = √(0.00675 / 29) = 0.0152564. Daily points → 365.25 periods a year,
    // √365.25 = 19.1115149. Sharpe = 0.005 / 0.0152564 × 19.1115149 = 6.26343.
    // Downside: √(15 × 0.0001 / 30) = √0.00005 = 0.00707107; sortino = 0.70711 × 19.11151 = 13.51388.
    // End/start = (1.02 × 0.99)^15 = 1.0098^15 = 1.1575253 over 30 days; cagr =
    // 1.1575253^(365.25 / 30) − 1 = e^(12.175 × 0.1462844) − 1 = 4.9358618.
    // Max drawdown: every −1 % step from a fresh peak → 0.01; calmar = 4.9358618 / 0.01 = 493.58618.
    // Under water: peak on an odd day, dip the next, a new high (×1.0098) the day after → 2 days.
    const r = report({ equity: alternating() });
    expect(valueOf(r.sharpe)).toBeCloseTo(6.26343, 4);
    expect(valueOf(r.sortino)).toBeCloseTo(13.51388, 4);
    expect(valueOf(r.cagr)).toBeCloseTo(4.9358618, 6);
    expect(valueOf(r.maxDrawdown)).toBeCloseTo(0.01, 12);
    expect(valueOf(r.calmar)).toBeCloseTo(493.58618, 3);
    expect(valueOf(r.maxDrawdownDurationMs)).toBe(2 * DAY);
  });

  it('annualises with the given periods per year instead of the derived ones', () => {
    // Same returns, 252 periods: 6.26343 × √(252 / 365.25) = 6.26343 × 0.830623 = 5.20256.
    const r = report({ equity: alternating(), periodsPerYear: 252 });
    expect(valueOf(r.sharpe)).toBeCloseTo(5.20256, 4);
    expect(valueOf(r.cagr)).toBeCloseTo(4.9358618, 6); // calendar time, not periods
  });

  it('derives the periods from the median spacing, whatever the spacing unit', () => {
    // Six-hour points (7.5 days in all) → 4 × 365.25 periods a year; sharpe is √4 = 2 times the daily one.
    const sixHourly = alternating().map((p, i) => ({ t: i * 6 * 3_600_000, equity: p.equity }));
    const r = report({ equity: sixHourly });
    expect(valueOf(r.sharpe)).toBeCloseTo(6.26343 * Math.sqrt(4), 4);
  });

  it('measures cagr over calendar years of 365.25 days', () => {
    // 4× over exactly two years: 4^(1/2) − 1 = 1.
    const points = Array.from({ length: 30 }, (_, i) => ({ t: (i * 2 * YEAR_MS) / 29, equity: 100 * 4 ** (i / 29) }));
    expect(valueOf(report({ equity: points }).cagr)).toBeCloseTo(1, 9);
  });

  it('refuses too few points or too little time', () => {
    const few = report({ equity: alternating().slice(0, MIN_EQUITY_POINTS - 1) });
    for (const m of [few.sharpe, few.sortino, few.cagr, few.calmar]) expect(reasonOf(m)).toMatch(/30 equity points/);
    const quick = alternating().map((p, i) => ({ t: i * 3_600_000, equity: p.equity })); // 30 hours
    const short = report({ equity: quick });
    for (const m of [short.sharpe, short.sortino, short.cagr, short.calmar]) expect(reasonOf(m)).toMatch(/7 days/);
    expect(valueOf(short.totalReturn)).toBeCloseTo(0.1575253, 6); // not annualised, still known
  });

  it('refuses sortino when no period lost and calmar when nothing was drawn down', () => {
    // 100 + i²: every step up, by a growing amount, so the returns vary but none is a loss.
    const rising = Array.from({ length: 40 }, (_, i) => 100 + i * i);
    const r = report({ equity: daily(rising) });
    expect(reasonOf(r.sortino)).toMatch(/downside/);
    expect(reasonOf(r.calmar)).toMatch(/drawdown/);
    expect(valueOf(r.sharpe)).toBeGreaterThan(0);
    expect(valueOf(r.maxDrawdown)).toBe(0);
  });
});

describe('edge series', () => {
  it('reports flat equity without dividing by zero', () => {
    const r = report({ equity: daily(Array.from({ length: 40 }, () => 500)) });
    expect(valueOf(r.totalReturn)).toBe(0);
    expect(valueOf(r.cagr)).toBe(0);
    expect(reasonOf(r.sharpe)).toMatch(/variance/);
    expect(reasonOf(r.sortino)).toMatch(/downside/);
    expect(reasonOf(r.calmar)).toMatch(/drawdown/);
    expect(valueOf(r.maxDrawdown)).toBe(0);
    expect(valueOf(r.maxDrawdownDurationMs)).toBe(0);
  });

  it('reports a single point as a start and an end with nothing in between', () => {
    const r = report({ equity: [{ t: 5, equity: 700 }], exposureMs: 0 });
    expect(reasonOf(r.totalReturn)).toMatch(/2 equity points/);
    expect(valueOf(r.maxDrawdown)).toBe(0);
    expect(valueOf(r.maxDrawdownDurationMs)).toBe(0);
    expect(valueOf(r.startEquity)).toBe(700);
    expect(valueOf(r.endEquity)).toBe(700);
    expect(reasonOf(r.exposure)).toMatch(/no time/);
  });

  it('reports no equity at all as insufficient everywhere it matters', () => {
    const r = report({ fees: 12, trades: trades(1, 2) });
    const equityMetrics: (keyof PerformanceReport)[] = [
      'totalReturn',
      'sharpe',
      'maxDrawdown',
      'startEquity',
      'exposure',
    ];
    for (const key of equityMetrics) expect(reasonOf(r[key])).toMatch(/no equity/);
    expect(r.tradeCount).toEqual({ value: 2 });
    expect(r.feesPaid).toEqual({ value: 12 });
  });

  it('refuses a return from a zero start', () => {
    expect(reasonOf(report({ equity: daily([0, 10]) }).totalReturn)).toMatch(/not positive/);
  });

  it('rejects points out of order and a meaningless period count', () => {
    expect(() =>
      report({
        equity: [
          { t: 2, equity: 1 },
          { t: 1, equity: 1 },
        ],
      }),
    ).toThrow(RangeError);
    expect(() => report({ equity: daily([1, 2]), periodsPerYear: 0 })).toThrow(RangeError);
  });
});

describe('trade statistics', () => {
  it('computes win rate, profit factor and expectancy by hand', () => {
    // pnl 100, −50, 200, −25, 0: wins 2 of 5 = 0.4 (break-even is no win);
    // profit factor (100 + 200) / (50 + 25) = 4; expectancy 225 / 5 = 45.
    const r = report({ trades: trades(100, -50, 200, -25, 0) });
    expect(valueOf(r.winRate)).toBe(0.4);
    expect(valueOf(r.profitFactor)).toBe(4);
    expect(valueOf(r.expectancy)).toBe(45);
    expect(valueOf(r.tradeCount)).toBe(5);
  });

  it('handles all wins: no profit factor without a loss', () => {
    const r = report({ trades: trades(10, 20, 30, 40, 50) });
    expect(valueOf(r.winRate)).toBe(1);
    expect(reasonOf(r.profitFactor)).toMatch(/no losing trades/);
    expect(valueOf(r.expectancy)).toBe(30);
  });

  it('handles all losses: profit factor and win rate of zero', () => {
    const r = report({ trades: trades(-10, -20, -30, -40, -50) });
    expect(valueOf(r.winRate)).toBe(0);
    expect(valueOf(r.profitFactor)).toBe(0);
    expect(valueOf(r.expectancy)).toBe(-30);
  });

  it(`needs ${MIN_TRADES} closed trades`, () => {
    const r = report({ trades: trades(10, -20, 30, 40) });
    for (const m of [r.winRate, r.profitFactor, r.expectancy]) expect(reasonOf(m)).toMatch(/5 closed trades \(got 4\)/);
    expect(valueOf(r.tradeCount)).toBe(4);
  });
});

describe('exposure and benchmark', () => {
  it('divides time in position by the run length', () => {
    // 1.5 days holding over a 3-day run → 0.5.
    const r = report({ equity: daily([1, 1, 1, 1]), exposureMs: 1.5 * DAY });
    expect(valueOf(r.exposure)).toBe(0.5);
    expect(reasonOf(report({ equity: daily([1, 1]) }).exposure)).toMatch(/not recorded/);
  });

  it('counts an interval as exposed when a position was held at its start', () => {
    // held 0→1 (1 day), flat 1→3, held 3→4 (1 day); the last snapshot's flag closes nothing.
    const snaps = [
      { t: 0, held: true },
      { t: DAY, held: false },
      { t: 3 * DAY, held: true },
      { t: 4 * DAY, held: true },
    ];
    expect(timeInPosition(snaps)).toBe(2 * DAY);
    expect(timeInPosition([{ t: 0, held: true }])).toBe(0);
    expect(timeInPosition([])).toBe(0);
  });

  it('measures buy and hold from the first to the last price', () => {
    const benchmark = [
      { t: 0, price: 200 },
      { t: DAY, price: 150 },
      { t: 2 * DAY, price: 250 },
    ];
    expect(valueOf(report({ benchmark }).benchmarkReturn)).toBeCloseTo(0.25, 12); // 250 / 200 − 1
    expect(reasonOf(report({}).benchmarkReturn)).toMatch(/buy-and-hold/);
  });
});

describe('properties', () => {
  const equitySeries = (minLength: number) =>
    fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength, maxLength: 60 }).map(daily);
  const positiveSeries = fc
    .array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: MIN_EQUITY_POINTS, maxLength: 60 })
    .map(daily);

  const close = (a: Metric, b: Metric) => {
    if ('value' in a && 'value' in b) return Math.abs(a.value - b.value) <= 1e-9 * Math.max(1, Math.abs(a.value));
    return 'insufficient' in a && 'insufficient' in b;
  };

  it('keeps max drawdown within [0, 1] and its duration within the run', () => {
    fc.assert(
      fc.property(equitySeries(1), (points) => {
        const r = report({ equity: points });
        const depth = valueOf(r.maxDrawdown);
        expect(depth).toBeGreaterThanOrEqual(0);
        expect(depth).toBeLessThanOrEqual(1);
        const span = (points[points.length - 1] as EquityPoint).t - (points[0] as EquityPoint).t;
        expect(valueOf(r.maxDrawdownDurationMs)).toBeLessThanOrEqual(span);
      }),
    );
  });

  it('leaves return-based metrics unchanged when equity is scaled by a constant', () => {
    fc.assert(
      fc.property(positiveSeries, fc.integer({ min: 2, max: 1_000 }), (points, k) => {
        const a = report({ equity: points });
        const b = report({ equity: points.map((p) => ({ t: p.t, equity: p.equity * k })) });
        for (const key of ['totalReturn', 'cagr', 'sharpe', 'sortino', 'calmar', 'maxDrawdown'] as const) {
          expect(close(a[key], b[key]), key).toBe(true);
        }
        expect(b.maxDrawdownDurationMs).toEqual(a.maxDrawdownDurationMs);
      }),
    );
  });

  it('gives a total return that links the start to the end', () => {
    fc.assert(
      fc.property(positiveSeries, (points) => {
        const r = report({ equity: points });
        const expected = valueOf(r.startEquity) * (1 + valueOf(r.totalReturn));
        expect(Math.abs(expected - valueOf(r.endEquity))).toBeLessThanOrEqual(1e-6);
      }),
    );
  });

  it('never leaks NaN or Infinity as a value', () => {
    const tradeList = fc.array(
      fc.integer({ min: -1_000, max: 1_000 }).map((pnl) => ({ pnl })),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(equitySeries(0), tradeList, fc.option(fc.nat({ max: 100 * DAY })), (points, ts, exposureMs) => {
        const r = report({ equity: points, trades: ts, exposureMs: exposureMs ?? undefined });
        for (const metric of Object.values(r) as Metric[]) {
          if ('value' in metric) expect(Number.isFinite(metric.value)).toBe(true);
          else expect(metric.insufficient.length).toBeGreaterThan(0);
        }
      }),
    );
  });
});
