import type { Config } from '../../config.ts';
import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { bettingExporter } from './export-data.ts';
import type { MarketDefaults } from './event-service.ts';
import { depositGuard } from './play-service.ts';
import { registerDepositGuard } from './ports.ts';
import { adminBettingRoutes, bettingRoutes } from './routes.ts';
import { demoBettingSeeder } from './seed.ts';
import { processMarket, settleDuePriceEvents, type EnqueueProcess } from './settlement.ts';
import * as repo from './repo.ts';

/*
 * Betting: events with parimutuel pools and fixed-odds markets, card-price events settled from the
 * exchange's recorded candles, risk limits, responsible play, and settlement that pays exactly
 * once. Every stake, payout, refund and takeout is a ledger transfer (`betting.*`).
 */
export { parimutuelPayouts, fixedOdds, overroundOf } from './odds.ts';
export { importBets } from './bulk.ts';
export { createEvent, type MarketDefaults } from './event-service.ts';
export { confirmAge } from './play-service.ts';
export { processMarket, requestSettlement } from './settlement.ts';

export const BETTING_JOBS = { process: 'betting.process-market', sweep: 'betting.sweep' } as const;

export function marketDefaults(config: Config): MarketDefaults {
  return {
    minStake: BigInt(config.BETTING_MIN_STAKE),
    maxStake: BigInt(config.BETTING_MAX_STAKE),
    maxPayout: BigInt(config.BETTING_MAX_PAYOUT),
    userLiabilityCap: BigInt(config.BETTING_USER_LIABILITY_CAP),
    outcomeLiabilityCap: BigInt(config.BETTING_OUTCOME_LIABILITY_CAP),
    suspendExposure: BigInt(config.BETTING_SUSPEND_EXPOSURE),
    priceMinTrades: config.BETTING_PRICE_MIN_TRADES,
  };
}

export const bettingModule: ModuleDefinition = {
  name: 'betting',
  setup(ctx) {
    const { jobs, config, logger } = ctx;
    const enqueue: EnqueueProcess = async (tx, marketId) => {
      await jobs.enqueue(tx, BETTING_JOBS.process, { marketId });
    };
    registerDepositGuard(ctx, depositGuard);
    jobs.define(BETTING_JOBS.process, async (data) => {
      const { marketId } = data as { marketId: string };
      const status = await processMarket(ctx.db, marketId, { batch: config.BETTING_SETTLE_BATCH });
      logger.info({ marketId, status }, 'betting market processed');
    });
    // Settles price events whose day is over and finishes any settlement a lost job left behind.
    jobs.define(BETTING_JOBS.sweep, async () => {
      await settleDuePriceEvents(ctx.db, enqueue);
      for (const marketId of await repo.pendingMarkets(ctx.db)) {
        await processMarket(ctx.db, marketId, { batch: config.BETTING_SETTLE_BATCH });
      }
    });
    jobs.every(BETTING_JOBS.sweep, config.BETTING_SWEEP_SECONDS);
    registerExporter(ctx, bettingExporter);
  },
  seeds: [demoBettingSeeder],
  async routes(app, { ctx }) {
    const deps = {
      ctx,
      defaults: marketDefaults(ctx.config),
      enqueue: async (tx: Parameters<EnqueueProcess>[0], marketId: string) => {
        await ctx.jobs.enqueue(tx, BETTING_JOBS.process, { marketId });
      },
    };
    await app.register(bettingRoutes, deps);
    await app.register(adminBettingRoutes, deps);
  },
};
