import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { decodeIdCursor, encodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import {
  BlockedError,
  MessageNotFoundError,
  MessageReportNotFoundError,
  ReportResolvedError,
  SelfActionError,
  SocialInputError,
  SocialUserNotFoundError,
} from './errors.ts';
import * as repo from './message-repo.ts';
import { findUserRef, hasBlocked, notify } from './ports.ts';
import type { MessageReportRow, MessageRow } from './tables.ts';
import { plainText } from './text.ts';

export const MESSAGE_MAX_CHARS = 2000;
export const REPORT_REASON_MAX_CHARS = 500;

export const SOCIAL_EVENTS = {
  /** A direct message was sent (payload `{ userId: recipient, message }`): pushed on the recipient's channel. */
  messageSent: 'social.message_sent',
} as const;

type UserRef = { id: string; username: string };

export function messageView(m: MessageRow, users: ReadonlyMap<string, UserRef>) {
  const ref = (id: string) => users.get(id) ?? { id, username: '' };
  return {
    id: m.id,
    from: ref(m.senderId),
    to: ref(m.recipientId),
    body: m.body,
    createdAt: m.createdAt.toISOString(),
    readAt: m.readAt ? m.readAt.toISOString() : null,
  };
}
export type MessageView = ReturnType<typeof messageView>;

async function userRef(db: Db, ref: string): Promise<UserRef> {
  const user = await findUserRef(db, ref);
  if (!user) throw new SocialUserNotFoundError();
  return user;
}

const eitherBlocked = async (db: Db, a: string, b: string) =>
  (await hasBlocked(db, a, b)) || (await hasBlocked(db, b, a));

/**
 * Sends a plain-text message. Refused when either user blocked the other. The message, its live
 * delivery (an outbox event pushed on the recipient's channel) and the recipient's notification
 * (kept or not per their preferences for `social.message`) commit together.
 */
export async function sendMessage(db: Db, senderId: string, input: { to: string; body: string }) {
  const recipient = await userRef(db, input.to);
  if (recipient.id === senderId) throw new SelfActionError('You cannot message yourself', 'body.to');
  const body = plainText(input.body);
  if (body.length === 0) throw new SocialInputError('body.body', 'must contain some text');
  if (body.length > MESSAGE_MAX_CHARS) {
    throw new SocialInputError('body.body', `must be at most ${MESSAGE_MAX_CHARS} characters`);
  }
  if (await eitherBlocked(db, senderId, recipient.id)) throw new BlockedError();
  const sender = await userRef(db, senderId);
  const users = new Map([
    [sender.id, sender],
    [recipient.id, recipient],
  ]);
  return withTransaction(db, async (tx) => {
    const row = await repo.insertMessage(tx, {
      id: uuidv7(),
      senderId,
      recipientId: recipient.id,
      ...repo.pairOf(senderId, recipient.id),
      body,
    });
    const view = messageView(row, users);
    await recordEvent(tx, {
      type: SOCIAL_EVENTS.messageSent,
      aggregateType: 'social.conversation',
      aggregateId: `${row.pairLow}:${row.pairHigh}`,
      payload: { userId: recipient.id, message: view },
    });
    await notify(tx, {
      userId: recipient.id,
      type: 'social.message',
      title: `New message from ${sender.username}`,
      body: body.length > 200 ? `${body.slice(0, 199)}…` : body,
      data: { messageId: row.id, from: sender.username, fromId: sender.id },
    });
    return view;
  });
}

/** Without `with`: my conversations; with it: the messages of that conversation, newest first. */
export async function listMessages(db: Db, me: string, q: { with?: string; limit: number; cursor?: string }) {
  const before = decodeIdCursor(q.cursor);
  if (q.with === undefined) {
    const rows = await repo.conversations(db, me, q.limit + 1, before);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const self = await userRef(db, me);
    return {
      items: page.map((c) => {
        const partner = { id: c.partner_id, username: c.username };
        const users = new Map([
          [me, self],
          [partner.id, partner],
        ]);
        return {
          with: partner,
          unread: c.unread,
          lastMessage: messageView(
            {
              id: c.last_id,
              senderId: c.sender_id,
              recipientId: c.recipient_id,
              pairLow: '',
              pairHigh: '',
              body: c.body,
              createdAt: new Date(c.created_at),
              readAt: c.read_at === null ? null : new Date(c.read_at),
            },
            users,
          ),
        };
      }),
      nextCursor: rows.length > q.limit && last ? encodeIdCursor(last.last_id) : null,
    };
  }
  const partner = await userRef(db, q.with);
  const self = await userRef(db, me);
  const users = new Map([
    [me, self],
    [partner.id, partner],
  ]);
  const rows = await repo.conversation(db, me, partner.id, q.limit + 1, before);
  return { with: partner, ...pageById(rows, q.limit, (m) => messageView(m, users)) };
}

/** Marks what `with` sent me as read (up to a message when given). */
export async function markRead(db: Db, me: string, input: { with: string; upTo?: string }) {
  const partner = await userRef(db, input.with);
  const marked = await repo.markRead(db, me, partner.id, input.upTo?.toLowerCase());
  return { marked, unread: await repo.unreadTotal(db, me) };
}

function reportView(r: MessageReportRow) {
  return {
    id: r.id,
    messageId: r.messageId,
    reason: r.reason,
    status: r.status,
    createdAt: r.createdAt.toISOString(),
    resolvedAt: r.resolvedAt ? r.resolvedAt.toISOString() : null,
  };
}

/**
 * Reports a message I received to the moderators. Only its recipient may report it: anyone else
 * (its sender included) gets 404, so other conversations stay invisible. Reporting again returns
 * the existing report.
 */
export async function reportMessage(db: Db, me: string, messageId: string, reason: string) {
  const message = await repo.findMessage(db, messageId);
  if (!message || message.recipientId !== me) throw new MessageNotFoundError();
  const text = plainText(reason);
  if (text.length === 0) throw new SocialInputError('body.reason', 'must contain some text');
  const created = await repo.insertReport(db, { id: uuidv7(), messageId, reporterId: me, reason: text });
  if (created) return { created: true, report: reportView(created) };
  const existing = await repo.findReport(db, messageId, me);
  if (!existing) throw new MessageNotFoundError();
  return { created: false, report: reportView(existing) };
}

/** The moderators' queue: reports of a status with the reported message, newest first. */
export async function listReports(db: Db, q: { status: MessageReportRow['status']; limit: number; cursor?: string }) {
  const rows = await repo.reportsWithMessages(db, q.status, q.limit + 1, decodeIdCursor(q.cursor));
  const ids = [...new Set(rows.flatMap((r) => [r.message.senderId, r.message.recipientId]))];
  const users = new Map<string, UserRef>();
  for (const id of ids) {
    const u = await findUserRef(db, id);
    users.set(id, u ?? { id, username: '' });
  }
  const items = rows.map((r) => ({ ...reportView(r.report), message: messageView(r.message, users) }));
  return pageById(items, q.limit, (x) => x);
}

export async function resolveReport(db: Db, moderatorId: string, id: string, outcome: 'upheld' | 'dismissed') {
  const resolved = await repo.resolveReport(db, id, outcome, moderatorId);
  if (resolved) return reportView(resolved);
  const existing = await repo.findReportById(db, id);
  if (!existing) throw new MessageReportNotFoundError();
  throw new ReportResolvedError(existing.status);
}
