import { desc, eq, getTableColumns } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, type Exporter } from '../../platform/privacy/export.ts';
import { bettingBets, bettingEvents, bettingOutcomes, bettingProfiles } from './tables.ts';

/**
 * The betting section of a user's export: bets with the event and outcome they were on, and the
 * responsible-play profile (limits, cool-off, self-exclusion). Betting holds no free text of its
 * users, so account deletion leaves it as is: bets are settlement records the ledger points at.
 */
export const bettingExporter: Exporter = {
  section: 'betting',
  async export(db: Db, userId: string) {
    const [profile] = await db.select().from(bettingProfiles).where(eq(bettingProfiles.userId, userId));
    return {
      profile: profile ?? null,
      bets: await capped((n) =>
        db
          .select({
            ...getTableColumns(bettingBets),
            eventTitle: bettingEvents.title,
            outcomeLabel: bettingOutcomes.label,
          })
          .from(bettingBets)
          .innerJoin(bettingEvents, eq(bettingEvents.id, bettingBets.eventId))
          .innerJoin(bettingOutcomes, eq(bettingOutcomes.id, bettingBets.outcomeId))
          .where(eq(bettingBets.userId, userId))
          .orderBy(desc(bettingBets.id))
          .limit(n),
      ),
    };
  },
};
