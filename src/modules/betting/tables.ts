import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

export const EVENT_KINDS = ['admin', 'card_price'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
export const MARKET_TYPES = ['parimutuel', 'fixed'] as const;
export type MarketType = (typeof MARKET_TYPES)[number];
/**
 * open → (suspended ↔ open) → settling → settled (→ settling again on a correction);
 * open/suspended → voiding → void. Only `open` takes bets.
 */
export const MARKET_STATUSES = ['open', 'suspended', 'settling', 'settled', 'voiding', 'void'] as const;
export type MarketStatus = (typeof MARKET_STATUSES)[number];
export const BET_STATUSES = ['open', 'won', 'lost', 'void', 'cancelled'] as const;
export type BetStatus = (typeof BET_STATUSES)[number];

/** Something to bet on: created by an operator, or a card-price question settled from candles. */
export const bettingEvents = pgTable(
  'betting_events',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: EVENT_KINDS }).notNull(),
    title: text('title').notNull(),
    description: text('description').notNull().default(''),
    /** Betting opens at this time. */
    opensAt: at('opens_at').notNull(),
    /** Betting closes when the event starts. */
    startsAt: at('starts_at').notNull(),
    createdBy: uuid('created_by'),
    // Card-price events: "variant's 1d close on `priceDate` is above `threshold`".
    variantId: uuid('variant_id'),
    threshold: amount('threshold'),
    priceDate: at('price_date'),
    /** The rule and the data used to settle (card-price events: the candle). */
    settlement: jsonb('settlement'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('betting_events_starts_idx').on(t.startsAt),
    check(
      'betting_events_price_shape',
      sql`${t.kind} <> 'card_price' OR (${t.variantId} IS NOT NULL AND ${t.threshold} > 0 AND ${t.priceDate} IS NOT NULL)`,
    ),
    check('betting_events_window', sql`${t.opensAt} <= ${t.startsAt}`),
  ],
);

/** One way of betting on an event, with its own pool or book, escrow account and risk limits. */
export const bettingMarkets = pgTable(
  'betting_markets',
  {
    id: uuid('id').primaryKey(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => bettingEvents.id),
    type: text('type', { enum: MARKET_TYPES }).notNull(),
    name: text('name').notNull(),
    status: text('status', { enum: MARKET_STATUSES }).notNull().default('open'),
    /** Parimutuel: the share of the pool kept as takeout, in basis points. */
    takeoutBps: integer('takeout_bps').notNull().default(0),
    /** Fixed odds: the house margin built into the prices, in basis points. */
    overroundBps: integer('overround_bps').notNull().default(0),
    escrowId: uuid('escrow_id').notNull(),
    minStake: amount('min_stake').notNull(),
    maxStake: amount('max_stake').notNull(),
    maxPayout: amount('max_payout').notNull(),
    /** Most one user may stand to win (fixed) or have staked (parimutuel) on this market. */
    userLiabilityCap: amount('user_liability_cap').notNull(),
    /** Most the house may owe on one outcome (fixed odds). */
    outcomeLiabilityCap: amount('outcome_liability_cap').notNull(),
    /** The market suspends itself when its exposure passes this. */
    suspendExposure: amount('suspend_exposure').notNull(),
    /** Fixed: the house's worst-case loss over outcomes; parimutuel: the pool. */
    exposure: amount('exposure')
      .notNull()
      .default(sql`0`),
    totalStaked: amount('total_staked')
      .notNull()
      .default(sql`0`),
    winningOutcomeId: uuid('winning_outcome_id'),
    /** Settlement round: bets with `settled_round` below it still need processing. */
    round: integer('round').notNull().default(0),
    suspendReason: text('suspend_reason'),
    settledAt: at('settled_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('betting_markets_event_idx').on(t.eventId),
    index('betting_markets_pending_idx')
      .on(t.status)
      .where(sql`${t.status} IN ('settling', 'voiding')`),
    check('betting_markets_bps', sql`${t.takeoutBps} BETWEEN 0 AND 5000 AND ${t.overroundBps} BETWEEN 0 AND 5000`),
    check('betting_markets_stakes', sql`${t.minStake} > 0 AND ${t.maxStake} >= ${t.minStake}`),
  ],
);

/** The possible results of a market, in display order, with their stakes and (fixed odds) liability. */
export const bettingOutcomes = pgTable(
  'betting_outcomes',
  {
    id: uuid('id').primaryKey(),
    marketId: uuid('market_id')
      .notNull()
      .references(() => bettingMarkets.id),
    label: text('label').notNull(),
    position: integer('position').notNull(),
    /** Fixed odds: the house's fair probability, parts per million. */
    probabilityPpm: integer('probability_ppm').notNull().default(0),
    /** Sum of stakes on this outcome (the parimutuel pool of the outcome). */
    staked: amount('staked')
      .notNull()
      .default(sql`0`),
    /** Fixed odds: what winning bets on this outcome would be paid. */
    liability: amount('liability')
      .notNull()
      .default(sql`0`),
  },
  (t) => [uniqueIndex('betting_outcomes_position_key').on(t.marketId, t.position)],
);

/** A user's stake on one outcome; the stake sits in the market's escrow until settlement pays or refunds it. */
export const bettingBets = pgTable(
  'betting_bets',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    eventId: uuid('event_id').notNull(),
    marketId: uuid('market_id')
      .notNull()
      .references(() => bettingMarkets.id),
    outcomeId: uuid('outcome_id')
      .notNull()
      .references(() => bettingOutcomes.id),
    stake: amount('stake').notNull(),
    /** Decimal odds × 1000 taken (fixed) or shown at placement (parimutuel, indicative). */
    oddsMilli: integer('odds_milli'),
    /** Fixed odds: stake × odds, fixed at placement. */
    potentialPayout: amount('potential_payout'),
    status: text('status', { enum: BET_STATUSES }).notNull().default('open'),
    payout: amount('payout')
      .notNull()
      .default(sql`0`),
    settledRound: integer('settled_round').notNull().default(0),
    settledAt: at('settled_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('betting_bets_user_idx').on(t.userId, t.id),
    index('betting_bets_market_idx').on(t.marketId, t.settledRound),
    check('betting_bets_stake_positive', sql`${t.stake} > 0`),
    check('betting_bets_payout_non_negative', sql`${t.payout} >= 0`),
  ],
);

/** Responsible play: one row per user who set anything. */
export const bettingProfiles = pgTable('betting_profiles', {
  userId: uuid('user_id').primaryKey(),
  ageConfirmedAt: at('age_confirmed_at'),
  /** The limits in force: `{ deposit: { day, week, month }, loss: { … } }`, minor units as strings. */
  limits: jsonb('limits').notNull().default({}),
  /** Raised or removed limits waiting for `pendingFrom`. */
  pendingLimits: jsonb('pending_limits'),
  pendingFrom: at('pending_from'),
  coolOffUntil: at('cool_off_until'),
  excludedUntil: at('excluded_until'),
  updatedAt: at('updated_at').notNull().defaultNow(),
});

export type EventRow = typeof bettingEvents.$inferSelect;
export type MarketRow = typeof bettingMarkets.$inferSelect;
export type OutcomeRow = typeof bettingOutcomes.$inferSelect;
export type BetRow = typeof bettingBets.$inferSelect;
export type ProfileRow = typeof bettingProfiles.$inferSelect;
