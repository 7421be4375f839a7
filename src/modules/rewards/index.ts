import type { Db } from '../../platform/db/tx.ts';
import type { ModuleDefinition } from '../../platform/module.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { rewardsExporter } from './export-data.ts';
import { factsOf } from './facts.ts';
import { BOTS_EVENTS, CARDS_EVENTS, TRADES_EVENTS } from './ports.ts';
import { badgesOf } from './repo.ts';
import { rewardsRoutes } from './routes.ts';
import { backfillPending, recordFacts, syncCatalogue } from './service.ts';

/*
 * Rewards: a catalogue of badges and achievements whose criteria are declarative rules over domain
 * events; progress per user; daily check-ins with streaks; points (the ledger asset `POINTS`, not
 * transferable between users); rewards paid from the sharded `rewards` ledger account exactly once
 * per user and achievement; a points leaderboard; backfill of new rules over the stored history.
 */

/** Badges earned by each of `userIds` (users without any map to an empty list), oldest first. */
export async function badgesOfUsers(
  db: Db,
  userIds: string[],
): Promise<Map<string, { code: string; name: string; awardedAt: string }[]>> {
  const out = new Map<string, { code: string; name: string; awardedAt: string }[]>();
  for (const id of userIds) out.set(id, []);
  if (userIds.length === 0) return out;
  for (const row of await badgesOf(db, userIds)) {
    out.get(row.userId)?.push({ code: row.code, name: row.name, awardedAt: row.completedAt.toISOString() });
  }
  return out;
}

export { recordFacts, backfillAchievement, backfillPending, syncCatalogue } from './service.ts';
export { factsOf } from './facts.ts';

export const REWARDS_JOBS = { sync: 'rewards.sync-catalogue' } as const;

/** Domain events whose facts achievements count (see `factsOf`). */
export const REWARDS_SOURCES = [
  CARDS_EVENTS.packOpened,
  CARDS_EVENTS.packPurchased,
  TRADES_EVENTS.completed,
  BOTS_EVENTS.publish,
] as const;

export const rewardsModule: ModuleDefinition = {
  name: 'rewards',
  setup(ctx) {
    for (const type of REWARDS_SOURCES) {
      ctx.events.on(type, 'rewards.facts', async (event) => {
        await recordFacts(ctx.db, factsOf(event));
      });
    }
    // Adds new catalogue entries and awards them to everyone who already qualifies.
    ctx.jobs.define(REWARDS_JOBS.sync, async () => {
      const added = await syncCatalogue(ctx.db);
      const backfilled = await backfillPending(ctx.db);
      if (added.length > 0 || backfilled.length > 0) ctx.logger.info({ added, backfilled }, 'rewards catalogue synced');
    });
    ctx.jobs.every(REWARDS_JOBS.sync, 3600);
    registerExporter(ctx, rewardsExporter);
  },
  work(ctx) {
    ctx.jobs
      .enqueue(null, REWARDS_JOBS.sync, {}, { singletonKey: REWARDS_JOBS.sync })
      .catch((err: unknown) => ctx.logger.error({ err }, 'could not enqueue the rewards catalogue sync'));
    return async () => {};
  },
  routes: rewardsRoutes,
};
