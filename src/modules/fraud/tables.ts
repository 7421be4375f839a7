import { sql } from 'drizzle-orm';
import { bigint, check, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const FRAUD_RULES = ['wash_trading', 'new_account_gift', 'trade_velocity', 'price_far_from_reference'] as const;
export type FraudRule = (typeof FRAUD_RULES)[number];
export type Severity = 'low' | 'high';
export type FlagStatus = 'open' | 'resolved';
export type FlagOutcome = 'dismissed' | 'confirmed';

/**
 * What the screens need to know about past trades, written as each exchange fill or accepted offer
 * settles: one row per user per card variant moved (or one row per user when only coins moved).
 * `direction` is whether the user received (`in`) or gave (`out`) the variant; `price` is the
 * exchange price per copy (null for trades between users).
 */
export const fraudActivity = pgTable(
  'fraud_activity',
  {
    id: bigint('id', { mode: 'bigint' }).generatedAlwaysAsIdentity().primaryKey(),
    userId: uuid('user_id').notNull(),
    counterpartyId: uuid('counterparty_id').notNull(),
    variantId: uuid('variant_id'),
    direction: text('direction', { enum: ['in', 'out'] }),
    price: bigint('price', { mode: 'bigint' }),
    /** `market.trade:<trade id>` or `trade.offer:<offer id>`. */
    reference: text('reference').notNull(),
    at: at('at').notNull(),
  },
  (t) => [
    index('fraud_activity_user_idx').on(t.userId, t.at),
    index('fraud_activity_pair_idx').on(t.userId, t.counterpartyId, t.variantId, t.at),
    index('fraud_activity_price_idx')
      .on(t.variantId, t.at)
      .where(sql`${t.price} IS NOT NULL`),
  ],
);

/** A rule matched on one trade; raised once per rule and reference, resolved by staff. */
export const fraudFlags = pgTable(
  'fraud_flags',
  {
    id: uuid('id').primaryKey(),
    rule: text('rule').$type<FraudRule>().notNull(),
    severity: text('severity').$type<Severity>().notNull(),
    userIds: uuid('user_ids').array().notNull(),
    variantId: uuid('variant_id'),
    reference: text('reference').notNull(),
    details: jsonb('details').$type<Record<string, unknown>>().notNull(),
    status: text('status').$type<FlagStatus>().notNull().default('open'),
    createdAt: at('created_at').notNull().defaultNow(),
    resolvedAt: at('resolved_at'),
    resolvedBy: uuid('resolved_by'),
    outcome: text('outcome').$type<FlagOutcome>(),
    note: text('note'),
  },
  (t) => [
    uniqueIndex('fraud_flags_rule_reference_key').on(t.rule, t.reference),
    index('fraud_flags_status_idx').on(t.status, t.id),
    index('fraud_flags_users_idx').using('gin', t.userIds),
    check('fraud_flags_severity', sql`${t.severity} IN ('low', 'high')`),
    check('fraud_flags_status', sql`${t.status} IN ('open', 'resolved')`),
    check(
      'fraud_flags_resolution',
      sql`(${t.status} = 'open' AND ${t.resolvedAt} IS NULL AND ${t.outcome} IS NULL)
        OR (${t.status} = 'resolved' AND ${t.resolvedAt} IS NOT NULL AND ${t.outcome} IN ('dismissed', 'confirmed'))`,
    ),
  ],
);

/** One held amount of an asset, as stored (decimal string: JSON has no bigint). */
export interface StoredAmount {
  asset: string;
  amount: string;
}

/**
 * Items a user received in a flagged trade, moved from their wallet into an escrow account of
 * theirs until `releaseAt` (or until staff dismiss the flag).
 */
export const fraudHolds = pgTable(
  'fraud_holds',
  {
    id: uuid('id').primaryKey(),
    flagId: uuid('flag_id')
      .notNull()
      .references(() => fraudFlags.id),
    userId: uuid('user_id').notNull(),
    reference: text('reference').notNull(),
    escrowAccountId: uuid('escrow_account_id').notNull(),
    amounts: jsonb('amounts').$type<StoredAmount[]>().notNull(),
    reason: text('reason').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    releaseAt: at('release_at').notNull(),
    releasedAt: at('released_at'),
  },
  (t) => [
    index('fraud_holds_reference_idx').on(t.reference),
    index('fraud_holds_flag_idx').on(t.flagId),
    index('fraud_holds_due_idx')
      .on(t.releaseAt)
      .where(sql`${t.releasedAt} IS NULL`),
  ],
);

export type ActivityRow = typeof fraudActivity.$inferSelect;
export type FlagRow = typeof fraudFlags.$inferSelect;
export type HoldRow = typeof fraudHolds.$inferSelect;
