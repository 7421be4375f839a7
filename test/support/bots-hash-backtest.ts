// Runs the determinism test's backtest in a separate process and prints its result hash.
import { resultHash, runBacktest } from '../../src/modules/bots/backtest.ts';
import { smaCross, syntheticSeries } from './bots-series.ts';

const result = await runBacktest(smaCross(5, 20), { a: syntheticSeries(7, 600), b: syntheticSeries(11, 400) }, '1h', {
  initialCash: 1_000_000,
  fees: { rateBps: 500, minimumFee: 1, payer: 'buyer' },
  spreadBps: 50,
  slippageBps: 10,
});
process.stdout.write(`${resultHash(result)}\n`);
