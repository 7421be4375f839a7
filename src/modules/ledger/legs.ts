/**
 * The arithmetic of the ledger, without I/O: which balances a transfer touches, in which order they
 * are locked, and what each phase does to them. Property tests drive these functions directly.
 */
import { NON_TRANSFERABLE_ASSETS, isSystemAccountId } from './accounts.ts';

export interface Leg {
  from: string;
  to: string;
  asset: string;
  amount: bigint;
}

export interface BalanceKey {
  accountId: string;
  asset: string;
}

export interface BalanceState {
  available: bigint;
  held: bigint;
  mayGoNegative: boolean;
}

/**
 * `posted`: applied at once. `pending`: the amount leaves `from`'s available balance into its held
 * balance. `post`/`void`: a pending transfer's held amount moves on to `to`, or back to `from`.
 */
export type Phase = 'posted' | 'pending' | 'post' | 'void';

export interface PlannedEntry extends BalanceKey {
  availableDelta: bigint;
  heldDelta: bigint;
  availableAfter: bigint;
  heldAfter: bigint;
}

export interface Shortfall extends BalanceKey {
  /** Available balance before the leg that would overdraw it, and the amount it asked for. */
  available: bigint;
  requested: bigint;
}

export interface Plan {
  entries: PlannedEntry[];
  /** Net change per touched balance, in lock order. */
  deltas: (BalanceKey & { available: bigint; held: bigint })[];
  /** Set when a leg would take a user or escrow balance below zero: nothing may be written. */
  shortfall?: Shortfall;
}

export const keyOf = (accountId: string, asset: string) => `${accountId}|${asset}`;

/** Binary (code unit) order, the same as PostgreSQL's `COLLATE "C"` used when locking. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The balances a batch touches, deduplicated, in the one order every transaction locks them. */
export function lockOrder(legs: readonly Leg[]): BalanceKey[] {
  const seen = new Map<string, BalanceKey>();
  for (const leg of legs) {
    for (const accountId of [leg.from, leg.to]) seen.set(keyOf(accountId, leg.asset), { accountId, asset: leg.asset });
  }
  return [...seen.values()].sort((a, b) => compare(a.accountId, b.accountId) || compare(a.asset, b.asset));
}

/** What is wrong with a batch before any balance is read (empty when it is well formed). */
export function legProblems(legs: readonly Leg[], maxLegs = 64): string[] {
  const problems: string[] = [];
  if (legs.length === 0) problems.push('a transfer needs at least one leg');
  if (legs.length > maxLegs) problems.push(`a transfer has at most ${maxLegs} legs`);
  legs.forEach((leg, i) => {
    if (leg.amount <= 0n) problems.push(`leg ${i}: amount must be positive`);
    if (leg.from === leg.to) problems.push(`leg ${i}: from and to must differ`);
    if (NON_TRANSFERABLE_ASSETS.has(leg.asset) && !isSystemAccountId(leg.from) && !isSystemAccountId(leg.to)) {
      problems.push(`leg ${i}: ${leg.asset} cannot be transferred between users`);
    }
  });
  return problems;
}

/**
 * Applies `phase` of a transfer's legs, in order, to `balances` (read under lock). Each leg moves
 * value between the available and held parts of the two balances; a leg that would take a
 * balance that may not go negative below zero stops the plan with a shortfall.
 */
export function planPhase(phase: Phase, legs: readonly Leg[], balances: ReadonlyMap<string, BalanceState>): Plan {
  const state = new Map<string, BalanceState>();
  for (const k of lockOrder(legs)) {
    const b = balances.get(keyOf(k.accountId, k.asset));
    state.set(keyOf(k.accountId, k.asset), b ? { ...b } : { available: 0n, held: 0n, mayGoNegative: false });
  }
  const entries: PlannedEntry[] = [];
  const change = (accountId: string, asset: string, availableDelta: bigint, heldDelta: bigint) => {
    const s = state.get(keyOf(accountId, asset));
    if (!s) throw new Error('balance outside the lock set');
    s.available += availableDelta;
    s.held += heldDelta;
    entries.push({ accountId, asset, availableDelta, heldDelta, availableAfter: s.available, heldAfter: s.held });
  };
  for (const leg of legs) {
    const from = state.get(keyOf(leg.from, leg.asset));
    if (!from) throw new Error('balance outside the lock set');
    if ((phase === 'posted' || phase === 'pending') && !from.mayGoNegative && from.available < leg.amount) {
      const shortfall = { accountId: leg.from, asset: leg.asset, available: from.available, requested: leg.amount };
      return { entries: [], deltas: [], shortfall };
    }
    if ((phase === 'post' || phase === 'void') && from.held < leg.amount) {
      throw new Error(`held balance of ${leg.from} is smaller than the pending amount`);
    }
    if (phase === 'posted') {
      change(leg.from, leg.asset, -leg.amount, 0n);
      change(leg.to, leg.asset, leg.amount, 0n);
    } else if (phase === 'pending') {
      change(leg.from, leg.asset, -leg.amount, leg.amount);
    } else if (phase === 'post') {
      change(leg.from, leg.asset, 0n, -leg.amount);
      change(leg.to, leg.asset, leg.amount, 0n);
    } else {
      change(leg.from, leg.asset, leg.amount, -leg.amount);
    }
  }
  const deltas = lockOrder(legs).map((k) => {
    const before = balances.get(keyOf(k.accountId, k.asset)) ?? { available: 0n, held: 0n };
    const after = state.get(keyOf(k.accountId, k.asset)) ?? before;
    return { ...k, available: after.available - before.available, held: after.held - before.held };
  });
  return { entries, deltas: deltas.filter((d) => d.available !== 0n || d.held !== 0n) };
}
