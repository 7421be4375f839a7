import { index, integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Responses of completed value-moving requests, by caller scope (user and route) and the client's
 * `Idempotency-Key`. Written in the same transaction as the work, so a key is stored if and only
 * if the work committed.
 */
export const idempotencyKeys = pgTable(
  'platform_idempotency_keys',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    statusCode: integer('status_code').notNull(),
    contentType: text('content_type').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('platform_idempotency_created_idx').on(t.createdAt)],
);
