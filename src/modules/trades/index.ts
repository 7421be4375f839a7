import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { IDENTITY_EVENTS } from '../identity/index.ts';
import { eraseTradesData, tradesExporter } from './export-data.ts';
import { tradesRoutes } from './routes.ts';
import { expireDue } from './service.ts';

/*
 * Trades between users: one user offers cards and coins for another's. What is offered waits in
 * an escrow account of the offer until the recipient accepts (both sides swap in one ledger
 * transfer), declines or counters, the proposer cancels, or the offer expires.
 */
/** Read-only: reputation figures elsewhere count accepted offers (changes go through this module). */
export { tradeOffers } from './tables.ts';
export { TRADES_EVENTS } from './service.ts';

export const TRADES_JOBS = { expire: 'trades.expire' } as const;

export const tradesModule: ModuleDefinition = {
  name: 'trades',
  setup(ctx) {
    ctx.jobs.define(TRADES_JOBS.expire, async () => {
      const expired = await expireDue(ctx.db);
      if (expired > 0) ctx.logger.info({ expired }, 'expired trade offers');
    });
    ctx.jobs.every(TRADES_JOBS.expire, ctx.config.TRADES_EXPIRY_SWEEP_SECONDS);
    registerExporter(ctx, tradesExporter);
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'trades.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (userId) await eraseTradesData(ctx.db, userId);
    });
  },
  routes: tradesRoutes,
};
