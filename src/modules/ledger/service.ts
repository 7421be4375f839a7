import { uuidv7 } from 'uuidv7';
import { auditInsertSql, type AuditActor, type RequestOrigin } from '../../platform/audit/index.ts';
import { pgErrorCode } from '../../platform/db/errors.ts';
import { isTransaction, withRetryableTransaction, type Db } from '../../platform/db/tx.ts';
import { ASSET_CODE, COIN, TRANSFER_KIND, systemShardIds, walletAccountId, type SystemAccount } from './accounts.ts';
import {
  InsufficientFundsError,
  InvalidTransferError,
  PendingExpiredError,
  TransferExistsError,
  TransferNotFoundError,
  TransferNotPendingError,
  UnknownAccountError,
  UnknownAssetError,
} from './errors.ts';
import { keyOf, legProblems, lockOrder, planPhase, type BalanceState, type Leg, type Phase } from './legs.ts';
import * as repo from './repo.ts';

/** Who asked for a movement, for its audit row. Defaults to the system. */
export interface MovementAudit {
  actor: AuditActor;
  origin?: RequestOrigin;
}

export interface TransferInput {
  /**
   * Give one to make retries safe: a second transfer with the same id fails with
   * `transfer_exists` (like any constraint failure, it aborts the transaction).
   */
  id?: string;
  /** What the movement is, dotted lower case: `wallet.transfer`, `market.purchase`, `withdrawal`. */
  kind: string;
  /** The business object behind it (order id, listing id, payment id). */
  reference?: string | null;
  memo?: string | null;
  legs: readonly Leg[];
  /** Reserve the amounts now (they leave `from`'s available balance) and post or void later. */
  pending?: boolean | { timeoutSeconds: number };
  audit?: MovementAudit;
}

export interface TransferResult {
  id: string;
  kind: string;
  reference: string | null;
  memo: string | null;
  status: 'posted' | 'pending' | 'voided';
  createdAt: Date;
  legs: Leg[];
  /** Balances of the touched accounts after this movement, by `keyOf(account, asset)`. */
  after: Map<string, { available: bigint; held: bigint }>;
}

const SYSTEM: MovementAudit = { actor: { type: 'system', id: null } };

/** Registers an asset code (idempotent). Card variants use their own code, e.g. `CARD:<variant id>`. */
export async function registerAsset(db: Db, code: string, kind: 'currency' | 'card'): Promise<void> {
  if (!ASSET_CODE.test(code)) throw new InvalidTransferError(`Asset code ${code} is not valid`);
  await repo.insertAsset(db, code, kind);
}

/** The user's wallet account id, creating the wallet on first use. */
export async function ensureWallet(db: Db, userId: string): Promise<string> {
  await repo.insertWallets(db, [userId]);
  return walletAccountId(userId);
}

export async function ensureWallets(db: Db, userIds: readonly string[]): Promise<void> {
  await repo.insertWallets(db, userIds);
}

/** The escrow account of a business object, created on first use (same purpose+reference → same account). */
export async function openEscrow(
  db: Db,
  e: { ownerId: string; purpose: string; reference: string },
): Promise<{ id: string; ownerId: string }> {
  return repo.upsertEscrow(db, { id: uuidv7(), ...e });
}

export async function balances(db: Db, accountId: string, asset?: string) {
  const rows = await repo.accountBalances(db, accountId, asset);
  return rows.map((b) => ({ ...b, total: b.available + b.held }));
}

function checkInput(input: TransferInput) {
  const problems = legProblems(input.legs);
  if (!TRANSFER_KIND.test(input.kind)) problems.push(`kind ${input.kind} is not valid`);
  for (const leg of input.legs) if (!ASSET_CODE.test(leg.asset)) problems.push(`asset ${leg.asset} is not valid`);
  if (typeof input.pending === 'object' && !(input.pending.timeoutSeconds > 0)) {
    problems.push('a pending timeout must be positive');
  }
  if (problems.length > 0) throw new InvalidTransferError(`Invalid transfer: ${problems.join('; ')}`);
}

/**
 * Locks every balance the legs touch (in the global order) and returns them, creating the ones that
 * do not exist yet only when the movement is otherwise possible, so a refused transfer writes
 * nothing. Creating rows locks them after the others; the rare deadlock that can cause aborts the
 * transaction: a movement that opened its own is retried (see `inOwnOrCallerTransaction`), one in a
 * caller's transaction fails with it and is the caller's runner's to retry (runIdempotent and
 * withRetryableTransaction do).
 */
