import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { notifications } from './tables.ts';

/**
 * Erases a deleted account's notifications, and the notifications others received that quote it:
 * a message or trade offer it sent (their body is its words) or a follow it made. Those name their
 * author by id in `data.from`, `data.fromId` or `data.followerId`.
 */
export async function eraseNotificationsData(db: Db, userId: string): Promise<void> {
  await db.execute(sql`DELETE FROM ${notifications} WHERE user_id = ${userId}
    OR data->>'from' = ${userId} OR data->>'fromId' = ${userId} OR data->>'followerId' = ${userId}`);
}
