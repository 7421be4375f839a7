import { sql } from 'drizzle-orm';
import type { Db } from '../db/tx.ts';
import { outboxEvents } from '../events/tables.ts';
import { UUID_PATTERN } from '../http/cursor.ts';

/**
 * The account an `identity.user_deleted` event names, or undefined when the payload names none
 * well: such an event is skipped by erasure handlers rather than retried forever.
 */
export function deletedUserId(payload: unknown): string | undefined {
  const userId = (payload as { userId?: unknown } | null)?.userId;
  return typeof userId === 'string' && UUID_PATTERN.test(userId) ? userId : undefined;
}

/**
 * Deletes delivered outbox events that name a deleted account anywhere in their payload: they are
 * spent (every handler ran) but would keep copies of its messages and notifications. Events not
 * yet delivered stay, so nothing owed to a handler is lost. A scan of delivered payloads: run once
 * per account deletion, off the request path.
 */
export async function forgetDeliveredEvents(db: Db, userId: string): Promise<number> {
  const r = await db.execute(sql`DELETE FROM ${outboxEvents}
    WHERE status = 'delivered' AND (aggregate_id = ${userId} OR payload::text LIKE ${`%${userId}%`})`);
  return r.rowCount ?? 0;
}