async function lockFor(tx: Db, phase: Phase, legs: readonly Leg[]): Promise<Map<string, BalanceState>> {
  const keys = lockOrder(legs);
  const locked = await repo.lockBalances(tx, keys);
  const missing = keys.filter((k) => !locked.has(keyOf(k.accountId, k.asset)));
  if (missing.length === 0) return locked;
  const accounts = new Map(
    (
      await repo.findAccounts(
        tx,
        missing.map((k) => k.accountId),
      )
    ).map((a) => [a.id, a]),
  );
  const unknownAccount = missing.find((k) => !accounts.has(k.accountId));
  if (unknownAccount) throw new UnknownAccountError(unknownAccount.accountId);
  const assets = await repo.existingAssets(tx, [...new Set(missing.map((k) => k.asset))]);
  const unknownAsset = missing.find((k) => !assets.has(k.asset));
  if (unknownAsset) throw new UnknownAssetError(unknownAsset.asset);
  const assumed = new Map(locked);
  for (const k of missing) {
    assumed.set(keyOf(k.accountId, k.asset), {
      available: 0n,
      held: 0n,
      mayGoNegative: accounts.get(k.accountId)?.mayGoNegative ?? false,
    });
  }
  throwIfShort(planPhase(phase, legs, assumed));
  await repo.createBalances(tx, missing);
  for (const [k, v] of await repo.lockBalances(tx, missing)) locked.set(k, v);
  return locked;
}

/**
 * Joins the caller's transaction unchanged; otherwise opens one that is repeated when PostgreSQL
 * aborts it as a deadlock or serialization victim (the attempt rolled back, so repeating is safe).
 */
function inOwnOrCallerTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return isTransaction(db) ? fn(db) : withRetryableTransaction(db, fn);
}

function throwIfShort(plan: ReturnType<typeof planPhase>) {
  if (plan.shortfall) {
    throw new InsufficientFundsError(plan.shortfall.asset, plan.shortfall.available, plan.shortfall.requested);
  }
  return plan;
}

function auditRow(audit: MovementAudit, action: string, transferId: string, legs: readonly Leg[], details = {}) {
  const assets = new Set(legs.map((l) => l.asset));
  const single = assets.size === 1 ? [...assets][0] : null;
  return {
    actor: audit.actor,
    origin: audit.origin,
    action,
    target: { type: 'transfer', id: transferId },
    asset: single,
    amount: single ? legs.reduce((s, l) => s + l.amount, 0n) : null,
    details: { legs: legs.map((l) => ({ ...l, amount: l.amount.toString() })), ...details },
  };
}

/**
 * Moves value: all legs apply in order inside `db`'s transaction (joined, or opened when `db` is
 * the pool, and then retried on deadlock), or none do. A leg that would take a user or escrow balance below zero refuses the
 * whole batch with `insufficient_funds` before anything is written.
 */
export async function transfer(db: Db, input: TransferInput): Promise<TransferResult> {
  checkInput(input);
  return inOwnOrCallerTransaction(db, async (tx) => {
    const id = input.id ?? uuidv7();
    const phase = input.pending ? 'pending' : 'posted';
    const plan = throwIfShort(planPhase(phase, input.legs, await lockFor(tx, phase, input.legs)));
    const status = input.pending ? 'pending' : 'posted';
    const timeoutSeconds = typeof input.pending === 'object' ? input.pending.timeoutSeconds : null;
    const create = {
      id,
      kind: input.kind,
      reference: input.reference ?? null,
      status,
      memo: input.memo ?? null,
      actorId: input.audit?.actor.type === 'user' ? input.audit.actor.id : null,
      timeoutSeconds,
      legs: input.legs,
    } as const;
    const action = status === 'posted' ? input.kind : `${input.kind}.pending`;
    const audit = auditInsertSql([
      auditRow(input.audit ?? SYSTEM, action, id, input.legs, { reference: create.reference }),
    ]);
    let written;
    try {
      written = await repo.writeMovement(tx, { transferId: id, phase: 'apply', create, audit, ...plan });
    } catch (err) {
      if (pgErrorCode(err) === '23505' && input.id) throw new TransferExistsError(id);
      throw err;
    }
    return {
      id,
      kind: input.kind,
      reference: create.reference,
      memo: create.memo,
      status,
      createdAt: written.createdAt,
      legs: [...input.legs],
      after: afterOf(plan.entries),
    };
  });
}

