import { uuidv7 } from 'uuidv7';
import { appendAudit, type AuditActor, type RequestOrigin } from '../../../platform/audit/index.ts';
import type { Db } from '../../../platform/db/tx.ts';
import { ConflictError } from '../../../platform/http/errors.ts';
import { requestNotification } from '../../notifications/index.ts';
import { COIN, systemShard, walletAccountId } from '../accounts.ts';
import { AccountFrozenError, PaymentNotRefundableError } from '../errors.ts';
import * as ledger from '../service.ts';
import type { ProviderEvent, ProviderEventType } from './provider.ts';
import * as repo from './repo.ts';
import * as rev from './reversals-repo.ts';

/*
 * Refunds and disputes (admin refunds: refunds.ts) take the coins of a settled deposit back to `gateway`, provider-agnostic.
 * Coins the user already spent cannot be taken (a wallet never goes negative): that part is owed
 * to the `receivable` account, and while anything is owed the user's withdrawals, coin sends and
 * orders are refused. Their next deposits repay it first; a won dispute or a refused refund gives
 * everything back and clears what is owed.
 */

export const REVERSAL_EVENTS = {
  /** A committed admin refund to send to the provider. Payload: `{ reversalId }`. */
  refundRequested: 'wallet.refund_requested',
} as const;

export const REVERSAL_EVENT_TYPES: ReadonlySet<ProviderEventType> = new Set([
  'deposit.refunded',
  'dispute.opened',
  'dispute.won',
  'dispute.lost',
]);

type Outcome = 'applied' | 'ignored';
export type Audit = { actor: AuditActor; origin?: RequestOrigin };
type NewReversal = Pick<rev.ReversalRow, 'kind' | 'status' | 'amount'> & {
  reason: string | null;
  providerRef?: string;
};

export function reversalView(r: rev.ReversalRow) {
  return {
    id: r.id,
    paymentId: r.paymentId,
    kind: r.kind,
    status: r.status,
    amount: r.amount,
    shortfall: r.shortfall,
    createdAt: r.createdAt.toISOString(),
  };
}

/** What of a deposit is still there to refund or dispute: refused refunds and won disputes gave theirs back. */
export function remainderOf(payment: repo.PaymentRow, reversals: readonly rev.ReversalRow[]): bigint {
  const out = reversals.filter((r) => r.status !== 'failed' && r.status !== 'won').reduce((s, r) => s + r.amount, 0n);
  return payment.amount - out;
}

/** Refuses cash-outs and trading while the user owes coins of a reversed deposit. */
export async function assertNotFrozen(db: Db, userId: string): Promise<void> {
  const owed = await rev.owedBy(db, userId);
  if (owed > 0n) throw new AccountFrozenError(owed);
}

/** For a batch of orders: the refusal for each user who owes coins (absent: free to trade). */
export async function frozenAmong(db: Db, userIds: readonly string[]): Promise<Map<string, AccountFrozenError>> {
  const owed = await rev.owedAmong(db, userIds);
  return new Map([...owed].map(([userId, amount]) => [userId, new AccountFrozenError(amount)]));
}

const coins = (n: bigint) => `${n / 100n}.${String(n % 100n).padStart(2, '0')}`;

/**
 * Takes `amount` back from the payer to `gateway` and records the reversal: what the wallet lacks
 * is taken from `receivable` instead (the user owes it). A concurrent spend between the balance
 * read and the transfer makes the transfer refuse, which rolls the whole change back (retried).
 */
