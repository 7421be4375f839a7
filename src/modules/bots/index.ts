import type { ModuleDefinition, PlatformContext } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { IDENTITY_EVENTS } from '../identity/index.ts';
import { botsExporter, eraseBotsData } from './export-data.ts';
import { executeBacktest } from './backtest-service.ts';
import { BOTS_EVENTS, type BotMessagePayload } from './events.ts';
import * as repo from './repo.ts';
import { backtestRoutes, botRoutes, strategyRoutes } from './routes.ts';
import { createSandbox, type Sandbox } from './sandbox/sandbox.ts';
import { BotScheduler } from './scheduler.ts';
import { demoBotsSeeder } from './seed.ts';
import { StrategyCache } from './strategy-cache.ts';

/*
 * Trading bots: strategies (a rules document or sandboxed JavaScript, versioned), bots that run a
 * pinned version on paper or live at every candle close, backtests over the exchange's recorded
 * candles, and one performance report for all three. Live bots trade through the exchange's own
 * order path as their own ledger account.
 */
export { runBacktest, resultHash, type BacktestResult } from './backtest.ts';
export { STRATEGY_TEMPLATES } from './templates.ts';
export { BOTS_EVENTS } from './events.ts';
export {
  boardBacktests,
  boardBots,
  boardRecords,
  botAccountsAmong,
  recordReport,
  type BoardBacktest,
  type BoardBot,
  type BoardFill,
  type BoardRecord,
} from './board-feed.ts';
export { performanceReport, type EquityPoint, type Metric, type PerformanceReport } from './metrics.ts';
export {
  botFillsUntil,
  botsOfStrategies,
  botsOwnedBy,
  findBotSummary,
  findStrategyInfo,
  forkStrategyVersion,
  sharedBotPerformance,
  strategiesInfo,
  versionContent,
  versionStamps,
  versionsWithContent,
  type BotSummary,
  type StrategyInfo,
  type VersionContent,
} from './share-service.ts';

export const BOTS_JOBS = { backtest: 'bots.backtest', prune: 'bots.prune-runs' } as const;

/**
 * One sandbox per process, shared by the routes (compile checks), the scheduler and backtest jobs;
 * closed when the last of its users lets go at shutdown.
 */
const sandboxes = new WeakMap<PlatformContext, { sandbox: Sandbox; users: number }>();
function acquireSandbox(ctx: PlatformContext): Sandbox {
  let found = sandboxes.get(ctx);
  if (!found) {
    const sandbox = createSandbox({
      memoryBytes: ctx.config.BOTS_MEMORY_MB * 1024 * 1024,
      cpuMsPerCall: ctx.config.BOTS_CPU_MS_PER_CALL,
    });
    found = { sandbox, users: 0 };
    sandboxes.set(ctx, found);
  }
  found.users += 1;
  return found.sandbox;
}

async function releaseSandbox(ctx: PlatformContext): Promise<void> {
  const found = sandboxes.get(ctx);
  if (!found) return;
  found.users -= 1;
  if (found.users > 0) return;
  sandboxes.delete(ctx);
  await found.sandbox.close();
}

const PRUNE_SECONDS = 3600;

export const botsModule: ModuleDefinition = {
  name: 'bots',
  setup(ctx) {
    ctx.events.on(BOTS_EVENTS.publish, 'bots.realtime', async (event) => {
      const { userId, message } = event.payload as BotMessagePayload;
      await ctx.realtime.publish(`user.${userId}`, { kind: 'bot', ...message });
    });
    ctx.jobs.define(BOTS_JOBS.backtest, async (data) => {
      const { id } = data as { id: string };
      const sandbox = acquireSandbox(ctx);
      try {
        const status = await executeBacktest(ctx.db, sandbox, id);
        ctx.logger.info({ backtestId: id, status }, 'backtest finished');
      } finally {
        await releaseSandbox(ctx);
      }
    });
    ctx.jobs.define(BOTS_JOBS.prune, async () => {
      const cutoff = new Date(Date.now() - ctx.config.BOTS_RUN_RETENTION_DAYS * 86_400_000);
      const pruned = await repo.pruneRuns(ctx.db, cutoff);
      if (pruned > 0) ctx.logger.info({ pruned }, 'pruned old bot runs');
    });
    ctx.jobs.every(BOTS_JOBS.prune, PRUNE_SECONDS);
    registerExporter(ctx, botsExporter);
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'bots.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (userId) await eraseBotsData(ctx.db, userId);
    });
  },
  work(ctx) {
    const scheduler = new BotScheduler(
      {
        db: ctx.db,
        strategies: new StrategyCache(ctx.db, acquireSandbox(ctx)),
        logger: ctx.logger,
        maxFailures: ctx.config.BOTS_MAX_FAILURES,
      },
      {
        concurrency: ctx.config.BOTS_CONCURRENCY,
        leaseMs: 60_000,
        batch: 100,
        pollMs: ctx.config.BOTS_SCHEDULER_POLL_MS,
      },
    );
    scheduler.start();
    return async () => {
      await scheduler.stop();
      await releaseSandbox(ctx);
    };
  },
  seeds: [demoBotsSeeder],
  async routes(app, { ctx }) {
    const deps = {
      ctx,
      sandbox: acquireSandbox(ctx),
      enqueueBacktest: async (tx: Parameters<typeof ctx.jobs.enqueue>[0], id: string) => {
        await ctx.jobs.enqueue(tx, BOTS_JOBS.backtest, { id });
      },
    };
    app.addHook('onClose', () => releaseSandbox(ctx));
    await app.register(strategyRoutes, deps);
    await app.register(botRoutes, deps);
    await app.register(backtestRoutes, deps);
  },
};
