import type { FraudRule, Severity } from './tables.ts';

/*
 * The fraud screens as pure functions: the service gathers the facts of one trade (an exchange fill
 * or an accepted offer between users) and this module decides which rules match, how severe each
 * match is, and whose received items to hold. No I/O here.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Thresholds of every rule. Amounts are coin minor units; factors are plain multiples.
 *
 * - Wash trading: the same two users traded the same card variant at least `washMinTrades` times
 *   within `washWindowMs`, in both directions (a round trip). From `washSevereTrades` trades the
 *   match is severe and both sides' receipts of the trade are held.
 * - New-account gift: one side receives at least `giftRatio` times the value it gives and the
 *   excess is at least `giftMinValue`, while either party's account is younger than
 *   `giftMaxAccountAgeMs`. Always severe: the receiver's items are held. Cards are valued at the
 *   variant's last exchange price, else its catalogue price; coins at face value.
 * - Trade velocity: a user took part in more than `velocityMaxTrades` trades within
 *   `velocityWindowMs`. Never severe on its own.
 * - Price far from the reference: an exchange fill priced at least `priceFactor` times above or
 *   below the variant's previous trade. From `priceSevereFactor` it is severe and the side that
 *   gained (the seller of an overpriced fill, the buyer of an underpriced one) is held.
 * - Holds last `holdMs` unless staff dismiss the flag earlier.
 */
export interface FraudSettings {
  washWindowMs: number;
  washMinTrades: number;
  washSevereTrades: number;
  giftMaxAccountAgeMs: number;
  giftMinValue: bigint;
  giftRatio: number;
  velocityWindowMs: number;
  velocityMaxTrades: number;
  priceFactor: number;
  priceSevereFactor: number;
  holdMs: number;
}

export const DEFAULT_FRAUD_SETTINGS: Readonly<FraudSettings> = Object.freeze({
  washWindowMs: DAY,
  washMinTrades: 3,
  washSevereTrades: 6,
  giftMaxAccountAgeMs: 7 * DAY,
  giftMinValue: 50_000n,
  giftRatio: 4,
  velocityWindowMs: 10 * MINUTE,
  velocityMaxTrades: 30,
  priceFactor: 3,
  priceSevereFactor: 5,
  holdMs: 72 * HOUR,
});

/** An amount of one ledger asset. */
export interface AssetAmount {
  asset: string;
  amount: bigint;
}

export type PartyRole = 'buyer' | 'seller' | 'proposer' | 'recipient';

/** One side of the trade being screened. */
export interface PartyFacts {
  userId: string;
  role: PartyRole;
  /** When the account was created; null when unknown (treated as old). */
  accountCreatedAt: Date | null;
  /** Value (coin minor units) of what this side received and what it gave in this trade. */
  receivedValue: bigint;
  givenValue: bigint;
  /** What this side received in this trade: what a hold would move. */
  received: AssetAmount[];
  /** Trades this user took part in within the velocity window, this one included. */
  recentTrades: number;
}

/** Trades between the two parties on one variant within the wash window, this one included. */
export interface PairHistory {
  variantId: string;
  trades: number;
  /** Whether the variant moved both ways between them. */
  bothDirections: boolean;
}

export interface TradeFacts {
  kind: 'fill' | 'offer';
  /** `market.trade:<id>` or `trade.offer:<id>`. */
  reference: string;
  at: Date;
  /** The variant an exchange fill traded; null for trades between users. */
  variantId: string | null;
  /** Price per copy of an exchange fill. */
  price: bigint | null;
  /** The variant's previous exchange trade price, when there is one. */
  referencePrice: bigint | null;
  parties: [PartyFacts, PartyFacts];
  pairHistory: PairHistory[];
}

export interface RuleMatch {
  rule: FraudRule;
  severity: Severity;
  userIds: string[];
  variantId: string | null;
  details: Record<string, unknown>;
  /** Users whose receipts of this trade are to be held (only for severe matches). */
  holdUserIds: string[];
}

/** Why items are held, as told to the user. */
export const HOLD_REASONS: Record<FraudRule, string> = {
  wash_trading: 'Repeated back-and-forth trading of the same card with the same user',
  new_account_gift: 'A high-value transfer involving a newly created account',
  trade_velocity: 'An unusually high number of trades in a short time',
  price_far_from_reference: 'A trade priced far from the card’s market price',
};

