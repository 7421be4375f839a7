import { loadConfig, type Config } from '../../config.ts';
import type { Seeder } from '../../platform/db/seed.ts';
import { rebuildAll } from './aggregate.ts';
import type { QualificationRules } from './compute.ts';

export const rulesOf = (config: Config): QualificationRules => ({
  minTrades: config.LEADERBOARD_MIN_TRADES,
  minAgeHours: config.LEADERBOARD_MIN_AGE_HOURS,
  minAllocation: config.LEADERBOARD_MIN_ALLOCATION,
});

/**
 * Computes every board once after the demo bots, backtests and market have been seeded (modules
 * seed in registration order, and this module registers after bots and market), so the preview and
 * the full boards show data on first start. The rules are the process's configured ones.
 */
export const demoBoardsSeeder: Seeder = {
  name: 'leaderboards.demo',
  demo: true,
  async run(tx) {
    await rebuildAll({ db: tx, rules: rulesOf(loadConfig()) });
  },
};
