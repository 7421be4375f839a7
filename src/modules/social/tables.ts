import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });

/** What a profile adds to the account: the cards its owner shows off (variant ids, in order). */
export const socialProfiles = pgTable('social_profiles', {
  userId: uuid('user_id').primaryKey(),
  showcase: jsonb('showcase').$type<string[]>().notNull().default([]),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

/**
 * The matcher's index of tradeable duplicates: per user and variant, the copies in the wallet beyond
 * the first (escrowed or pending copies are not in the wallet's available balance, so never here).
 * Rebuilt from the ledger for each user whose holdings changed; the ledger stays the truth and every
 * suggestion is checked against it before it is shown.
 */
export const socialSpares = pgTable(
  'social_spares',
  {
    userId: uuid('user_id').notNull(),
    variantId: uuid('variant_id').notNull(),
    cardId: uuid('card_id').notNull(),
    level: smallint('level').notNull(),
    spare: bigint('spare', { mode: 'bigint' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.variantId] }),
    // Covering: the matcher's per-card range scans read only this index (variant and count included).
    index('social_spares_card_idx').on(t.cardId, t.level, t.userId, t.variantId, t.spare),
    check('social_spares_positive', sql`${t.spare} > 0`),
  ],
);

/** One swap line: copies of a variant. */
export interface SwapLine {
  variantId: string;
  cardId: string;
  quantity: number;
  price: string;
}

/**
 * A stored match of `user_id` with `partner_id` (both directions are stored, mirrored): what the
 * user would give and get, how many wishes each side covers and the swap's catalogue value.
 */
export const socialMatches = pgTable(
  'social_matches',
  {
    userId: uuid('user_id').notNull(),
    partnerId: uuid('partner_id').notNull(),
    mutual: integer('mutual').notNull(),
    coverage: integer('coverage').notNull(),
    value: bigint('value', { mode: 'bigint' }).notNull(),
    give: jsonb('give').$type<SwapLine[]>().notNull(),
    get: jsonb('get').$type<SwapLine[]>().notNull(),
    computedAt: at('computed_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.partnerId] }),
    index('social_matches_rank_idx').on(t.userId, t.mutual, t.coverage, t.value, t.partnerId),
    index('social_matches_partner_idx').on(t.partnerId),
  ],
);

/** Users whose holdings or wishlist changed since their matches were computed. */
export const socialDirty = pgTable('social_dirty', {
  userId: uuid('user_id').primaryKey(),
  markedAt: at('marked_at').notNull().defaultNow(),
});

/** How far the matcher has read the ledger's entries (one row, `name = 'ledger'`). */
export const socialCursors = pgTable('social_cursors', {
  name: text('name').primaryKey(),
  position: bigint('position', { mode: 'bigint' }).notNull(),
});

/** A direct message. `pair_low`/`pair_high` name the conversation whatever its direction. */
export const socialMessages = pgTable(
  'social_messages',
  {
    id: uuid('id').primaryKey(),
    senderId: uuid('sender_id').notNull(),
    recipientId: uuid('recipient_id').notNull(),
    pairLow: uuid('pair_low').notNull(),
    pairHigh: uuid('pair_high').notNull(),
    body: text('body').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    readAt: at('read_at'),
  },
  (t) => [
    index('social_messages_pair_idx').on(t.pairLow, t.pairHigh, t.id),
    index('social_messages_sender_idx').on(t.senderId, t.id),
    index('social_messages_recipient_idx').on(t.recipientId, t.id),
    index('social_messages_unread_idx')
      .on(t.recipientId, t.senderId)
      .where(sql`${t.readAt} IS NULL`),
    check('social_messages_pair', sql`${t.pairLow} < ${t.pairHigh}`),
  ],
);

export const MESSAGE_REPORT_STATUSES = ['open', 'upheld', 'dismissed'] as const;

/** A recipient's report of a message, for the moderators. */
export const socialMessageReports = pgTable(
  'social_message_reports',
  {
    id: uuid('id').primaryKey(),
    messageId: uuid('message_id')
      .notNull()
      .references(() => socialMessages.id),
    reporterId: uuid('reporter_id').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: MESSAGE_REPORT_STATUSES }).notNull().default('open'),
    resolvedBy: uuid('resolved_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    resolvedAt: at('resolved_at'),
  },
  (t) => [
    uniqueIndex('social_message_reports_key').on(t.messageId, t.reporterId),
    index('social_message_reports_status_idx').on(t.status, t.id),
  ],
);

export type MessageRow = typeof socialMessages.$inferSelect;
export type MessageReportRow = typeof socialMessageReports.$inferSelect;
export type MatchRow = typeof socialMatches.$inferSelect;
