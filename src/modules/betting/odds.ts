/*
 * Odds and payout arithmetic, with no I/O. Money is integer minor units (bigint); odds are decimal
 * odds × 1000 (`2500` = 2.5, a winning stake of 100 returns 250); probabilities are parts per
 * million; margins are basis points.
 */

export const ODDS_SCALE = 1000n;
/** Lowest decimal odds ever offered (1.01): a winning bet always returns more than its stake. */
export const MIN_ODDS_MILLI = 1010;
/** Highest decimal odds offered (1000.00). */
export const MAX_ODDS_MILLI = 1_000_000;
const PPM = 1_000_000;
const BPS = 10_000;

export interface FixedOutcomeState {
  /** The house's fair probability of the outcome, parts per million. */
  probabilityPpm: number;
  /** What the house would pay if this outcome wins (stake included). */
  liability: bigint;
}

/**
 * Fixed odds of every outcome: the fair probabilities are scaled so they add up to
 * 1 + overround (the house margin), then each outcome's price shortens as its liability builds: its
 * probability is raised by up to `maxShiftBps` in proportion to liability / `liabilityCap`. Odds
 * are rounded down to the 0.01 step and kept within [1.01, 1000].
 */
export function fixedOdds(
  outcomes: readonly FixedOutcomeState[],
  overroundBps: number,
  liabilityCap: bigint,
  maxShiftBps = 3000,
): number[] {
  const fairTotal = outcomes.reduce((s, o) => s + o.probabilityPpm, 0);
  if (fairTotal <= 0) return outcomes.map(() => MAX_ODDS_MILLI);
  return outcomes.map((o) => {
    const ratio = liabilityCap > 0n ? Math.min(1, Number(o.liability) / Number(liabilityCap)) : 0;
    const shift = 1 + (ratio * maxShiftBps) / BPS;
    const p = (o.probabilityPpm / fairTotal) * (1 + overroundBps / BPS) * shift;
    if (p <= 0) return MAX_ODDS_MILLI;
    const odds = Math.floor(1 / p / 0.01) * 10;
    return Math.min(MAX_ODDS_MILLI, Math.max(MIN_ODDS_MILLI, odds));
  });
}

/** The overround a set of odds carries, in basis points: (Σ 1/odds − 1) × 10 000, rounded. */
export function overroundOf(oddsMilli: readonly number[]): number {
  const book = oddsMilli.reduce((s, o) => s + 1000 / o, 0);
  return Math.round((book - 1) * BPS);
}

/** What a fixed-odds winner is paid, stake included: stake × odds, rounded down to the minor unit. */
export function fixedPayout(stake: bigint, oddsMilli: number): bigint {
  return (stake * BigInt(oddsMilli)) / ODDS_SCALE;
}

/**
 * The indicative parimutuel odds of each outcome if the pool closed now: (pool − takeout) / the
 * outcome's pool; null for an outcome nobody backed yet.
 */
export function parimutuelOdds(pools: readonly bigint[], takeoutBps: number): (number | null)[] {
  const total = pools.reduce((s, p) => s + p, 0n);
  const net = total - takeoutOf(total, takeoutBps);
  return pools.map((p) => (p > 0n ? Number((net * ODDS_SCALE) / p) : null));
}

/** The takeout of a pool: total × bps / 10 000, rounded down. */
export function takeoutOf(total: bigint, takeoutBps: number): bigint {
  return (total * BigInt(takeoutBps)) / BigInt(BPS);
}

export interface ParimutuelResult {
  /** Each bet's payout, in the order given; refunds when nobody backed the winner. */
  payouts: bigint[];
  /** Kept by the platform: the takeout plus the rounding remainder. */
  takeout: bigint;
  /** The rounding remainder included in `takeout`. */
  remainder: bigint;
  /** True when nobody backed the winning outcome and every stake is returned. */
  refunded: boolean;
}

/**
 * Parimutuel settlement. With T the pool, W the stakes on the winner and D = T − takeout, each
 * winning bet receives ⌊stake × D / W⌋. The rounding remainder D − Σ payouts (less than one
 * minor unit per winning bet) goes with the takeout, so payouts + takeout = T exactly. When W = 0
 * every bet is refunded in full and nothing is kept.
 */
export function parimutuelPayouts(
  bets: readonly { stake: bigint; winner: boolean }[],
  takeoutBps: number,
): ParimutuelResult {
  const total = bets.reduce((s, b) => s + b.stake, 0n);
  const winning = bets.reduce((s, b) => s + (b.winner ? b.stake : 0n), 0n);
  if (winning === 0n) return { payouts: bets.map((b) => b.stake), takeout: 0n, remainder: 0n, refunded: true };
  const takeout = takeoutOf(total, takeoutBps);
  const distributable = total - takeout;
  const payouts = bets.map((b) => (b.winner ? (b.stake * distributable) / winning : 0n));
  const remainder = distributable - payouts.reduce((s, p) => s + p, 0n);
  return { payouts, takeout: takeout + remainder, remainder, refunded: false };
}

/** One winning bet's parimutuel payout given the closed pool's totals (as in `parimutuelPayouts`). */
export function parimutuelShare(stake: bigint, total: bigint, winning: bigint, takeoutBps: number): bigint {
  if (winning === 0n) return stake;
  return (stake * (total - takeoutOf(total, takeoutBps))) / winning;
}

/**
 * Whether odds the user saw still stand: current odds at least as good are always accepted; worse
 * ones only within `toleranceBps` of what was seen.
 */
export function oddsAcceptable(seenMilli: number, currentMilli: number, toleranceBps: number): boolean {
  if (currentMilli >= seenMilli) return true;
  return (seenMilli - currentMilli) * BPS <= seenMilli * toleranceBps;
}

/** The house's worst case over outcomes for fixed odds: the largest liability less all stakes taken. */
export function fixedExposure(liabilities: readonly bigint[], totalStaked: bigint): bigint {
  const worst = liabilities.reduce((m, l) => (l > m ? l : m), 0n);
  return worst > totalStaked ? worst - totalStaked : 0n;
}

/** Fair probabilities in ppm from what an operator enters (any positive weights). */
export function normalisePpm(weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => Math.round((w / total) * PPM));
}
