import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { fraudExporter } from './export-data.ts';
import { fraudRoutes } from './routes.ts';
import { releaseDueHolds } from './service.ts';

/*
 * Fraud screens over every exchange fill and every accepted trade offer: wash trading, high-value
 * transfers with new accounts, trade velocity and prices far from the market. A match raises a
 * flag for staff review; a severe one holds what the gaining side received (moved into an escrow
 * account of theirs through the ledger, in the trade's own transaction) until a stated release time.
 */
export { DEFAULT_FRAUD_SETTINGS, HOLD_REASONS, type FraudSettings, type RuleMatch } from './rules.ts';
export {
  fillReference,
  holdsFor,
  offerReference,
  releaseDueHolds,
  screenFill,
  type HoldMover,
  screenOffer,
  type FillToScreen,
  type HoldView,
  type OfferToScreen,
} from './service.ts';

export { washTradedIds } from './board-feed.ts';
/** Read-only: reputation figures elsewhere count confirmed flags (changes go through this module). */
export { fraudFlags } from './tables.ts';

export const FRAUD_JOBS = { release: 'fraud.release-holds' } as const;

/** How often the release job looks for holds whose time has come. */
const RELEASE_SWEEP_SECONDS = 60;

export const fraudModule: ModuleDefinition = {
  name: 'fraud',
  setup(ctx) {
    ctx.jobs.define(FRAUD_JOBS.release, async () => {
      const released = await releaseDueHolds(ctx.db);
      if (released > 0) ctx.logger.info({ released }, 'released fraud holds');
    });
    ctx.jobs.every(FRAUD_JOBS.release, RELEASE_SWEEP_SECONDS);
    registerExporter(ctx, fraudExporter);
  },
  routes: fraudRoutes,
};
