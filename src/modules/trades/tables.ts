import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** One side of an offer as stored: quantities and coins as decimal strings (JSON has no bigint). */
export interface StoredItems {
  cards: { variantId: string; quantity: string }[];
  coins: string;
}

export const OFFER_STATUSES = ['open', 'accepted', 'declined', 'cancelled', 'expired', 'countered'] as const;
export type OfferStatus = (typeof OFFER_STATUSES)[number];

/** Trade offers between two users. Ids are UUIDv7, so they sort by creation time. */
export const tradeOffers = pgTable(
  'trade_offers',
  {
    id: uuid('id').primaryKey(),
    proposerId: uuid('proposer_id').notNull(),
    recipientId: uuid('recipient_id').notNull(),
    offered: jsonb('offered').$type<StoredItems>().notNull(),
    requested: jsonb('requested').$type<StoredItems>().notNull(),
    message: text('message'),
    status: text('status').$type<OfferStatus>().notNull().default('open'),
    escrowAccountId: uuid('escrow_account_id').notNull(),
    /** The offer this one counters, if any. */
    replacesId: uuid('replaces_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    check('trade_offers_not_self', sql`${t.proposerId} <> ${t.recipientId}`),
    index('trade_offers_proposer_idx').on(t.proposerId, t.status, t.id),
    index('trade_offers_recipient_idx').on(t.recipientId, t.status, t.id),
    index('trade_offers_due_idx')
      .on(t.expiresAt)
      .where(sql`${t.status} = 'open'`),
  ],
);

export type OfferRow = typeof tradeOffers.$inferSelect;
