import { UUID_PATTERN } from '../../platform/http/cursor.ts';
import { userChannel } from '../../platform/realtime/ws.ts';
import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { socialExporter } from './export-data.ts';
import { eraseUser } from './erase-repo.ts';
import { markDirty, refreshMatches } from './match-service.ts';
import { SOCIAL_EVENTS } from './message-service.ts';
import { CARDS_EVENTS, IDENTITY_EVENTS } from './ports.ts';
import { socialRoutes } from './routes.ts';

/*
 * Social: public profiles, trade-partner matching over what people really hold (ledger balances,
 * never escrow) and want (wishlists), direct messages delivered live, and follows (the community
 * module's follow graph). Matches are recomputed for users whose cards or wishlist changed.
 */
export { SOCIAL_EVENTS } from './message-service.ts';

/** The user an event names, when it names one well (a malformed payload is skipped, not retried). */
function userIdOf(payload: unknown): string | undefined {
  const userId = (payload as { userId?: unknown } | null)?.userId;
  return typeof userId === 'string' && UUID_PATTERN.test(userId) ? userId : undefined;
}

export const SOCIAL_JOBS = { refreshMatches: 'social.refresh-matches' } as const;

export const socialModule: ModuleDefinition = {
  name: 'social',
  setup(ctx) {
    ctx.events.on(CARDS_EVENTS.wishlistChanged, 'social.wishlist-dirty', async (event) => {
      const userId = userIdOf(event.payload);
      if (userId) await markDirty(ctx.db, [userId]);
    });
    ctx.events.on(SOCIAL_EVENTS.messageSent, 'social.realtime', async (event) => {
      const payload = event.payload as { userId: string; message: unknown };
      await ctx.realtime.publish(userChannel(payload.userId), {
        type: SOCIAL_EVENTS.messageSent,
        message: payload.message,
      });
    });
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'social.erase', async (event) => {
      const userId = userIdOf(event.payload);
      if (userId) await eraseUser(ctx.db, userId);
    });
    ctx.jobs.define(SOCIAL_JOBS.refreshMatches, async () => {
      const { marked, refreshed } = await refreshMatches(ctx.db);
      if (refreshed > 0) ctx.logger.info({ marked, refreshed }, 'social matches recomputed');
    });
    ctx.jobs.every(SOCIAL_JOBS.refreshMatches, ctx.config.SOCIAL_MATCH_REFRESH_SECONDS);
    registerExporter(ctx, socialExporter);
  },
  routes: socialRoutes,
};
