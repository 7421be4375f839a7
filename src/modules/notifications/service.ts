import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { recordEvent, type DomainEvent } from '../../platform/events/index.ts';
import type { Mailer } from '../../platform/mail/index.ts';
import type { RealtimeHub } from '../../platform/realtime/hub.ts';
import { userChannel } from '../../platform/realtime/ws.ts';
import { getMailAddress, getNotificationPreferences } from '../identity/index.ts';
import { NothingToMarkError } from './errors.ts';
import { countUnread, insertNotification, listNotifications, markRead, type NotificationRow } from './repo.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';

export const NOTIFICATION_CREATED = 'notifications.created';
/** Other modules may record this event instead of calling `notify` (payload: a NotifyInput). */
export const NOTIFICATION_REQUESTED = 'notifications.requested';

export interface NotifyInput {
  userId: string;
  /** Dotted, lower-case kind (`trade.offer_received`); users set channel preferences per type. */
  type: string;
  title: string;
  body: string;
  data?: Record<string, unknown>;
}

interface CreatedPayload {
  userId: string;
  notification: NotificationView | null;
  email: { title: string; body: string } | null;
}

const TYPE = /^[a-z][a-z0-9_.]{0,63}$/;
const DEFAULT_CHANNELS = { inApp: true, email: false };

export function notificationView(n: NotificationRow) {
  return {
    id: n.id,
    type: n.type,
    title: n.title,
    body: n.body,
    data: n.data,
    read: n.readAt !== null,
    createdAt: n.createdAt.toISOString(),
  };
}
export type NotificationView = ReturnType<typeof notificationView>;

/**
 * Notifies a user, inside the caller's transaction (pass it as `db`): stores the in-app
 * notification and records an event that pushes it live and mails a copy, each only when the
 * user's preferences for this type ask for it. Returns the notification id, or null when the
 * user wants neither channel (or no longer exists). Passing an `id` makes a repeated call with it
 * a no-op (used for event-driven requests, which may be delivered twice).
 */
export async function notify(db: Db, input: NotifyInput, opts: { id?: string } = {}): Promise<string | null> {
  if (!TYPE.test(input.type)) throw new Error(`notification type ${input.type} must match ${TYPE}`);
  const prefs = await getNotificationPreferences(db, input.userId);
  if (!prefs) return null;
  const channels = prefs[input.type] ?? DEFAULT_CHANNELS;
  if (!channels.inApp && !channels.email) return null;
  const title = input.title.slice(0, 200);
  const body = input.body.slice(0, 2000);
  const id = opts.id ?? uuidv7();
  let row: NotificationRow | null = null;
  if (channels.inApp) {
    row = await insertNotification(db, {
      id,
      userId: input.userId,
      type: input.type,
      title,
      body,
      data: input.data ?? {},
    });
    if (!row) return id;
  }
  const payload: CreatedPayload = {
    userId: input.userId,
    notification: row ? notificationView(row) : null,
    email: channels.email ? { title, body } : null,
  };
  await recordEvent(db, {
    type: NOTIFICATION_CREATED,
    aggregateType: 'user',
    aggregateId: input.userId,
    payload,
  });
  return row?.id ?? null;
}

/** Records a request to notify, for modules that prefer an event to a call. */
export async function requestNotification(db: Db, input: NotifyInput): Promise<void> {
  await recordEvent(db, {
    type: NOTIFICATION_REQUESTED,
    aggregateType: 'user',
    aggregateId: input.userId,
    payload: input,
  });
}

/** Delivers a created notification: live on `user.<id>`, and by mail to a verified address. */
export function deliverNotification(deps: { db: Db; realtime: RealtimeHub; mailer: () => Mailer }) {
  return async (event: DomainEvent) => {
    const p = event.payload as CreatedPayload;
    if (p.notification) {
      await deps.realtime.publish(userChannel(p.userId), { kind: 'notification', notification: p.notification });
    }
    if (p.email) {
      const to = await getMailAddress(deps.db, p.userId);
      if (to) await deps.mailer().send({ to, subject: p.email.title, text: `${p.email.body}\n` });
    }
  };
}

export async function listForUser(
  db: Db,
  userId: string,
  q: { limit: number; cursor?: string | undefined; unread?: boolean | undefined },
) {
  const rows = await listNotifications(db, {
    userId,
    limit: q.limit + 1,
    beforeId: decodeIdCursor(q.cursor),
    unreadOnly: q.unread ?? false,
  });
  return pageById(rows, q.limit, notificationView);
}

export async function markNotificationsRead(db: Db, userId: string, input: { ids?: string[]; all?: boolean }) {
  if (input.all) return { updated: await markRead(db, userId, 'all') };
  if (!input.ids || input.ids.length === 0) throw new NothingToMarkError();
  return { updated: await markRead(db, userId, input.ids) };
}

export async function unreadCount(db: Db, userId: string) {
  return { count: await countUnread(db, userId) };
}
