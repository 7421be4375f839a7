import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import type { Keyring } from '../../platform/crypto/envelope.ts';
import { openValue, sealedColumn } from '../../platform/crypto/sealed-columns.ts';
import { forgetDeliveredEvents } from '../../platform/privacy/erasure.ts';
import { capped, without, type Exporter } from '../../platform/privacy/export.ts';
import { activity, blocks, sessions, users } from './tables.ts';

const sessionUserAgent = sealedColumn('identity_sessions', 'user_agent');
const activityIp = sealedColumn('identity_activity', 'ip');
const activityUserAgent = sealedColumn('identity_activity', 'user_agent');

/**
 * The account section of a user's export: profile and settings, sessions, activity and blocks.
 * Sealed devices and addresses are opened for their owner; password hashes and token hashes never
 * leave the database, even to their owner.
 */
export const identityExporter = (keyring: Keyring): Exporter => ({
  section: 'account',
  async export(db: Db, userId: string) {
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    return {
      profile: user ? without(user, 'passwordHash') : null,
      sessions: await capped(async (n) =>
        (
          await db.select().from(sessions).where(eq(sessions.userId, userId)).orderBy(desc(sessions.createdAt)).limit(n)
        ).map((s) => ({ ...s, userAgent: openValue(keyring, sessionUserAgent, s.userAgent) })),
      ),
      activity: await capped(async (n) =>
        (await db.select().from(activity).where(eq(activity.userId, userId)).orderBy(desc(activity.id)).limit(n)).map(
          (a) => ({
            ...a,
            ip: openValue(keyring, activityIp, a.ip),
            userAgent: openValue(keyring, activityUserAgent, a.userAgent),
          }),
        ),
      ),
      // Counterparties by username only: another user's other data is not this user's to download.
      blocks: await capped((n) =>
        db
          .select({ username: users.username, createdAt: blocks.createdAt })
          .from(blocks)
          .innerJoin(users, eq(users.id, blocks.blockedId))
          .where(eq(blocks.blockerId, userId))
          .orderBy(desc(blocks.createdAt))
          .limit(n),
      ),
    };
  },
});

/**
 * What deleting an account leaves for this module to erase after the deletion commits: where the
 * sessions came from (address, browser), the blocks the user made, and the delivered events that
 * carried copies of what the user wrote or was told.
 */
export async function eraseIdentityData(db: Db, userId: string): Promise<void> {
  await db.execute(sql`UPDATE ${sessions} SET ip = NULL, user_agent = NULL WHERE user_id = ${userId}`);
  await db.execute(sql`DELETE FROM ${blocks} WHERE blocker_id = ${userId}`);
  await forgetDeliveredEvents(db, userId);
}
