import { uuidv7 } from 'uuidv7';
import type { Config } from '../../config.ts';
import type { RequestOrigin } from '../../platform/audit/index.ts';
import { afterCommit, type Db } from '../../platform/db/tx.ts';
import { business, countValue } from '../../platform/metrics/metrics.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { COIN, walletAccountId } from './accounts.ts';
import {
  AmountOutOfRangeError,
  DailyLimitError,
  RecipientNotFoundError,
  SelfTransferError,
  UnknownAccountError,
} from './errors.ts';
import { findUserRef } from './ports.ts';
import { keyOf } from './legs.ts';
import * as repo from './repo.ts';
import * as ledger from './service.ts';
import { accountHistory } from './wallet-repo.ts';
import { assertNotFrozen } from './payments/reversals.ts';
import { UUID_PATTERN, decodeCursor, encodeCursor } from '../../platform/http/cursor.ts';

export interface Limits {
  maxAmount: bigint;
  daily: { transfer: bigint; deposit: bigint; withdrawal: bigint };
}

export function limitsOf(config: Config): Limits {
  return {
    maxAmount: BigInt(config.LEDGER_MAX_AMOUNT),
    daily: {
      transfer: BigInt(config.LEDGER_DAILY_TRANSFER_LIMIT),
      deposit: BigInt(config.LEDGER_DAILY_DEPOSIT_LIMIT),
      withdrawal: BigInt(config.LEDGER_DAILY_WITHDRAW_LIMIT),
    },
  };
}

export const WALLET_EVENTS = {
  /** Payload: `{ userId, fromUserId, transferId, asset, amount (string), memo }`. */
  transferReceived: 'wallet.transfer_received',
} as const;

export function checkAmount(limits: Limits, amount: bigint): void {
  if (amount <= 0n || amount > limits.maxAmount) throw new AmountOutOfRangeError(limits.maxAmount);
}

/**
 * Counts `amount` against the user's daily limit for `kind`. The usage row stays locked until the
 * transaction ends, so concurrent requests of one user cannot both slip under the limit. Value
 * moves take it after locking the payer's balance (one lock order: balance, then usage).
 */
export async function useDailyAllowance(
  tx: Db,
  limits: Limits,
  userId: string,
  kind: keyof Limits['daily'],
  amount: bigint,
): Promise<void> {
  const used = await repo.addDailyUsage(tx, walletAccountId(userId), kind, amount);
  const limit = limits.daily[kind];
  if (used > limit) throw new DailyLimitError(kind, limit, used - amount);
}

/**
 * Refuses `amount` when, added to what the user has used of `kind` today, it would pass the limit;
 * counts nothing (for amounts counted only once they happen, with `countDailyUsage`).
 */
export async function checkDailyAllowance(
  db: Db,
  limits: Limits,
  userId: string,
  kind: keyof Limits['daily'],
  amount: bigint,
): Promise<void> {
  const used = await repo.dailyUsage(db, walletAccountId(userId), kind);
  const limit = limits.daily[kind];
  if (used + amount > limit) throw new DailyLimitError(kind, limit, used);
}

/** Counts an amount that has happened against today's usage, refusing nothing. */
export async function countDailyUsage(
  tx: Db,
  userId: string,
  kind: keyof Limits['daily'],
  amount: bigint,
): Promise<void> {
  await repo.addDailyUsage(tx, walletAccountId(userId), kind, amount);
}

export async function coinBalance(db: Db, userId: string) {
  const [row] = await ledger.balances(db, walletAccountId(userId), COIN);
  return row ?? { asset: COIN, available: 0n, held: 0n, total: 0n };
}

export interface SendInput {
  senderId: string;
  /** Username or user id of the recipient. */
  to: string;
  amount: bigint;
  memo?: string | undefined;
  origin?: RequestOrigin;
}

/**
 * Sends coins from one user's wallet to another's and tells the recipient. Everything that does
 * not need the payer's balance runs before it is locked, so a busy wallet stays locked for as few
 * round trips as possible; the daily allowance is counted under that lock.
 */
