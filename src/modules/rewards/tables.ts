import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import type { Rule } from './rules.ts';

const at = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

/** `auto`: the reward is paid when the achievement completes; `claim`: the user claims it. */
export const PAYOUTS = ['auto', 'claim'] as const;
export type Payout = (typeof PAYOUTS)[number];

/** What completing an achievement pays, from the rewards account (all optional, zero = nothing). */
export interface RewardSpec {
  /** Coins in minor units. */
  coins?: number;
  points?: number;
  /** Sealed packs of this pack product (only when the cards module can grant one). */
  packId?: string;
  packs?: number;
}

/**
 * The catalogue: every achievement earns the badge of the same code when its rule is met.
 * `backfilled_rule` is the rule last evaluated over the stored facts: when it differs from `rule`
 * (a new entry, or a changed rule) the backfill job awards everyone who already qualifies.
 */
export const rewardsAchievements = pgTable('rewards_achievements', {
  code: text('code').primaryKey(),
  name: text('name').notNull(),
  description: text('description').notNull(),
  rule: jsonb('rule').$type<Rule>().notNull(),
  reward: jsonb('reward').$type<RewardSpec>().notNull().default({}),
  payout: text('payout', { enum: PAYOUTS }).notNull().default('auto'),
  position: integer('position').notNull().default(0),
  backfilledRule: jsonb('backfilled_rule').$type<Rule>(),
  createdAt: at('created_at').notNull().defaultNow(),
});

/**
 * One domain event as it concerns one user: the stored history every rule is evaluated over.
 * The primary key makes recording idempotent per (user, event): a redelivered event adds nothing.
 */
export const rewardsFacts = pgTable(
  'rewards_facts',
  {
    userId: uuid('user_id').notNull(),
    eventId: text('event_id').notNull(),
    type: text('type').notNull(),
    /** Attributes rules may filter on or count distinct values of. */
    attrs: jsonb('attrs').$type<Record<string, string | number | boolean>>().notNull().default({}),
    /** The UTC day the fact belongs to (streak rules). */
    day: date('day', { mode: 'string' }).notNull(),
    occurredAt: at('occurred_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.eventId, t.type] }),
    index('rewards_facts_type_user_idx').on(t.type, t.userId),
  ],
);

/** A user's progress on an achievement, recomputed from the facts (so order does not matter). */
export const rewardsProgress = pgTable(
  'rewards_progress',
  {
    userId: uuid('user_id').notNull(),
    code: text('code')
      .notNull()
      .references(() => rewardsAchievements.code, { onDelete: 'cascade' }),
    progress: integer('progress').notNull().default(0),
    completedAt: at('completed_at'),
    /** The ledger transfer that paid the reward (set once; the ledger refuses a second one). */
    paidTransferId: uuid('paid_transfer_id'),
    paidAt: at('paid_at'),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.code] }),
    index('rewards_progress_code_idx').on(t.code, t.completedAt),
    check('rewards_progress_nonneg', sql`${t.progress} >= 0`),
  ],
);

/** Daily check-ins: one row per user and UTC day. */
export const rewardsCheckins = pgTable(
  'rewards_checkins',
  {
    userId: uuid('user_id').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    streak: integer('streak').notNull(),
    points: amount('points').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day] })],
);

/** Every reward the rewards account paid a user, with the ledger transfer that moved it. */
export const rewardsPayouts = pgTable(
  'rewards_payouts',
  {
    transferId: uuid('transfer_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    /** `achievement:<code>` or `checkin:<day>`. */
    source: text('source').notNull(),
    points: amount('points').notNull(),
    coins: amount('coins').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('rewards_payouts_user_idx').on(t.userId, t.createdAt)],
);

export type AchievementRow = typeof rewardsAchievements.$inferSelect;
export type ProgressRow = typeof rewardsProgress.$inferSelect;
export type FactRow = typeof rewardsFacts.$inferSelect;
