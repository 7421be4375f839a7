import { appendAudit, type RequestOrigin } from '../../../platform/audit/index.ts';
import { mask } from '../../../platform/crypto/envelope.ts';
import type { Db } from '../../../platform/db/tx.ts';
import { decodeIdCursor, pageById } from '../../../platform/http/cursor.ts';
import { recordEvent } from '../../../platform/events/index.ts';
import { COIN } from '../accounts.ts';
import { PaymentNotFoundError, PayoutNotInReviewError } from '../errors.ts';
import * as ledger from '../service.ts';
import * as repo from './payouts-repo.ts';
import type { PaymentRow } from './repo.ts';
import { PAYMENT_EVENTS, paymentView, requestRegistration } from './service.ts';
import { assertNotFrozen, repayOwed } from './reversals.ts';

/*
 * The admin side of payouts above the review threshold: they wait, their coins held, in status
 * `review` until an admin approves (the provider is asked for the payout after the decision
 * commits) or rejects them (the hold is voided, the user told through the usual `settled` event).
 * Each decision is one conditional update: of two admins acting at once, one decides, the other
 * gets 409.
 */

const adminActor = (adminId: string) => ({ type: 'user' as const, id: adminId });

/** Payouts of one status, oldest first, paged by the platform's id cursor. */
export async function listPayouts(
  db: Db,
  q: { status: PaymentRow['status']; limit: number; cursor?: string | undefined },
) {
  const afterId = decodeIdCursor(q.cursor);
  const rows = await repo.listPayouts(db, { status: q.status, limit: q.limit + 1, afterId });
  return pageById(
    rows.map((r) => ({ ...r, id: r.payment.id })),
    q.limit,
    ({ payment: p, destination: d }) => ({
      id: p.id,
      userId: p.userId,
      status: p.status,
      amount: p.amount,
      provider: p.provider,
      destination: d ? { id: d.id, kind: d.kind, masked: mask(d.last4) } : null,
      failureReason: p.failureReason,
      createdAt: p.createdAt.toISOString(),
    }),
  );
}

/** Why a decision found no payout in review: unknown (404) or already decided (409). */
async function refuse(db: Db, id: string): Promise<never> {
  const current = await repo.getPayout(db, id);
  if (!current) throw new PaymentNotFoundError();
  throw new PayoutNotInReviewError(current.status);
}

/** Releases a payout in review to the provider; it registers once this transaction commits. */
export async function approvePayout(tx: Db, adminId: string, id: string, origin?: RequestOrigin) {
  const pending = await repo.getPayout(tx, id);
  // A refund or dispute since the request left coins owed: the payout can only be rejected.
  if (pending) await assertNotFrozen(tx, pending.userId);
  const payment = (await repo.decideReview(tx, id, { status: 'pending' })) ?? (await refuse(tx, id));
  await appendAudit(tx, {
    actor: adminActor(adminId),
    action: 'admin.payout.approve',
    target: { type: 'payment', id },
    asset: COIN,
    amount: payment.amount,
    details: { userId: payment.userId },
    ...(origin ? { origin } : {}),
  });
  await requestRegistration(tx, id);
  return { payment: paymentView(payment) };
}

/** Refuses a payout in review: its held coins return to the user, who is notified. */
export async function rejectPayout(tx: Db, adminId: string, id: string, reason: string, origin?: RequestOrigin) {
  const payment =
    (await repo.decideReview(tx, id, { status: 'failed', failureReason: reason })) ?? (await refuse(tx, id));
  const audit = { actor: adminActor(adminId), ...(origin ? { origin } : {}) };
  if (payment.transferId) await ledger.voidPending(tx, payment.transferId, audit);
  // Held coins coming back pay what a refund or dispute left owed first.
  await repayOwed(tx, payment.userId, audit);
  await appendAudit(tx, {
    ...audit,
    action: 'admin.payout.reject',
    target: { type: 'payment', id },
    asset: COIN,
    amount: payment.amount,
    details: { userId: payment.userId, reason },
  });
  await recordEvent(tx, {
    type: PAYMENT_EVENTS.settled,
    aggregateType: 'user',
    aggregateId: payment.userId,
    payload: {
      userId: payment.userId,
      paymentId: payment.id,
      direction: payment.direction,
      status: 'failed',
      amount: payment.amount.toString(),
    },
  });
  return { payment: paymentView(payment) };
}
