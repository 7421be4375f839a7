import type { RequestOrigin } from '../../../platform/audit/index.ts';
import { withRetryableTransaction, type Db } from '../../../platform/db/tx.ts';
import { recordEvent } from '../../../platform/events/index.ts';
import {
  PaymentNotFoundError,
  PaymentNotRefundableError,
  RefundExceedsRemainderError,
  UnknownProviderError,
} from '../errors.ts';
import { ProviderRefusedError, type PaymentProvider } from './provider.ts';
import * as repo from './repo.ts';
import { REVERSAL_EVENTS, giveBack, remainderOf, reversalView, takeBack, type Audit } from './reversals.ts';
import * as rev from './reversals-repo.ts';

export interface ReversalsDeps {
  db: Db;
  providers: ReadonlyMap<string, PaymentProvider>;
}

/** Admin refunds: taken at once in the ledger, sent to the provider after commit. */
export class Refunds {
  constructor(private readonly deps: ReversalsDeps) {}

  /** Takes (part of) a settled deposit back now; the provider is asked once this commits. */
  async refund(
    tx: Db,
    paymentId: string,
    input: { amount?: bigint; reason?: string },
    adminId: string,
    origin?: RequestOrigin,
  ) {
    const payment = await repo.lockPayment(tx, paymentId);
    if (!payment) throw new PaymentNotFoundError();
    if (payment.direction !== 'deposit' || payment.status !== 'succeeded' || payment.providerPaymentId === null) {
      throw new PaymentNotRefundableError();
    }
    const remainder = remainderOf(payment, await rev.reversalsOf(tx, payment.id));
    const amount = input.amount ?? remainder;
    if (amount <= 0n || amount > remainder) throw new RefundExceedsRemainderError(remainder);
    const audit: Audit = { actor: { type: 'user', id: adminId }, ...(origin ? { origin } : {}) };
    const row = { kind: 'refund' as const, status: 'pending' as const, amount, reason: input.reason ?? null };
    const reversal = await takeBack(tx, payment, row, audit);
    await recordEvent(tx, {
      type: REVERSAL_EVENTS.refundRequested,
      aggregateType: 'payment',
      aggregateId: payment.id,
      payload: { reversalId: reversal.id },
    });
    return { refund: reversalView(reversal) };
  }

  /**
   * Sends a committed refund to its provider (the `refundRequested` event's handler), outside any
   * transaction. Our refund id is the provider's idempotency key, so a repeat is safe. A refusal
   * gives the coins back; any other error is thrown so the event is delivered again.
   */
  async submit(reversalId: string): Promise<void> {
    const { db } = this.deps;
    const r = await rev.getReversal(db, reversalId);
    if (!r || r.kind !== 'refund' || r.status !== 'pending') return;
    const payment = await repo.getPayment(db, r.paymentId);
    if (!payment?.providerPaymentId) throw new PaymentNotFoundError();
    const provider = this.deps.providers.get(payment.provider);
    if (!provider) throw new UnknownProviderError();
    try {
      const created = await provider.createRefund({
        refundId: r.id,
        paymentId: payment.id,
        providerPaymentId: payment.providerPaymentId,
        amount: r.amount,
      });
      const moved = await rev.updateReversal(db, r.id, { status: 'submitted', providerRef: created.providerRefundId }, [
        'pending',
      ]);
      // Its webhook may have confirmed it first: keep the provider's id all the same.
      if (!moved) await rev.updateReversal(db, r.id, { providerRef: created.providerRefundId });
    } catch (err) {
      if (!(err instanceof ProviderRefusedError)) throw err;
      await withRetryableTransaction(db, async (tx) => {
        // The payment first, as webhooks lock it: one lock order for both paths.
        await repo.lockPayment(tx, r.paymentId);
        const locked = await rev.lockReversal(tx, r.id);
        if (locked?.status !== 'pending') return;
        await giveBack(tx, locked, 'failed', { actor: { type: 'provider', id: provider.name } });
      });
    }
  }
}
