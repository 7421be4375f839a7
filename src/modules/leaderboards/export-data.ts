import { desc, eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, type Exporter } from '../../platform/privacy/export.ts';
import { leaderboardEntries } from './tables.ts';

/** The leaderboards section of a user's export: where the user and their bots and backtests stand. */
export const leaderboardsExporter: Exporter = {
  section: 'leaderboards',
  async export(db: Db, userId: string) {
    return {
      entries: await capped((n) =>
        db
          .select()
          .from(leaderboardEntries)
          .where(eq(leaderboardEntries.ownerId, userId))
          .orderBy(desc(leaderboardEntries.computedAt))
          .limit(n),
      ),
    };
  },
};
