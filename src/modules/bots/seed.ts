import { uuidv7 } from 'uuidv7';
import type { Seeder } from '../../platform/db/seed.ts';
import type { Db } from '../../platform/db/tx.ts';
import { resultHash, runBacktest } from './backtest.ts';
import { feeTerms } from './market-view.ts';
import { findUserRef, loadMarketSettings, recordedCandles, tradableBaseVariants } from './ports.ts';
import * as repo from './repo.ts';
import { validateRules, rulesStrategy, type RulesDocument } from './rules.ts';
import { runBotTick } from './runner.ts';
import { StrategyCache } from './strategy-cache.ts';
import { INTERVAL_MS } from './strategy.ts';
import { STRATEGY_TEMPLATES } from './templates.ts';
import { storedResult } from './backtest-service.ts';
import type { Sandbox } from './sandbox/sandbox.ts';
import pino from 'pino';

const DAY_MS = 86_400_000;
/** Days of paper history the demo bots start with: the demo market's whole recorded month. */
const PAPER_DAYS = 30;
/** The demo market trades a few sessions a day, so its bots act on 4-hour candles. */
const DEMO_INTERVAL = '4h';
const DEMO_OWNERS = ['alice', 'maker_ada', 'maker_bram'] as const;

const sma = (period: number) => ({ indicator: 'sma' as const, period });
const rsi = { indicator: 'rsi' as const, period: 8 };

/**
 * The templates with their numbers tuned to the demo market, where a candle exists only for the
 * few hours a day with trades: shorter averages, a shorter RSI, and a DCA that takes its profit.
 */
const DEMO_STRATEGIES: { template: string; document: RulesDocument }[] = [
  {
    template: 'sma-crossover',
    document: {
      version: 1,
      entry: { when: { cross: 'above', left: sma(3), right: sma(8) }, size: { kind: 'percent', percent: 25 } },
      exit: { when: { cross: 'below', left: sma(3), right: sma(8) } },
    },
  },
  {
    template: 'rsi-mean-reversion',
    document: {
      version: 1,
      entry: { when: { compare: '<', left: rsi, right: { value: 40 } }, size: { kind: 'percent', percent: 20 } },
      exit: { when: { compare: '>', left: rsi, right: { value: 55 } }, stopLossPct: 10 },
      cooldownCandles: 2,
    },
  },
  {
    template: 'dca',
    document: {
      version: 1,
      entry: { when: { always: true }, size: { kind: 'fixed', quantity: 1 } },
      exit: { takeProfitPct: 5 },
      cooldownCandles: 6,
    },
  },
];

/** Seeding uses rules templates only; code strategies need a worker's sandbox. */
const noSandbox: Sandbox = {
  compile: () => Promise.reject(new Error('code strategies are not seeded')),
  close: () => Promise.resolve(),
};

/** The demo cards with recorded hourly candles, most traded first. */
async function tradedCards(tx: Db, now: number): Promise<string[]> {
  const candidates = (await tradableBaseVariants(tx)).map((v) => v.variantId);
  const series = await recordedCandles(tx, candidates, '1h', new Date(now - 30 * DAY_MS), new Date(now));
  return Object.entries(series)
    .filter(([, candles]) => candles.length > 0)
    .sort(([a, x], [b, y]) => y.length - x.length || (a < b ? -1 : 1))
    .map(([id]) => id);
}

/**
 * A few bots from the templates for alice and two demo market makers: each with its strategy, a
 * finished backtest over the demo month and a paper bot that has already run through that month, so bots, runs, backtests and performance show data on first start.
 */
export const demoBotsSeeder: Seeder = {
  name: 'bots.demo',
  demo: true,
  async run(tx) {
    const now = Date.now();
    const cards = await tradedCards(tx, now);
    if (cards.length === 0) return;
    const fees = feeTerms(await loadMarketSettings(tx));
    const strategies = new StrategyCache(tx, noSandbox);
    const deps = { db: tx, strategies, logger: pino({ level: 'silent' }), maxFailures: 5 };
    for (const [i, username] of DEMO_OWNERS.entries()) {
      const owner = await findUserRef(tx, username);
      const demo = DEMO_STRATEGIES[i % DEMO_STRATEGIES.length];
      const template = STRATEGY_TEMPLATES.find((t) => t.id === demo?.template);
      if (!owner || !demo || !template) continue;
      const variantIds = [cards[i % cards.length] as string];
      const strategy = await repo.insertStrategy(
        tx,
        { id: uuidv7(), ownerId: owner.id, name: template.name, kind: 'rules', latestVersion: 1 },
        { document: demo.document, source: null },
      );
      await seedBacktest(tx, owner.id, strategy.id, demo.document, variantIds, now, fees);
      const step = INTERVAL_MS[DEMO_INTERVAL];
      const start = Math.floor((now - PAPER_DAYS * DAY_MS) / step) * step;
      const bot = await repo.insertBot(tx, {
        id: uuidv7(),
        ownerId: owner.id,
        name: `${template.name} (paper)`,
        strategyId: strategy.id,
        strategyVersion: 1,
        mode: 'paper',
        status: 'running',
        variantIds,
        interval: DEMO_INTERVAL,
        allocation: 1_000_000n,
        settings: { maxDrawdownPct: 50 },
        book: { cash: 1_000_000, holdings: {}, entryFees: {}, orders: [], lastExitAt: {}, feesPaid: 0 },
        lastTick: new Date(start - step),
        nextRunAt: new Date(start),
        startedAt: new Date(start),
      });
      for (;;) {
        const current = await repo.findBot(tx, bot.id);
        const due = current?.nextRunAt?.getTime();
        if (!current || current.status !== 'running' || due === undefined || due > now) break;
        await runBotTick(deps, current, due);
      }
    }
  },
};

async function seedBacktest(
  tx: Db,
  ownerId: string,
  strategyId: string,
  document: unknown,
  variantIds: string[],
  now: number,
  fees: ReturnType<typeof feeTerms>,
): Promise<void> {
  const checked = validateRules(document);
  if (!checked.ok) throw new Error('a demo template does not validate');
  const from = new Date(now - 30 * DAY_MS);
  const to = new Date(now);
  const settings = { initialCash: 1_000_000, spreadBps: 50, slippageBps: 10 };
  const series = await recordedCandles(tx, variantIds, DEMO_INTERVAL, from, to);
  const result = await runBacktest(rulesStrategy(checked.doc), series, DEMO_INTERVAL, { ...settings, fees });
  await repo.insertBacktest(tx, {
    id: uuidv7(),
    ownerId,
    strategyId,
    strategyVersion: 1,
    variantIds,
    interval: DEMO_INTERVAL,
    from,
    to,
    settings,
    status: 'done',
    progress: 1,
    result: storedResult(result),
    resultHash: resultHash(result),
    startedAt: new Date(now),
    finishedAt: new Date(now),
  });
}
