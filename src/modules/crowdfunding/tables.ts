import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

/**
 * A campaign's life: `pending_approval` (when admins review new campaigns) → `live` (or
 * `rejected`); at the deadline `live` → `collecting` (goal reached: rewards are delivered, then the
 * creator is paid) → `funded`, or `live` → `refunding` (goal missed: every pledge is refunded) →
 * `failed`. The two middle states are the settlement's resumable checkpoints.
 */
export const CAMPAIGN_STATES = [
  'pending_approval',
  'live',
  'rejected',
  'collecting',
  'refunding',
  'funded',
  'failed',
] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];

/** `active` until the deadline; then `collected` (success) or `refunded` (failure); `cancelled` by the backer. */
export const PLEDGE_STATUSES = ['active', 'cancelled', 'collected', 'refunded'] as const;
export type PledgeStatus = (typeof PLEDGE_STATUSES)[number];

/** Cards one unit of a tier gives its backer (moved into the campaign escrow at creation). */
export interface TierCard {
  variantId: string;
  asset: string;
  copies: number;
}

/**
 * A crowdfunding campaign. Pledges sit in the campaign's ledger escrow account (`escrow_account_id`)
 * until the deadline; `pledged` is the sum of active pledges, kept with them in one transaction.
 */
export const crowdfundingCampaigns = pgTable(
  'crowdfunding_campaigns',
  {
    id: uuid('id').primaryKey(),
    creatorId: uuid('creator_id').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull(),
    goal: amount('goal').notNull(),
    pledged: amount('pledged')
      .notNull()
      .default(sql`0`),
    deadline: at('deadline').notNull(),
    state: text('state', { enum: CAMPAIGN_STATES }).notNull(),
    escrowAccountId: uuid('escrow_account_id').notNull(),
    /** The platform's fee taken at payout, and what the creator received (set when funded). */
    fee: amount('fee'),
    payout: amount('payout'),
    rejectReason: text('reject_reason'),
    reviewedBy: uuid('reviewed_by'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
    settledAt: at('settled_at'),
  },
  (t) => [
    index('crowdfunding_campaigns_state_deadline_idx').on(t.state, t.deadline, t.id),
    index('crowdfunding_campaigns_state_pledged_idx').on(t.state, t.pledged, t.id),
    index('crowdfunding_campaigns_creator_idx').on(t.creatorId, t.id),
    check('crowdfunding_campaigns_goal', sql`${t.goal} > 0`),
    check('crowdfunding_campaigns_pledged', sql`${t.pledged} >= 0`),
  ],
);

/**
 * A reward tier: a minimum pledge, a limited number of units (`claimed` never passes `quantity`:
 * the claim is a conditional update and the CHECK backs it), a perk text and optional cards.
 */
export const crowdfundingTiers = pgTable(
  'crowdfunding_tiers',
  {
    id: uuid('id').primaryKey(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => crowdfundingCampaigns.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    title: text('title').notNull(),
    description: text('description').notNull(),
    minPledge: amount('min_pledge').notNull(),
    quantity: integer('quantity').notNull(),
    claimed: integer('claimed').notNull().default(0),
    cards: jsonb('cards').$type<TierCard[]>().notNull().default([]),
  },
  (t) => [
    index('crowdfunding_tiers_campaign_idx').on(t.campaignId, t.position),
    check('crowdfunding_tiers_claimed', sql`${t.claimed} >= 0 AND ${t.claimed} <= ${t.quantity}`),
    check('crowdfunding_tiers_min_pledge', sql`${t.minPledge} > 0`),
  ],
);

/** One pledge of a backer to a campaign, optionally for a tier (holding one of its units). */
export const crowdfundingPledges = pgTable(
  'crowdfunding_pledges',
  {
    id: uuid('id').primaryKey(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => crowdfundingCampaigns.id),
    backerId: uuid('backer_id').notNull(),
    tierId: uuid('tier_id').references(() => crowdfundingTiers.id),
    amount: amount('amount').notNull(),
    status: text('status', { enum: PLEDGE_STATUSES }).notNull().default('active'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('crowdfunding_pledges_campaign_idx').on(t.campaignId, t.status, t.id),
    index('crowdfunding_pledges_backer_idx').on(t.backerId, t.id),
    check('crowdfunding_pledges_amount', sql`${t.amount} > 0`),
  ],
);

/** A creator's news post on their campaign. */
export const crowdfundingUpdates = pgTable(
  'crowdfunding_updates',
  {
    id: uuid('id').primaryKey(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => crowdfundingCampaigns.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('crowdfunding_updates_campaign_idx').on(t.campaignId, t.id)],
);

export type CampaignRow = typeof crowdfundingCampaigns.$inferSelect;
export type TierRow = typeof crowdfundingTiers.$inferSelect;
export type PledgeRow = typeof crowdfundingPledges.$inferSelect;
export type UpdateRow = typeof crowdfundingUpdates.$inferSelect;
