import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { BettingInputError, ResponsiblePlayError } from './errors.ts';
import type { DepositGuard } from './ports.ts';
import * as repo from './repo.ts';
import type { LimitsBody, SelfExclusionBody } from './schemas.ts';
import type { ProfileRow } from './tables.ts';

/*
 * Responsible play. Deposit and loss limits per rolling day (24 h), week (7 days) and month (30
 * days); lowering a limit or setting a new one applies at once, raising or removing one applies
 * only after a delay. Cool-off and self-exclusion stop betting and deposits until they end and
 * cannot be shortened or lifted. The age confirmation is required before the first bet.
 */

export const WINDOWS = { day: 86_400_000, week: 7 * 86_400_000, month: 30 * 86_400_000 } as const;
type Window = keyof typeof WINDOWS;
type Kind = 'deposit' | 'loss';
export type LimitSet = Record<Kind, Partial<Record<Window, bigint | null>>>;
type Stored = Partial<Record<Kind, Partial<Record<Window, string | null>>>>;

const KINDS: Kind[] = ['deposit', 'loss'];
const WINDOW_NAMES = Object.keys(WINDOWS) as Window[];

function parse(stored: unknown): LimitSet {
  const s = (stored ?? {}) as Stored;
  const out: LimitSet = { deposit: {}, loss: {} };
  for (const k of KINDS)
    for (const w of WINDOW_NAMES) {
      const v = s[k]?.[w];
      if (v !== undefined) out[k][w] = v === null ? null : BigInt(v);
    }
  return out;
}

function store(l: LimitSet): Stored {
  const out: Stored = {};
  for (const k of KINDS) {
    const entries = Object.entries(l[k]).filter(([, v]) => v !== undefined);
    if (entries.length > 0) out[k] = Object.fromEntries(entries.map(([w, v]) => [w, v === null ? null : String(v)]));
  }
  return out;
}

/** The limits in force at `now`: a pending change whose time has come counts as applied. */
export function effectiveLimits(p: ProfileRow | undefined, now: Date): LimitSet {
  const current = parse(p?.limits);
  if (p?.pendingLimits && p.pendingFrom && p.pendingFrom <= now) {
    const pending = parse(p.pendingLimits);
    for (const k of KINDS) Object.assign(current[k], pending[k]);
  }
  return current;
}

function pendingOf(p: ProfileRow, now: Date) {
  if (!p.pendingLimits || !p.pendingFrom || p.pendingFrom <= now) return null;
  return { limits: p.pendingLimits, effectiveFrom: p.pendingFrom.toISOString() };
}

function viewLimits(l: LimitSet) {
  const values = (k: Kind) => {
    const v = (w: Window) => {
      const x = l[k][w];
      return x === undefined || x === null ? null : Number(x);
    };
    return { day: v('day'), week: v('week'), month: v('month') };
  };
  return { deposit: values('deposit'), loss: values('loss') };
}

export function profileView(p: ProfileRow | undefined, now: Date) {
  const future = (d: Date | null | undefined) => (d && d > now ? d.toISOString() : null);
  return {
    ageConfirmed: Boolean(p?.ageConfirmedAt),
    limits: viewLimits(effectiveLimits(p, now)),
    pending: p ? pendingOf(p, now) : null,
    coolOffUntil: future(p?.coolOffUntil),
    excludedUntil: future(p?.excludedUntil),
  };
}

export async function getProfile(db: Db, userId: string, now = new Date()) {
  return profileView(await repo.findProfile(db, userId), now);
}

/**
 * Changes limits: a value lower than the one in force (or a first limit) applies now; a higher one
 * or `null` (no limit) waits `raiseDelayHours` from the latest raise. A change of a field replaces
 * its pending change.
 */
