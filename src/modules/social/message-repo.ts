import { and, desc, eq, isNull, lt, lte, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { identityUsers } from './ports.ts';
import { socialMessageReports, socialMessages, type MessageReportRow, type MessageRow } from './tables.ts';

export const pairOf = (a: string, b: string) => (a < b ? { pairLow: a, pairHigh: b } : { pairLow: b, pairHigh: a });

export async function insertMessage(db: Db, row: typeof socialMessages.$inferInsert): Promise<MessageRow> {
  const [inserted] = await db.insert(socialMessages).values(row).returning();
  if (!inserted) throw new Error('message insert returned nothing');
  return inserted;
}

export async function findMessage(db: Db, id: string): Promise<MessageRow | null> {
  const [row] = await db.select().from(socialMessages).where(eq(socialMessages.id, id));
  return row ?? null;
}

/** Messages between two users, newest first, before `beforeId`. */
export function conversation(db: Db, a: string, b: string, limit: number, beforeId?: string): Promise<MessageRow[]> {
  const { pairLow, pairHigh } = pairOf(a, b);
  return db
    .select()
    .from(socialMessages)
    .where(
      and(
        eq(socialMessages.pairLow, pairLow),
        eq(socialMessages.pairHigh, pairHigh),
        beforeId ? lt(socialMessages.id, beforeId) : undefined,
      ),
    )
    .orderBy(desc(socialMessages.id))
    .limit(limit);
}

export interface ConversationRow extends Record<string, unknown> {
  partner_id: string;
  username: string;
  last_id: string;
  sender_id: string;
  recipient_id: string;
  body: string;
  created_at: string | Date;
  read_at: string | Date | null;
  unread: number;
}

/** My conversations, the most recently active first: the last message of each and my unread count. */
export async function conversations(db: Db, me: string, limit: number, beforeId?: string): Promise<ConversationRow[]> {
  const before = beforeId ? sql` WHERE c.last_id < ${beforeId}` : sql``;
  const r = await db.execute<ConversationRow>(sql`
    WITH c AS (
      SELECT DISTINCT ON (1) CASE WHEN m.sender_id = ${me} THEN m.recipient_id ELSE m.sender_id END AS partner_id,
             m.id AS last_id
        FROM ${socialMessages} m WHERE m.sender_id = ${me} OR m.recipient_id = ${me}
       ORDER BY 1, m.id DESC
    )
    SELECT c.partner_id, u.username, c.last_id, m.sender_id, m.recipient_id, m.body, m.created_at, m.read_at,
           (SELECT count(*)::int FROM ${socialMessages} x
             WHERE x.recipient_id = ${me} AND x.sender_id = c.partner_id AND x.read_at IS NULL) AS unread
      FROM c JOIN ${socialMessages} m ON m.id = c.last_id JOIN ${identityUsers} u ON u.id = c.partner_id${before}
     ORDER BY c.last_id DESC
     LIMIT ${limit}`);
  return r.rows;
}

/** Marks the messages `from` sent to `me` read (up to `upTo` when given); returns how many changed. */
export async function markRead(db: Db, me: string, from: string, upTo?: string): Promise<number> {
  const rows = await db
    .update(socialMessages)
    .set({ readAt: sql`now()` })
    .where(
      and(
        eq(socialMessages.recipientId, me),
        eq(socialMessages.senderId, from),
        isNull(socialMessages.readAt),
        upTo ? lte(socialMessages.id, upTo) : undefined,
      ),
    )
    .returning({ id: socialMessages.id });
  return rows.length;
}

export async function unreadTotal(db: Db, me: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(socialMessages)
    .where(and(eq(socialMessages.recipientId, me), isNull(socialMessages.readAt)));
  return row?.n ?? 0;
}

// --- reports ---

/** Files a report; returns null when the reporter already reported this message. */
export async function insertReport(
  db: Db,
  row: typeof socialMessageReports.$inferInsert,
): Promise<MessageReportRow | null> {
  const [inserted] = await db.insert(socialMessageReports).values(row).onConflictDoNothing().returning();
  return inserted ?? null;
}

export async function findReport(db: Db, messageId: string, reporterId: string): Promise<MessageReportRow | null> {
  const [row] = await db
    .select()
    .from(socialMessageReports)
    .where(and(eq(socialMessageReports.messageId, messageId), eq(socialMessageReports.reporterId, reporterId)));
  return row ?? null;
}

export async function findReportById(db: Db, id: string): Promise<MessageReportRow | null> {
  const [row] = await db.select().from(socialMessageReports).where(eq(socialMessageReports.id, id));
  return row ?? null;
}

/** Reports of one status with their messages, newest first. */
export function reportsWithMessages(db: Db, status: MessageReportRow['status'], limit: number, beforeId?: string) {
  return db
    .select({ report: socialMessageReports, message: socialMessages })
    .from(socialMessageReports)
    .innerJoin(socialMessages, eq(socialMessages.id, socialMessageReports.messageId))
    .where(and(eq(socialMessageReports.status, status), beforeId ? lt(socialMessageReports.id, beforeId) : undefined))
    .orderBy(desc(socialMessageReports.id))
    .limit(limit);
}

/** Resolves an open report; null when it was no longer open. */
export async function resolveReport(
  db: Db,
  id: string,
  outcome: 'upheld' | 'dismissed',
  moderatorId: string,
): Promise<MessageReportRow | null> {
  const [row] = await db
    .update(socialMessageReports)
    .set({ status: outcome, resolvedBy: moderatorId, resolvedAt: sql`now()` })
    .where(and(eq(socialMessageReports.id, id), eq(socialMessageReports.status, 'open')))
    .returning();
  return row ?? null;
}