/** A pending transfer: shorthand for `transfer` with `pending` set. */
export function hold(db: Db, input: Omit<TransferInput, 'pending'> & { timeoutSeconds?: number }) {
  const { timeoutSeconds, ...rest } = input;
  return transfer(db, { ...rest, pending: timeoutSeconds ? { timeoutSeconds } : true });
}

function afterOf(entries: ReturnType<typeof planPhase>['entries']) {
  const after = new Map<string, { available: bigint; held: bigint }>();
  for (const e of entries) after.set(keyOf(e.accountId, e.asset), { available: e.availableAfter, held: e.heldAfter });
  return after;
}

async function resolvePending(
  db: Db,
  transferId: string,
  outcome: 'post' | 'void',
  audit: MovementAudit,
  opts: { allowExpired: boolean },
): Promise<TransferResult> {
  return inOwnOrCallerTransaction(db, async (tx) => {
    const t = await repo.getTransfer(tx, transferId, { lock: true });
    if (!t) throw new TransferNotFoundError();
    if (t.status !== 'pending') throw new TransferNotPendingError(t.id, t.status);
    if (outcome === 'post' && t.expired && !opts.allowExpired) throw new PendingExpiredError(t.id);
    const legs = await repo.getLegs(tx, t.id);
    const plan = throwIfShort(planPhase(outcome, legs, await repo.lockBalances(tx, lockOrder(legs))));
    const resolve = outcome === 'post' ? 'posted' : 'voided';
    await repo.writeMovement(tx, {
      transferId: t.id,
      phase: outcome,
      resolve,
      audit: auditInsertSql([auditRow(audit, `${t.kind}.${outcome}`, t.id, legs, { reference: t.reference })]),
      ...plan,
    });
    return {
      id: t.id,
      kind: t.kind,
      reference: t.reference,
      memo: t.memo,
      status: resolve,
      createdAt: t.createdAt,
      legs,
      after: afterOf(plan.entries),
    };
  });
}

/** Completes a pending transfer: the held amounts move on to their recipients. */
export function postPending(db: Db, transferId: string, audit: MovementAudit = SYSTEM) {
  return resolvePending(db, transferId, 'post', audit, { allowExpired: false });
}

/** Cancels a pending transfer: the held amounts return to the available balance of their payers. */
export function voidPending(db: Db, transferId: string, audit: MovementAudit = SYSTEM) {
  return resolvePending(db, transferId, 'void', audit, { allowExpired: true });
}

/**
 * Voids pending transfers past their timeout, each in its own transaction; returns how many.
 * `now` replaces the database clock (tests).
 */
export async function voidExpired(db: Db, opts: { limit?: number; now?: Date } = {}): Promise<number> {
  const ids = await repo.expiredPending(db, opts.limit ?? 500, opts.now);
  let voided = 0;
  for (const id of ids) {
    try {
      await voidPending(db, id, { actor: { type: 'system', id: 'ledger.void-expired' } });
      voided += 1;
    } catch (err) {
      // Posted or voided by someone else since the scan: nothing left to do for this one.
      if (!(err instanceof TransferNotPendingError)) throw err;
    }
  }
  return voided;
}

export async function getTransferWithLegs(db: Db, id: string) {
  const t = await repo.getTransfer(db, id);
  if (!t) return undefined;
  return { ...t, legs: await repo.getLegs(db, id) };
}

/** A system account's balance of `asset` over all of its shards (what reports and supply read). */
export async function systemBalance(db: Db, account: SystemAccount, asset: string = COIN): Promise<bigint> {
  return repo.sumBalances(db, systemShardIds(account), asset);
}

/**
 * Creates escrow accounts that are new by construction (a fresh id and a reference nobody used),
 * each with a zero balance of `assets`, in one statement: the batch path's `openEscrow`.
 */
export async function createEscrows(
  db: Db,
  escrows: readonly { id: string; ownerId: string; purpose: string; reference: string; assets: readonly string[] }[],
): Promise<void> {
  await repo.insertEscrows(db, escrows);
}