export async function takeBack(
  tx: Db,
  payment: repo.PaymentRow,
  row: NewReversal,
  audit: Audit,
): Promise<rev.ReversalRow> {
  const { userId } = payment;
  const wallet = await ledger.ensureWallet(tx, userId);
  const [balance] = await ledger.balances(tx, wallet, COIN);
  const taken = (balance?.available ?? 0n) < row.amount ? (balance?.available ?? 0n) : row.amount;
  const shortfall = row.amount - taken;
  const gateway = systemShard('gateway', userId);
  const legs = [
    ...(taken > 0n ? [{ from: wallet, to: gateway, asset: COIN, amount: taken }] : []),
    ...(shortfall > 0n
      ? [{ from: systemShard('receivable', userId), to: gateway, asset: COIN, amount: shortfall }]
      : []),
  ];
  const id = uuidv7();
  await ledger.transfer(tx, { kind: `payment.${row.kind}`, reference: id, legs, audit });
  const reversal = await rev.insertReversal(tx, { ...row, id, userId, paymentId: payment.id, shortfall });
  await appendAudit(tx, {
    ...audit,
    action: `payment.${row.kind}.taken`,
    target: { type: 'payment', id: payment.id },
    asset: COIN,
    amount: row.amount,
    details: { reversalId: id, userId, taken: taken.toString(), shortfall: shortfall.toString() },
  });
  await requestNotification(tx, {
    userId,
    type: 'wallet.payment_reversed',
    title: `${coins(row.amount)} coins of a deposit were ${row.kind === 'refund' ? 'refunded' : 'disputed'}`,
    body:
      shortfall > 0n
        ? `${coins(shortfall)} coins had already been spent: withdrawals and trading are frozen until they are repaid (your next deposits repay them first).`
        : 'The coins were taken back from your wallet.',
    data: { paymentId: payment.id, reversalId: id, kind: row.kind, amount: row.amount.toString() },
  });
  return reversal;
}

/** Undoes a reversal's take: the wallet gets back what it gave (and what it repaid), the debt is cleared. */
export async function giveBack(tx: Db, seen: rev.ReversalRow, status: 'failed' | 'won', audit: Audit): Promise<void> {
  // Re-read under the row's lock: a deposit settling meanwhile may have repaid part of the shortfall.
  const r = await rev.lockReversal(tx, seen.id);
  if (!r || r.status !== seen.status) return;
  const gateway = systemShard('gateway', r.userId);
  const toWallet = r.amount - r.shortfall;
  const legs = [
    ...(toWallet > 0n ? [{ from: gateway, to: walletAccountId(r.userId), asset: COIN, amount: toWallet }] : []),
    ...(r.shortfall > 0n
      ? [{ from: gateway, to: systemShard('receivable', r.userId), asset: COIN, amount: r.shortfall }]
      : []),
  ];
  await ledger.transfer(tx, { kind: `payment.${r.kind}.returned`, reference: r.id, legs, audit });
  await rev.updateReversal(tx, r.id, { status, shortfall: 0n });
  await appendAudit(tx, {
    ...audit,
    action: `payment.${r.kind}.${status}`,
    target: { type: 'payment', id: r.paymentId },
    asset: COIN,
    amount: r.amount,
    details: { reversalId: r.id, userId: r.userId, returned: toWallet.toString(), cleared: r.shortfall.toString() },
  });
  await requestNotification(tx, {
    userId: r.userId,
    type: 'wallet.payment_reversed',
    title: `${coins(r.amount)} coins are back in your wallet`,
    body: status === 'won' ? 'The dispute was decided in your favour.' : 'The refund could not be made.',
    data: { paymentId: r.paymentId, reversalId: r.id, kind: r.kind, status },
  });
}

/**
 * Applies a refund or dispute webhook to its (locked) payment, once: the caller has checked the
 * event id is new. Any order is safe: a dispute decided before it was opened moves nothing when
 * won and takes the money when lost; a later `dispute.opened` for it is ignored.
 */
export async function applyReversalEvent(
  tx: Db,
  providerName: string,
  payment: repo.PaymentRow,
  event: ProviderEvent,
): Promise<Outcome> {
  if (payment.direction !== 'deposit')
    throw new PaymentNotRefundableError('Only a deposit can be refunded or disputed');
  // The deposit's own confirmation may still be on its way: refuse so the provider sends this again later.
  if (payment.status !== 'succeeded') throw new ConflictError('payment_not_settled', 'The deposit is not settled yet');
  const audit: Audit = { actor: { type: 'provider', id: providerName } };
  const reversals = await rev.reversalsOf(tx, payment.id);
  const outcome =
    event.type === 'deposit.refunded'
      ? await applyRefunded(tx, payment, reversals, event, audit)
      : await applyDispute(tx, payment, reversals, event, audit);
  await repo.recordProviderEvent(tx, {
    provider: providerName,
    eventId: event.eventId,
    paymentId: payment.id,
    type: event.type,
    outcome,
  });
  return outcome;
}

