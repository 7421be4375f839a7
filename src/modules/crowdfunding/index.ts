import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { IDENTITY_EVENTS } from '../identity/index.ts';
import { crowdfundingExporter, eraseCrowdfundingData } from './export-data.ts';
import { crowdfundingRoutes } from './routes.ts';
import { demoCampaignsSeeder } from './seed.ts';
import { settleDue } from './settle.ts';

/*
 * Crowdfunding, all or nothing: creators set a goal, a deadline and reward tiers (perks or cards
 * held in escrow); backers pledge coins into the campaign's escrow; at the deadline a recurring job
 * pays the creator (minus the platform fee) and delivers the rewards, or refunds every backer.
 */
export { settleDue, settleCampaign, settleStep, type SettleOptions } from './settle.ts';
export { splitPayout } from './fees.ts';

export const CROWDFUNDING_JOBS = { settle: 'crowdfunding.settle' } as const;

export const crowdfundingModule: ModuleDefinition = {
  name: 'crowdfunding',
  setup(ctx) {
    ctx.jobs.define(CROWDFUNDING_JOBS.settle, async () => {
      const finished = await settleDue(ctx.db, { now: new Date(), feeBps: ctx.config.CROWDFUNDING_FEE_BPS });
      if (finished.length > 0) ctx.logger.info({ campaigns: finished }, 'crowdfunding campaigns settled');
    });
    ctx.jobs.every(CROWDFUNDING_JOBS.settle, ctx.config.CROWDFUNDING_SETTLE_SECONDS);
    registerExporter(ctx, crowdfundingExporter);
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'crowdfunding.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (userId) await eraseCrowdfundingData(ctx.db, userId);
    });
  },
  seeds: [demoCampaignsSeeder],
  routes: crowdfundingRoutes,
};