export async function setLimits(db: Db, userId: string, body: LimitsBody, raiseDelayHours: number, now = new Date()) {
  return withTransaction(db, async (tx) => {
    const p = await repo.lockProfile(tx, userId);
    const current = effectiveLimits(p, now);
    const pending = p.pendingFrom && p.pendingFrom > now ? parse(p.pendingLimits) : { deposit: {}, loss: {} };
    let raised = false;
    for (const k of KINDS) {
      for (const w of WINDOW_NAMES) {
        const wanted = body[k]?.[w];
        if (wanted === undefined) continue;
        const next = wanted === null ? null : BigInt(wanted);
        const inForce = current[k][w] ?? null;
        const lowers = next !== null && (inForce === null || next <= inForce);
        delete (pending as LimitSet)[k][w];
        if (lowers) current[k][w] = next;
        else {
          (pending as LimitSet)[k][w] = next;
          raised = true;
        }
      }
    }
    const hasPending = KINDS.some((k) => Object.keys((pending as LimitSet)[k]).length > 0);
    const row = await repo.updateProfile(tx, userId, {
      limits: store(current),
      pendingLimits: hasPending ? store(pending as LimitSet) : null,
      // A new raise (re)starts the delay; a change that only lowers leaves the waiting ones' time alone.
      pendingFrom: !hasPending
        ? null
        : raised || !p.pendingFrom
          ? new Date(now.getTime() + raiseDelayHours * 3_600_000)
          : p.pendingFrom,
    });
    return profileView(row, now);
  });
}

export async function confirmAge(db: Db, userId: string, now = new Date()) {
  return withTransaction(db, async (tx) => {
    const p = await repo.lockProfile(tx, userId);
    const row = p.ageConfirmedAt ? p : await repo.updateProfile(tx, userId, { ageConfirmedAt: now });
    return profileView(row, now);
  });
}

/** Starts or extends a cool-off or self-exclusion; never shortens one already running. */
export async function selfExclude(db: Db, userId: string, body: SelfExclusionBody, now = new Date()) {
  const bounds = body.kind === 'cool_off' ? [1, 42] : [180, 1825];
  const [min = 1, max = 1825] = bounds;
  if (body.days < min || body.days > max) {
    throw new BettingInputError('body.days', `must be between ${min} and ${max} for ${body.kind}`);
  }
  return withTransaction(db, async (tx) => {
    const p = await repo.lockProfile(tx, userId);
    const until = new Date(now.getTime() + body.days * 86_400_000);
    const column = body.kind === 'cool_off' ? 'coolOffUntil' : 'excludedUntil';
    const existing = p[column];
    const row = existing && existing >= until ? p : await repo.updateProfile(tx, userId, { [column]: until });
    return profileView(row, now);
  });
}

function checkNotExcluded(p: ProfileRow | undefined, now: Date) {
  if (p?.excludedUntil && p.excludedUntil > now) {
    throw new ResponsiblePlayError('self_excluded', 'You are self-excluded from betting and deposits', {
      until: p.excludedUntil.toISOString(),
    });
  }
  if (p?.coolOffUntil && p.coolOffUntil > now) {
    throw new ResponsiblePlayError('cooling_off', 'You are in a cool-off period', {
      until: p.coolOffUntil.toISOString(),
    });
  }
}

/** Refuses a bet of `stake` the user's responsible-play settings do not allow. */
export async function checkBetAllowed(tx: Db, userId: string, stake: bigint, now: Date): Promise<void> {
  const p = await repo.findProfile(tx, userId);
  if (!p?.ageConfirmedAt) {
    throw new ResponsiblePlayError(
      'age_not_confirmed',
      'Confirm that you are of legal betting age first (POST /api/betting/age-confirmation)',
    );
  }
  checkNotExcluded(p, now);
  const limits = effectiveLimits(p, now).loss;
  for (const w of WINDOW_NAMES) {
    const limit = limits[w];
    if (limit === undefined || limit === null) continue;
    const loss = await repo.lossSince(tx, userId, new Date(now.getTime() - WINDOWS[w]));
    if (loss + stake > limit) {
      throw new ResponsiblePlayError('loss_limit', `This stake would pass your ${w} loss limit`, {
        window: w,
        limit: limit.toString(),
        errors: [{ field: 'body.stake', message: `passes your ${w} loss limit` }],
      });
    }
  }
}

/** The ledger's deposit hook: exclusions and deposit limits apply to the wallet too. */
export const depositGuard: DepositGuard = async (tx, { userId, amount, depositedSince }) => {
  const now = new Date();
  const p = await repo.findProfile(tx, userId);
  if (!p) return;
  checkNotExcluded(p, now);
  const limits = effectiveLimits(p, now).deposit;
  for (const w of WINDOW_NAMES) {
    const limit = limits[w];
    if (limit === undefined || limit === null) continue;
    const deposited = await depositedSince(new Date(now.getTime() - WINDOWS[w]));
    if (deposited + amount > limit) {
      throw new ResponsiblePlayError('deposit_limit', `This deposit would pass your ${w} deposit limit`, {
        window: w,
        limit: limit.toString(),
        errors: [{ field: 'body.amount', message: `passes your ${w} deposit limit` }],
      });
    }
  }
};
