import { sql } from 'drizzle-orm';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import {
  socialDirty,
  socialMatches,
  socialMessageReports,
  socialMessages,
  socialProfiles,
  socialSpares,
} from './tables.ts';

/**
 * Erases a deleted account's social data in one transaction: its profile, its place in matching
 * (as a user and as anyone's partner), and every conversation it was part of, with their reports.
 * A conversation is personal to both sides; the other side keeps none of it.
 */
export async function eraseUser(db: Db, userId: string): Promise<void> {
  await withTransaction(db, async (tx) => {
    await tx.execute(sql`DELETE FROM ${socialMessageReports} r
      USING ${socialMessages} m
      WHERE r.message_id = m.id AND (m.sender_id = ${userId} OR m.recipient_id = ${userId})`);
    await tx.execute(sql`DELETE FROM ${socialMessageReports} WHERE reporter_id = ${userId}`);
    await tx.execute(sql`DELETE FROM ${socialMessages} WHERE sender_id = ${userId} OR recipient_id = ${userId}`);
    await tx.execute(sql`DELETE FROM ${socialMatches} WHERE user_id = ${userId} OR partner_id = ${userId}`);
    await tx.execute(sql`DELETE FROM ${socialSpares} WHERE user_id = ${userId}`);
    await tx.execute(sql`DELETE FROM ${socialDirty} WHERE user_id = ${userId}`);
    await tx.execute(sql`DELETE FROM ${socialProfiles} WHERE user_id = ${userId}`);
  });
}