export async function sendCoins(tx: Db, limits: Limits, input: SendInput) {
  checkAmount(limits, input.amount);
  const recipient = await findUserRef(tx, input.to);
  if (!recipient) throw new RecipientNotFoundError();
  if (recipient.id === input.senderId) throw new SelfTransferError();
  // Sending coins away would let owed coins leave the account, like a withdrawal.
  await assertNotFrozen(tx, input.senderId);
  const memo = input.memo?.trim() || null;
  const transferId = uuidv7();
  await recordEvent(tx, {
    type: WALLET_EVENTS.transferReceived,
    aggregateType: 'user',
    aggregateId: recipient.id,
    payload: {
      userId: recipient.id,
      fromUserId: input.senderId,
      transferId,
      asset: COIN,
      amount: input.amount.toString(),
      memo,
    },
  });
  const move = () =>
    ledger.transfer(tx, {
      id: transferId,
      kind: 'wallet.transfer',
      memo,
      legs: [
        { from: walletAccountId(input.senderId), to: walletAccountId(recipient.id), asset: COIN, amount: input.amount },
      ],
      audit: { actor: { type: 'user', id: input.senderId }, ...(input.origin ? { origin: input.origin } : {}) },
    });
  // Wallets are created on first use: the refusal comes before anything is written, so creating
  // them and trying again is safe, and every later transfer saves the statement.
  const result = await move().catch(async (err: unknown) => {
    if (!(err instanceof UnknownAccountError)) throw err;
    await ledger.ensureWallets(tx, [input.senderId, recipient.id]);
    return move();
  });
  await useDailyAllowance(tx, limits, input.senderId, 'transfer', input.amount);
  afterCommit(tx, () => {
    business.transfers.inc();
    countValue(business.transferredValue, input.amount);
  });
  const after = result.after.get(keyOf(walletAccountId(input.senderId), COIN)) ?? { available: 0n, held: 0n };
  return {
    id: result.id,
    kind: result.kind,
    status: result.status,
    asset: COIN,
    amount: input.amount,
    memo,
    createdAt: result.createdAt.toISOString(),
    to: { userId: recipient.id, username: recipient.username },
    balance: { asset: COIN, ...after, total: after.available + after.held },
  };
}

export interface HistoryQuery {
  limit: number;
  cursor?: string | undefined;
  kind?: string | undefined;
  asset?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** History pages by (transfer, asset): one transfer can move several assets through a wallet. */
function readHistoryCursor(raw: unknown) {
  if (!Array.isArray(raw) || raw.length !== 2) return undefined;
  const [transferId, asset] = raw as unknown[];
  if (typeof transferId !== 'string' || !UUID_PATTERN.test(transferId)) return undefined;
  if (typeof asset !== 'string' || asset.length === 0 || asset.length > 64) return undefined;
  return { transferId, asset };
}

async function describeAccounts(db: Db, ids: string[]) {
  const accounts = await repo.findAccounts(db, ids);
  const out = new Map<
    string,
    { type: 'user' | 'system' | 'escrow'; userId: string | null; username: string | null; label: string | null }
  >();
  for (const a of accounts) {
    const user = a.kind === 'user' ? await findUserRef(db, a.id) : null;
    out.set(a.id, {
      type: a.kind,
      userId: a.kind === 'user' ? a.id : null,
      username: user?.username ?? null,
      label: a.kind === 'system' ? a.code : a.purpose,
    });
  }
  return out;
}

/** The user's wallet history, newest first. */
export async function walletHistory(db: Db, userId: string, q: HistoryQuery) {
  const after = decodeCursor(q.cursor, readHistoryCursor);
  const rows = await accountHistory(db, {
    accountId: walletAccountId(userId),
    limit: q.limit + 1,
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.asset ? { asset: q.asset } : {}),
    ...(q.from ? { from: new Date(q.from) } : {}),
    ...(q.to ? { to: new Date(q.to) } : {}),
    ...(after ? { after } : {}),
  });
  const page = rows.slice(0, q.limit);
  const parties = await describeAccounts(db, [...new Set(page.flatMap((r) => r.counterparties))]);
  const last = page.at(-1);
  return {
    items: page.map((r) => {
      const only = r.counterparties.length === 1 ? r.counterparties[0] : undefined;
      const party = only ? parties.get(only) : undefined;
      return {
        id: r.transfer_id,
        kind: r.kind,
        status: r.status,
        asset: r.asset,
        amount: r.amount,
        counterparty: only && party ? { accountId: only, ...party } : null,
        balanceAfter: r.balance_after,
        memo: r.memo,
        reference: r.reference,
        createdAt: new Date(r.created_at).toISOString(),
      };
    }),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.transfer_id, last.asset]) : null,
  };
}

/**
 * One transfer with its legs, for a party to it (its wallet or one of its escrows is on a leg)
 * or a caller allowed to read any; undefined otherwise, so strangers cannot tell it exists.
 */
export async function transferForUser(db: Db, userId: string, id: string, readAny: boolean) {
  const t = await ledger.getTransferWithLegs(db, id);
  if (!t) return undefined;
  if (!readAny) {
    const accounts = await repo.findAccounts(
      db,
      t.legs.flatMap((l) => [l.from, l.to]),
    );
    if (!accounts.some((a) => a.id === walletAccountId(userId) || (a.kind === 'escrow' && a.ownerId === userId))) {
      return undefined;
    }
  }
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: t.id,
    kind: t.kind,
    status: t.status,
    reference: t.reference,
    memo: t.memo,
    createdAt: new Date(t.createdAt).toISOString(),
    resolvedAt: iso(t.resolvedAt),
    timeoutAt: iso(t.timeoutAt),
    legs: t.legs,
  };
}