async function applyRefunded(
  tx: Db,
  payment: repo.PaymentRow,
  reversals: rev.ReversalRow[],
  event: ProviderEvent,
  audit: Audit,
): Promise<Outcome> {
  const refunds = reversals.filter((r) => r.kind === 'refund');
  const ours =
    refunds.find((r) => r.id === event.refundId) ??
    refunds.find(
      (r) => (r.status === 'pending' || r.status === 'submitted') && (event.amount ?? r.amount) === r.amount,
    );
  if (ours) {
    // Already taken when it was asked for: only its state moves on.
    await rev.updateReversal(tx, ours.id, { status: 'succeeded' }, ['pending', 'submitted']);
    return 'ignored';
  }
  // Made at the provider (its dashboard): take it now, at most what is left of the deposit.
  const remainder = remainderOf(payment, reversals);
  const amount = event.amount !== undefined && event.amount < remainder ? event.amount : remainder;
  if (amount <= 0n) return 'ignored';
  await takeBack(tx, payment, { kind: 'refund', status: 'succeeded', amount, reason: event.reason ?? null }, audit);
  return 'applied';
}

async function applyDispute(
  tx: Db,
  payment: repo.PaymentRow,
  reversals: rev.ReversalRow[],
  event: ProviderEvent,
  audit: Audit,
): Promise<Outcome> {
  // One dispute per charge when the provider names none.
  const ref = event.disputeId ?? `payment:${payment.id}`;
  const found = reversals.find((r) => r.kind === 'dispute' && r.providerRef === ref);
  const remainder = remainderOf(payment, reversals);
  const amount = event.amount !== undefined && event.amount < remainder ? event.amount : remainder;
  const base = { kind: 'dispute' as const, providerRef: ref, reason: event.reason ?? null };
  switch (event.type) {
    case 'dispute.opened':
      if (found || amount <= 0n) return 'ignored';
      await takeBack(tx, payment, { ...base, status: 'open', amount }, audit);
      return 'applied';
    case 'dispute.lost':
      if (found?.status === 'open') {
        await rev.updateReversal(tx, found.id, { status: 'lost' }, ['open']);
        await appendAudit(tx, {
          ...audit,
          action: 'payment.dispute.lost',
          target: { type: 'payment', id: payment.id },
          asset: COIN,
          amount: found.amount,
          details: { reversalId: found.id, userId: payment.userId, owed: found.shortfall.toString() },
        });
        return 'applied';
      }
      if (found || amount <= 0n) return 'ignored';
      // Decided before we heard it was opened: the money is gone, take it now.
      await takeBack(tx, payment, { ...base, status: 'lost', amount }, audit);
      return 'applied';
    default: {
      if (found?.status === 'open') {
        await giveBack(tx, found, 'won', audit);
        return 'applied';
      }
      if (found || amount <= 0n) return 'ignored';
      // Won before we heard it was opened: nothing was taken, so nothing is returned; the row makes
      // a late `dispute.opened` a no-op.
      await rev.insertReversal(tx, {
        ...base,
        id: uuidv7(),
        paymentId: payment.id,
        userId: payment.userId,
        status: 'won',
        amount,
      });
      return 'applied';
    }
  }
}

/**
 * Repays what a user owes from their available coins, oldest debt first (after a deposit is
 * credited, in its transaction). Returns the amount repaid.
 */
export async function repayOwed(tx: Db, userId: string, audit: Audit): Promise<bigint> {
  const owed = await rev.lockOwed(tx, userId);
  if (owed.length === 0) return 0n;
  const [balance] = await ledger.balances(tx, walletAccountId(userId), COIN);
  let left = balance?.available ?? 0n;
  let repaid = 0n;
  for (const r of owed) {
    const pay = left < r.shortfall ? left : r.shortfall;
    if (pay <= 0n) break;
    await ledger.transfer(tx, {
      kind: 'payment.receivable.repaid',
      reference: r.id,
      legs: [{ from: walletAccountId(userId), to: systemShard('receivable', userId), asset: COIN, amount: pay }],
      audit,
    });
    await rev.updateReversal(tx, r.id, { shortfall: r.shortfall - pay });
    left -= pay;
    repaid += pay;
  }
  return repaid;
}
