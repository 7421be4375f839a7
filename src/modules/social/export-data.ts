import { desc, eq, getTableColumns, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, without, type Exporter } from '../../platform/privacy/export.ts';
import { identityUsers } from './ports.ts';
import { socialMatches, socialMessageReports, socialMessages, socialProfiles } from './tables.ts';

/**
 * The social section of a user's export: the profile's showcase, every direct message sent or
 * received (with the other side's username), current trade-partner matches and message reports.
 * (Follows are the community module's: its section.)
 */
export const socialExporter: Exporter = {
  section: 'social',
  async export(db: Db, userId: string) {
    const [profile] = await db.select().from(socialProfiles).where(eq(socialProfiles.userId, userId));
    const other = sql`CASE WHEN ${socialMessages.senderId} = ${userId} THEN ${socialMessages.recipientId}
      ELSE ${socialMessages.senderId} END`;
    const { pairLow: _low, pairHigh: _high, ...messageColumns } = getTableColumns(socialMessages);
    return {
      profile: profile ?? null,
      messages: await capped((n) =>
        db
          .select({ ...messageColumns, counterpartyUsername: identityUsers.username })
          .from(socialMessages)
          .leftJoin(identityUsers, eq(identityUsers.id, other))
          .where(or(eq(socialMessages.senderId, userId), eq(socialMessages.recipientId, userId)))
          .orderBy(desc(socialMessages.id))
          .limit(n),
      ),
      matches: await capped((n) =>
        db
          .select({ ...getTableColumns(socialMatches), partnerUsername: identityUsers.username })
          .from(socialMatches)
          .leftJoin(identityUsers, eq(identityUsers.id, socialMatches.partnerId))
          .where(eq(socialMatches.userId, userId))
          .orderBy(desc(socialMatches.computedAt))
          .limit(n)
          .then((rows) => rows.map((m) => without(m, 'partnerId'))),
      ),
      messageReports: await capped((n) =>
        db
          .select()
          .from(socialMessageReports)
          .where(eq(socialMessageReports.reporterId, userId))
          .orderBy(desc(socialMessageReports.id))
          .limit(n)
          .then((rows) => rows.map((r) => without(r, 'resolvedBy'))),
      ),
    };
  },
};
