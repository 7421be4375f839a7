import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Mail kept in the database when no SMTP server is configured, so an offline install can still
 * follow verification and reset links. Holds secrets (links): read it locally, never expose it.
 */
export const mailOutbox = pgTable(
  'platform_mail_outbox',
  {
    id: uuid('id').primaryKey(),
    recipient: text('recipient').notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull(),
    html: text('html'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('platform_mail_outbox_recipient_idx').on(t.recipient, t.createdAt)],
);
