import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { notifications } from './tables.ts';

export type NotificationRow = typeof notifications.$inferSelect;

/** Inserts a notification; null when one with this id exists already (a redelivered request). */
export async function insertNotification(
  db: Db,
  values: typeof notifications.$inferInsert,
): Promise<NotificationRow | null> {
  const [row] = await db.insert(notifications).values(values).onConflictDoNothing().returning();
  return row ?? null;
}

export async function listNotifications(
  db: Db,
  q: { userId: string; limit: number; beforeId?: string | undefined; unreadOnly: boolean },
): Promise<NotificationRow[]> {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, q.userId),
        q.beforeId ? lt(notifications.id, q.beforeId) : undefined,
        q.unreadOnly ? isNull(notifications.readAt) : undefined,
      ),
    )
    .orderBy(desc(notifications.id))
    .limit(q.limit);
}

/** Marks the user's unread notifications read (the given ones, or all); returns how many changed. */
export async function markRead(db: Db, userId: string, ids: string[] | 'all'): Promise<number> {
  const rows = await db
    .update(notifications)
    .set({ readAt: sql`now()` })
    .where(
      and(
        eq(notifications.userId, userId),
        isNull(notifications.readAt),
        ids === 'all' ? undefined : inArray(notifications.id, ids),
      ),
    )
    .returning({ id: notifications.id });
  return rows.length;
}

export async function countUnread(db: Db, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
  return row?.n ?? 0;
}

export async function deleteNotificationsOf(db: Db, userId: string): Promise<void> {
  await db.delete(notifications).where(eq(notifications.userId, userId));
}