/** `a >= b × factor` for a non-negative factor, exact to a hundredth. */
function atLeastTimes(a: bigint, b: bigint, factor: number): boolean {
  return a * 100n >= b * BigInt(Math.round(factor * 100));
}

function washMatch(facts: TradeFacts, s: FraudSettings): RuleMatch | null {
  const hits = facts.pairHistory.filter((h) => h.bothDirections && h.trades >= s.washMinTrades);
  if (hits.length === 0) return null;
  const worst = hits.reduce((a, b) => (b.trades > a.trades ? b : a));
  const severe = worst.trades >= s.washSevereTrades;
  const ids = facts.parties.map((p) => p.userId);
  return {
    rule: 'wash_trading',
    severity: severe ? 'high' : 'low',
    userIds: ids,
    variantId: worst.variantId,
    details: {
      trades: worst.trades,
      windowHours: s.washWindowMs / HOUR,
      variants: hits.map((h) => ({ variantId: h.variantId, trades: h.trades })),
    },
    holdUserIds: severe ? ids : [],
  };
}

function isYoung(p: PartyFacts, at: Date, s: FraudSettings): boolean {
  return p.accountCreatedAt !== null && at.getTime() - p.accountCreatedAt.getTime() < s.giftMaxAccountAgeMs;
}

function giftMatch(facts: TradeFacts, s: FraudSettings): RuleMatch | null {
  const young = facts.parties.filter((p) => isYoung(p, facts.at, s));
  if (young.length === 0) return null;
  const receiver = facts.parties.find(
    (p) => p.receivedValue - p.givenValue >= s.giftMinValue && atLeastTimes(p.receivedValue, p.givenValue, s.giftRatio),
  );
  if (!receiver) return null;
  return {
    rule: 'new_account_gift',
    severity: 'high',
    userIds: facts.parties.map((p) => p.userId),
    variantId: facts.variantId,
    details: {
      receiverId: receiver.userId,
      receivedValue: Number(receiver.receivedValue),
      givenValue: Number(receiver.givenValue),
      newAccounts: young.map((p) => p.userId),
    },
    holdUserIds: [receiver.userId],
  };
}

function velocityMatch(facts: TradeFacts, s: FraudSettings): RuleMatch | null {
  const fast = facts.parties.filter((p) => p.recentTrades > s.velocityMaxTrades);
  if (fast.length === 0) return null;
  return {
    rule: 'trade_velocity',
    severity: 'low',
    userIds: fast.map((p) => p.userId),
    variantId: facts.variantId,
    details: {
      trades: Object.fromEntries(fast.map((p) => [p.userId, p.recentTrades])),
      windowMinutes: s.velocityWindowMs / MINUTE,
    },
    holdUserIds: [],
  };
}

function priceMatch(facts: TradeFacts, s: FraudSettings): RuleMatch | null {
  const { price, referencePrice: ref } = facts;
  if (facts.kind !== 'fill' || price === null || ref === null || price <= 0n || ref <= 0n) return null;
  const above = price > ref;
  const [hi, lo] = above ? [price, ref] : [ref, price];
  if (!atLeastTimes(hi, lo, s.priceFactor)) return null;
  const severe = atLeastTimes(hi, lo, s.priceSevereFactor);
  // The side that gained: the seller of an overpriced fill, the buyer of an underpriced one.
  const gainer = facts.parties.find((p) => p.role === (above ? 'seller' : 'buyer'));
  return {
    rule: 'price_far_from_reference',
    severity: severe ? 'high' : 'low',
    userIds: facts.parties.map((p) => p.userId),
    variantId: facts.variantId,
    details: { price: Number(price), referencePrice: Number(ref), ratio: Number(hi) / Number(lo) },
    holdUserIds: severe && gainer ? [gainer.userId] : [],
  };
}

/** Every rule that matches the trade, at most one match per rule. */
export function evaluate(facts: TradeFacts, settings: FraudSettings = DEFAULT_FRAUD_SETTINGS): RuleMatch[] {
  return [washMatch, giftMatch, velocityMatch, priceMatch]
    .map((rule) => rule(facts, settings))
    .filter((m): m is RuleMatch => m !== null);
}
