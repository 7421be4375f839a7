import { sql } from 'drizzle-orm';
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * The transactional outbox. A row is written in the same transaction as the change it describes,
 * so only committed changes are ever delivered. `seq` orders delivery within an aggregate.
 */
export const outboxEvents = pgTable(
  'platform_outbox_events',
  {
    id: uuid('id').primaryKey(),
    seq: bigint('seq', { mode: 'bigint' }).generatedAlwaysAsIdentity().notNull(),
    type: text('type').notNull(),
    aggregateType: text('aggregate_type').notNull(),
    aggregateId: text('aggregate_id').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'parked'] })
      .notNull()
      .default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
  },
  (t) => [
    index('platform_outbox_pending_idx')
      .on(t.aggregateType, t.aggregateId, t.seq)
      .where(sql`${t.status} = 'pending'`),
    index('platform_outbox_status_idx').on(t.status, t.createdAt),
  ],
);

/**
 * Handlers that already succeeded for an event that has several: a retry runs only the ones that
 * failed, so one failing handler does not make the others repeat their effects (a second mail).
 */
export const outboxDeliveries = pgTable(
  'platform_outbox_deliveries',
  {
    eventId: uuid('event_id').notNull(),
    handler: text('handler').notNull(),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.handler] })],
);
