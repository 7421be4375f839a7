import { bigint, index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Who did what to what, append-only (a trigger rejects UPDATE, DELETE and TRUNCATE). Rows are
 * written in the same transaction as the change they describe.
 */
export const auditLog = pgTable(
  'platform_audit_log',
  {
    id: bigint('id', { mode: 'bigint' }).generatedAlwaysAsIdentity().primaryKey(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    actorType: text('actor_type', { enum: ['user', 'system', 'provider'] }).notNull(),
    actorId: text('actor_id'),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    asset: text('asset'),
    amount: bigint('amount', { mode: 'bigint' }),
    ip: text('ip'),
    userAgent: text('user_agent'),
    requestId: text('request_id'),
    details: jsonb('details'),
  },
  (t) => [
    index('platform_audit_actor_idx').on(t.actorId, t.id),
    index('platform_audit_action_idx').on(t.action, t.id),
    index('platform_audit_target_idx').on(t.targetType, t.targetId, t.id),
  ],
);
