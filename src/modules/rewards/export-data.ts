import { desc, eq, getTableColumns } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, type Exporter } from '../../platform/privacy/export.ts';
import { rewardsAchievements, rewardsCheckins, rewardsFacts, rewardsPayouts, rewardsProgress } from './tables.ts';

/**
 * The rewards section of a user's export: achievement progress and badges, check-ins, payouts and
 * the recorded facts rules are evaluated over. Rewards hold no free text of their users, so account
 * deletion leaves them as is (payouts are what the ledger's rewards transfers point at).
 */
export const rewardsExporter: Exporter = {
  section: 'rewards',
  async export(db: Db, userId: string) {
    return {
      achievements: await capped((n) =>
        db
          .select({ ...getTableColumns(rewardsProgress), name: rewardsAchievements.name })
          .from(rewardsProgress)
          .innerJoin(rewardsAchievements, eq(rewardsAchievements.code, rewardsProgress.code))
          .where(eq(rewardsProgress.userId, userId))
          .orderBy(desc(rewardsProgress.updatedAt))
          .limit(n),
      ),
      checkins: await capped((n) =>
        db
          .select()
          .from(rewardsCheckins)
          .where(eq(rewardsCheckins.userId, userId))
          .orderBy(desc(rewardsCheckins.day))
          .limit(n),
      ),
      payouts: await capped((n) =>
        db
          .select()
          .from(rewardsPayouts)
          .where(eq(rewardsPayouts.userId, userId))
          .orderBy(desc(rewardsPayouts.createdAt))
          .limit(n),
      ),
      facts: await capped((n) =>
        db
          .select()
          .from(rewardsFacts)
          .where(eq(rewardsFacts.userId, userId))
          .orderBy(desc(rewardsFacts.occurredAt))
          .limit(n),
      ),
    };
  },
};
