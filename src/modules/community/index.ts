import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { IDENTITY_EVENTS } from '../identity/index.ts';
import { communityExporter, eraseCommunityData } from './export-data.ts';
import { announceNewVersions, scanFeed } from './feed-service.ts';
import { BOTS_EVENTS } from './ports.ts';
import { communityBotRoutes, communitySocialRoutes, moderationRoutes, sharingRoutes } from './routes.ts';
import { demoCommunitySeeder } from './seed.ts';

/*
 * Community: strategies shared privately, by link or publicly, protected (performance only) or open
 * (code visible, forkable); shared bot pages with the platform's own figures; comments, likes,
 * follows and an activity feed; reports and a moderation queue.
 */
export { scanFeed } from './feed-service.ts';
export { followUser, unfollowUser } from './social-service.ts';
/** Read-only: follower and following lists elsewhere join the follow graph (changes go through `followUser`). */
export { communityFollows } from './tables.ts';

export const COMMUNITY_JOBS = { scanFeed: 'community.scan-feed' } as const;

export const communityModule: ModuleDefinition = {
  name: 'community',
  setup(ctx) {
    ctx.events.on(BOTS_EVENTS.strategyVersioned, 'community.announce-version', async (event) => {
      await announceNewVersions(ctx.db, (event.payload as { strategyId: string }).strategyId);
    });
    ctx.jobs.define(COMMUNITY_JOBS.scanFeed, async () => {
      const written = await scanFeed(ctx.db);
      if (written > 0) ctx.logger.info({ written }, 'community feed rows written');
    });
    ctx.jobs.every(COMMUNITY_JOBS.scanFeed, ctx.config.COMMUNITY_FEED_SCAN_SECONDS);
    registerExporter(ctx, communityExporter);
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'community.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (userId) await eraseCommunityData(ctx.db, userId);
    });
  },
  seeds: [demoCommunitySeeder],
  async routes(app, { ctx }) {
    await app.register(sharingRoutes, { ctx });
    await app.register(communityBotRoutes, { ctx });
    await app.register(communitySocialRoutes, { ctx });
    await app.register(moderationRoutes, { ctx });
  },
};
