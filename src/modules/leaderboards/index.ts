import { scopedCache } from '../../platform/cache/cache.ts';
import { databaseName } from '../../platform/db/tx.ts';
import type { ModuleDefinition, PlatformContext } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { IDENTITY_EVENTS } from '../identity/index.ts';
import { eraseLeaderboardData } from './erase-data.ts';
import { leaderboardsExporter } from './export-data.ts';
import { BOTS_EVENTS } from '../bots/index.ts';
import { noticeBots, rebuildAll, refreshDirty, type AggregateDeps } from './aggregate.ts';
import { BoardMirror } from './mirror.ts';
import { leaderboardRoutes } from './routes.ts';
import { demoBoardsSeeder, rulesOf } from './seed.ts';

/*
 * Leaderboards: bots ranked by the platform's own record of their equity and fills (live, paper and
 * backtests kept apart), exchange traders by realised profit and collectors by collection value.
 * A job computes the boards into stored rows; reads only page those rows.
 */
export { botStandings, orderByStanding, type BoardMetric, type BoardPeriod, type BotStanding } from './contract.ts';

export const LEADERBOARDS_JOBS = { refresh: 'leaderboards.refresh', rebuild: 'leaderboards.rebuild' } as const;

/** The module's scoped cache and Redis mirror for a context (keys scoped to its database). */
async function storesOf(ctx: PlatformContext) {
  const name = await databaseName(ctx.db);
  return {
    cache: scopedCache(ctx.cache, `leaderboards:${name}:`),
    mirror: ctx.redis ? new BoardMirror(ctx.redis, `lb:${name}:`) : undefined,
  };
}

export const leaderboardsModule: ModuleDefinition = {
  name: 'leaderboards',
  async setup(ctx) {
    const { cache, mirror } = await storesOf(ctx);
    const deps: AggregateDeps = {
      db: ctx.db,
      rules: rulesOf(ctx.config),
      mirror,
      logger: ctx.logger,
      // Cached pages, ranks and the preview all go once the boards change.
      onChange: () => cache.deletePrefix(''),
    };
    // A bot's run (its fills and equity) or status change marks it for recomputation.
    ctx.events.on(BOTS_EVENTS.publish, 'leaderboards.dirty', async (event) => {
      if (event.aggregateType === 'bot') await noticeBots(ctx.db, [event.aggregateId], event.createdAt);
    });
    ctx.jobs.define(LEADERBOARDS_JOBS.refresh, async () => {
      let taken: number;
      do taken = await refreshDirty(deps);
      while (taken > 0);
    });
    ctx.jobs.define(LEADERBOARDS_JOBS.rebuild, async () => {
      await rebuildAll(deps);
    });
    ctx.jobs.every(LEADERBOARDS_JOBS.refresh, ctx.config.LEADERBOARD_REFRESH_SECONDS);
    ctx.jobs.every(LEADERBOARDS_JOBS.rebuild, ctx.config.LEADERBOARD_REBUILD_SECONDS);
    registerExporter(ctx, leaderboardsExporter);
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'leaderboards.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (userId) await eraseLeaderboardData(deps, userId);
    });
  },
  seeds: [demoBoardsSeeder],
  async routes(app, { ctx }) {
    const { cache, mirror } = await storesOf(ctx);
    await app.register(leaderboardRoutes, {
      ctx,
      cache,
      mirror,
      requestRebuild: async () => {
        await ctx.jobs.enqueue(null, LEADERBOARDS_JOBS.rebuild, {});
      },
    });
  },
};
