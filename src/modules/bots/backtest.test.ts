import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resultHash, runBacktest, type BacktestSettings } from './backtest.ts';
import { INTERVAL_MS, type Candle, type Strategy, type StrategyInput } from './strategy.ts';
import { smaCross, syntheticSeries } from '../../../test/support/bots-series.ts';

const settings: BacktestSettings = {
  initialCash: 1_000_000,
  fees: { rateBps: 500, minimumFee: 1, payer: 'buyer' },
  spreadBps: 50,
  slippageBps: 10,
};
const HOUR = INTERVAL_MS['1h'];

describe('backtest engine', () => {
  it('gives the same result and hash on every run, also in another process', async () => {
    const series = { a: syntheticSeries(7, 600), b: syntheticSeries(11, 400) };
    const first = await runBacktest(smaCross(5, 20), series, '1h', settings);
    const second = await runBacktest(smaCross(5, 20), series, '1h', settings);
    expect(first.fills).toBeGreaterThan(0);
    const exposure = first.metrics.exposure as { value: number };
    expect(exposure.value).toBeGreaterThan(0);
    expect(exposure.value).toBeLessThanOrEqual(1);
    expect(resultHash(second)).toBe(resultHash(first));
    const script = fileURLToPath(new URL('../../../test/support/bots-hash-backtest.ts', import.meta.url));
    const other = execFileSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8' }).trim();
    expect(other).toBe(resultHash(first));
  });

  it('never shows a strategy a candle that has not closed by its time', async () => {
    const seen: { time: number; last: number; count: number }[] = [];
    const peeker: Strategy = {
      decide(input: StrategyInput) {
        for (const candles of Object.values(input.candles)) {
          const last = candles.at(-1) as Candle;
          seen.push({ time: input.time, last: last.start + HOUR, count: candles.length });
          // Writing into the input cannot reach the engine's copy of the future either.
          candles.push({ ...last, start: last.start + HOUR, close: 1 });
        }
        return { intents: [] };
      },
    };
    await runBacktest(peeker, { a: syntheticSeries(3, 300) }, '1h', { ...settings, lookback: 50 });
    expect(seen.length).toBe(300);
    for (const s of seen) {
      expect(s.last).toBeLessThanOrEqual(s.time);
      expect(s.count).toBeLessThanOrEqual(50);
    }
  });

  it('decides the same up to any moment whatever happens after it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 60, max: 250 }), async (seed, cut) => {
        const full = syntheticSeries(seed, 300);
        const changedFuture = [
          ...full.slice(0, cut),
          ...syntheticSeries(seed + 1, 300 - cut).map((c, i) => ({ ...c, start: (full[cut + i] as Candle).start })),
        ];
        const a = await runBacktest(smaCross(3, 12), { x: full.slice(0, cut) }, '1h', settings);
        const b = await runBacktest(smaCross(3, 12), { x: changedFuture }, '1h', settings);
        // Every tick up to the cut saw the same candles, so the curves agree that far.
        expect(b.equity.slice(0, cut - 1)).toEqual(a.equity.slice(0, cut - 1));
      }),
      { numRuns: 15 },
    );
  });

  it('never spends more cash than it has and never sells what it does not hold', async () => {
    const greedy: Strategy = {
      decide: (input) => ({
        intents: Object.entries(input.candles).flatMap(([variantId, candles]) => [
          { action: 'buy' as const, variantId, type: 'market' as const, quantity: 1_000 },
          { action: 'sell' as const, variantId, type: 'market' as const, quantity: 5_000 },
          {
            action: 'buy' as const,
            variantId,
            type: 'limit' as const,
            quantity: 3,
            price: (candles.at(-1) as Candle).close,
          },
        ]),
      }),
    };
    const result = await runBacktest(greedy, { a: syntheticSeries(5, 200) }, '1h', settings);
    expect(result.finalCash).toBeGreaterThanOrEqual(0);
    expect(result.rejected).toBeGreaterThan(0);
    for (const p of result.equity) expect(p.equity).toBeGreaterThanOrEqual(0);
  });

  it('reports the buy-and-hold benchmark of the same cards', async () => {
    const series = { a: syntheticSeries(9, 100) };
    const result = await runBacktest({ decide: () => ({ intents: [] }) }, series, '1h', settings);
    const first = (series.a[0] as Candle).close;
    const last = (series.a.at(-1) as Candle).close;
    expect(result.benchmark.at(-1)?.equity).toBe(Math.round((settings.initialCash * last) / first));
    expect(result.equity.every((p) => p.equity === settings.initialCash)).toBe(true);
  });
});
