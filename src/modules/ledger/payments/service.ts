import { uuidv7 } from 'uuidv7';
import { appendAudit, type AuditEntry, type RequestOrigin } from '../../../platform/audit/index.ts';
import { afterCommit, withRetryableTransaction, type Db } from '../../../platform/db/tx.ts';
import { AppError } from '../../../platform/http/errors.ts';
import { business, countValue } from '../../../platform/metrics/metrics.ts';
import { recordEvent } from '../../../platform/events/index.ts';
import { COIN, systemShard } from '../accounts.ts';
import {
  PaymentMismatchError,
  PaymentNotFoundError,
  PaymentNotRegisteredError,
  UnknownProviderError,
} from '../errors.ts';
import { keyOf } from '../legs.ts';
import * as ledger from '../service.ts';
import {
  checkAmount,
  checkDailyAllowance,
  countDailyUsage,
  useDailyAllowance,
  type Limits,
} from '../wallet-service.ts';
import { ProviderRefusedError, type DepositCreated, type PaymentProvider, type ProviderEvent } from './provider.ts';
import * as repo from './repo.ts';
import { REVERSAL_EVENT_TYPES, applyReversalEvent, assertNotFrozen, repayOwed } from './reversals.ts';
import { owedBy } from './reversals-repo.ts';
import { OPEN_POLICY, countPayout, openDestination, payoutDestinationFor, type PayoutPolicy } from './payouts.ts';

export const PAYMENT_EVENTS = {
  /** Payload: `{ userId, paymentId, direction, status, amount (string) }`. */
  settled: 'wallet.payment_settled',
  /** A committed payment to register with its provider. Payload: `{ paymentId }`. */
  requested: 'wallet.payment_requested',
} as const;

/** The provider is called by this event's handler, after the payment's transaction commits. */
export async function requestRegistration(tx: Db, paymentId: string): Promise<void> {
  await recordEvent(tx, {
    type: PAYMENT_EVENTS.requested,
    aggregateType: 'payment',
    aggregateId: paymentId,
    payload: { paymentId },
  });
}

export type WebhookOutcome = 'applied' | 'duplicate' | 'ignored';

/**
 * A check other modules add to deposits (betting's responsible-play limits): it throws an
 * `AppError` to refuse. `depositedSince` sums the user's deposits (pending or succeeded) since a time.
 */
export type DepositGuard = (
  tx: Db,
  input: { userId: string; amount: bigint; depositedSince: (since: Date) => Promise<bigint> },
) => Promise<void>;

export interface PaymentsDeps {
  db: Db;
  limits: Limits;
  /** The provider new payments go through. */
  provider: PaymentProvider;
  /** Every provider whose webhooks are accepted, by name (payments made earlier may use another). */
  providers: ReadonlyMap<string, PaymentProvider>;
  now: () => Date;
  /** Checks run before a deposit opens (registered by other modules through `registerDepositGuard`). */
  depositGuards?: readonly DepositGuard[];
  /** Destinations, review threshold and velocity limits of withdrawals (none when absent). */
  payouts?: PayoutPolicy;
}

export function paymentView(p: repo.PaymentRow) {
  return {
    id: p.id,
    direction: p.direction,
    status: p.status,
    amount: p.amount,
    provider: p.provider,
    checkoutUrl: p.checkoutUrl,
    transferId: p.transferId,
    destinationId: p.destinationId,
    createdAt: p.createdAt.toISOString(),
  };
}

const userActor = (userId: string) => ({ type: 'user' as const, id: userId });

/** Who settles a payment: its provider's word, or the platform refusing to pay it out. */
type SettleActor = { type: 'provider' | 'system'; id: string };

/**
 * Deposits and withdrawals through whichever provider is configured: this code only sees the
 * PaymentProvider interface. Money is credited or paid out only on the provider's signed word.
 */
export class Payments {
  constructor(private readonly deps: PaymentsDeps) {}

  /** The withdrawal rules in force (destinations, review threshold, velocity), if configured. */
  get payoutPolicy(): PayoutPolicy | undefined {
    return this.deps.payouts;
  }

  /**
   * Opens a deposit: a pending payment and its checkout link; no coins move yet. The provider is
   * asked to register it after this transaction commits (`register`); the link is known now.
   * Only settled deposits count against the daily limit, so failed or abandoned checkouts do not
   * use it up; deposits opened together may between them pass it, each paid by the payer.
   */
  async deposit(tx: Db, userId: string, amount: bigint, origin?: RequestOrigin) {
    checkAmount(this.deps.limits, amount);
    await checkDailyAllowance(tx, this.deps.limits, userId, 'deposit', amount);
    for (const guard of this.deps.depositGuards ?? []) {
      await guard(tx, { userId, amount, depositedSince: (since) => repo.depositedSince(tx, userId, since) });
    }
    const id = uuidv7();
    const { provider } = this.deps;
    const payment = await repo.insertPayment(tx, {
      id,
      userId,
      direction: 'deposit',
      provider: provider.name,
      amount,
      status: 'pending',
      checkoutUrl: provider.checkoutUrl({ paymentId: id, userId, amount }),
    });
    await appendAudit(tx, {
      actor: userActor(userId),
      action: 'payment.deposit.created',
      target: { type: 'payment', id },
      asset: COIN,
      amount,
      ...(origin ? { origin } : {}),
    });
    await requestRegistration(tx, id);
    return { payment: paymentView(payment) };
  }

  /**
   * Holds the amount (pending) for a payout to one of the user's destinations. Up to the review
   * threshold the provider is asked for the payout once this commits; above it the payout waits,
   * held, in status `review` until an admin approves or rejects it (`payout-review.ts`).
   */
  async withdraw(tx: Db, userId: string, amount: bigint, origin?: RequestOrigin, destinationId?: string) {
    checkAmount(this.deps.limits, amount);
    await assertNotFrozen(tx, userId);
    const policy = this.deps.payouts ?? OPEN_POLICY;
    const destination = await payoutDestinationFor(tx, policy, userId, destinationId);
    const wallet = await ledger.ensureWallet(tx, userId);
    const id = uuidv7();
    const hold = await ledger.transfer(tx, {
      kind: 'withdrawal',
      reference: id,
      legs: [{ from: wallet, to: systemShard('gateway', userId), asset: COIN, amount }],
      pending: true,
      audit: { actor: userActor(userId), ...(origin ? { origin } : {}) },
    });
    await useDailyAllowance(tx, this.deps.limits, userId, 'withdrawal', amount);
    await countPayout(tx, policy, userId);
    const review = amount > policy.reviewAbove;
    const payment = await repo.insertPayment(tx, {
      id,
      userId,
      direction: 'payout',
      provider: this.deps.provider.name,
      amount,
      status: review ? 'review' : 'pending',
      transferId: hold.id,
      destinationId: destination,
    });
    if (review) {
      await appendAudit(tx, {
        actor: userActor(userId),
        action: 'payment.payout.review',
        target: { type: 'payment', id },
        asset: COIN,
        amount,
        details: { reviewAbove: policy.reviewAbove.toString() },
        ...(origin ? { origin } : {}),
      });
    } else {
      await requestRegistration(tx, id);
    }
    const after = hold.after.get(keyOf(wallet, COIN)) ?? { available: 0n, held: 0n };
    return { payment: paymentView(payment), balance: { asset: COIN, ...after, total: after.available + after.held } };
  }

  /**
   * Registers a committed payment with its provider (the `requested` event's handler). Runs
   * outside any transaction: the network call holds no lock. Safe to repeat: a registered or
   * settled payment is left alone, and the payment id is the provider's idempotency key, so two
   * overlapping calls get one provider payment. A refusal fails the payment (a payout's coins
   * return); any other error is thrown so the event is delivered again later.
   */
  async register(paymentId: string): Promise<void> {
    const { db } = this.deps;
    const payment = await repo.getPayment(db, paymentId);
    if (!payment || payment.providerPaymentId !== null || payment.status !== 'pending') return;
    const provider = this.deps.providers.get(payment.provider);
    if (!provider) throw new UnknownProviderError();
    if (payment.direction === 'payout' && (await owedBy(db, payment.userId)) > 0n) {
      // A refund or dispute left coins owed after this payout was requested: it is not paid out.
      await this.failUnregistered(paymentId, 'account_frozen', { type: 'system', id: 'payments' });
      return;
    }
    const request = { paymentId, userId: payment.userId, amount: payment.amount };
    let providerPaymentId: string;
    let providerCheckoutUrl: string | undefined;
    try {
      const created: DepositCreated =
        payment.direction === 'deposit'
          ? await provider.createDeposit(request)
          : await provider.createPayout(
              payment.destinationId
                ? {
                    ...request,
                    destination: await openDestination(db, this.deps.payouts ?? OPEN_POLICY, payment.destinationId),
                  }
                : request,
            );
      providerPaymentId = created.providerPaymentId;
      providerCheckoutUrl = created.checkoutUrl;
    } catch (err) {
      if (!(err instanceof ProviderRefusedError)) throw err;
      await this.failUnregistered(paymentId, err.reason, { type: 'provider', id: provider.name });
      return;
    }
    await repo.recordRegistration(db, paymentId, providerPaymentId, providerCheckoutUrl);
  }

  /** Fails a payment the provider has not registered (a payout's held coins return). */
  private async failUnregistered(paymentId: string, reason: string, actor: SettleActor): Promise<void> {
    await withRetryableTransaction(this.deps.db, async (tx) => {
      const locked = await repo.lockPayment(tx, paymentId);
      if (!locked || locked.status !== 'pending' || locked.providerPaymentId !== null) return;
      await this.settle(tx, locked, 'failed', reason, actor, {});
    });
  }

  /**
   * A provider callback. The signature and timestamp are checked before anything is read or
   * written; then, in one transaction, the event is applied to its payment at most once.
   */
  async handleWebhook(
    providerName: string,
    rawBody: string,
    headers: Record<string, string | string[] | undefined>,
    adminAudit?: AuditEntry,
  ): Promise<WebhookOutcome> {
    const provider = this.deps.providers.get(providerName);
    if (!provider) {
      business.webhooks.inc({ provider: 'unknown', outcome: 'rejected' });
      throw new UnknownProviderError();
    }
    try {
      const event = provider.parseWebhook(rawBody, headers, this.deps.now());
      if (!event) {
        business.webhooks.inc({ provider: provider.name, outcome: 'ignored' });
        return 'ignored';
      }
      const outcome = await withRetryableTransaction(this.deps.db, async (tx) => {
        const applied = await this.apply(tx, provider.name, event);
        if (adminAudit && applied !== 'duplicate') await appendAudit(tx, adminAudit);
        return applied;
      });
      business.webhooks.inc({ provider: provider.name, outcome });
      return outcome;
    } catch (err) {
      // Refusals (bad signature, unknown payment, amount mismatch) are 4xx; anything else is an error.
      const refused = err instanceof AppError && err.status < 500;
      business.webhooks.inc({ provider: provider.name, outcome: refused ? 'rejected' : 'error' });
      throw err;
    }
  }

  private async apply(tx: Db, providerName: string, event: ProviderEvent): Promise<WebhookOutcome> {
    const payment = await repo.lockPaymentByProviderId(tx, providerName, event.providerPaymentId, event.paymentId);
    if (!payment) throw new PaymentNotFoundError();
    if (await repo.providerEventSeen(tx, providerName, event.eventId)) return 'duplicate';
    // Refunds and disputes of a settled deposit: see reversals.ts.
    if (REVERSAL_EVENT_TYPES.has(event.type)) return applyReversalEvent(tx, providerName, payment, event);
    if (event.providerReference && payment.providerReference === null) {
      await repo.recordProviderReference(tx, payment.id, event.providerReference);
    }
    const [direction, result] = event.type.split('.') as ['deposit' | 'payout', 'succeeded' | 'failed'];
    const applicable = payment.status === 'pending' && (direction === 'deposit') === (payment.direction === 'deposit');
    if (applicable && event.amount !== undefined && event.amount !== payment.amount) {
      throw new PaymentMismatchError(`The provider reports ${event.amount}, the payment is for ${payment.amount}`);
    }
    const outcome: WebhookOutcome = applicable ? 'applied' : 'ignored';
    await repo.recordProviderEvent(tx, {
      provider: providerName,
      eventId: event.eventId,
      paymentId: payment.id,
      type: event.type,
      outcome,
    });
    if (!applicable) return outcome;

    const actor = { type: 'provider' as const, id: providerName };
    await this.settle(tx, payment, result, event.reason ?? 'failed', actor, { eventId: event.eventId });
    return outcome;
  }

  /**
   * Settles a pending payment in `tx`: credits a successful deposit (counting it against the daily
   * limit), posts or voids a payout's hold, and records the audit row and the `settled` event.
   */
  private async settle(
    tx: Db,
    payment: repo.PaymentRow,
    result: 'succeeded' | 'failed',
    reason: string,
    actor: SettleActor,
    details: Record<string, unknown>,
  ): Promise<void> {
    const audit = { actor };
    let transferId: string | undefined;
    if (payment.direction === 'deposit' && result === 'succeeded') {
      const wallet = await ledger.ensureWallet(tx, payment.userId);
      const credit = await ledger.transfer(tx, {
        kind: 'deposit',
        reference: payment.id,
        legs: [{ from: systemShard('gateway', payment.userId), to: wallet, asset: COIN, amount: payment.amount }],
        audit,
      });
      transferId = credit.id;
      await countDailyUsage(tx, payment.userId, 'deposit', payment.amount);
      // Coins owed from a refunded or disputed deposit are repaid first.
      await repayOwed(tx, payment.userId, audit);
      afterCommit(tx, () => countValue(business.depositedValue, payment.amount));
    } else if (payment.direction === 'payout' && payment.transferId) {
      if (result === 'succeeded') await ledger.postPending(tx, payment.transferId, audit);
      else {
        await ledger.voidPending(tx, payment.transferId, audit);
        // Held coins coming back pay what a refund or dispute left owed first.
        await repayOwed(tx, payment.userId, audit);
      }
    }
    if (payment.direction === 'deposit') afterCommit(tx, () => business.deposits.inc({ result }));
    await repo.settlePayment(tx, payment.id, {
      status: result,
      ...(transferId ? { transferId } : {}),
      failureReason: result === 'failed' ? reason : null,
    });
    await appendAudit(tx, {
      actor,
      action: `payment.${payment.direction}.${result}`,
      target: { type: 'payment', id: payment.id },
      asset: COIN,
      amount: payment.amount,
      details: { ...details, userId: payment.userId },
    });
    await recordEvent(tx, {
      type: PAYMENT_EVENTS.settled,
      aggregateType: 'user',
      aggregateId: payment.userId,
      payload: {
        userId: payment.userId,
        paymentId: payment.id,
        direction: payment.direction,
        status: result,
        amount: payment.amount.toString(),
      },
    });
  }

  /**
   * Has the provider send the webhook it would send when `paymentId` completes or fails (test
   * providers only); the admin action is audited with the event it caused.
   */
  async simulate(paymentId: string, result: 'succeeded' | 'failed', actorId: string, origin?: RequestOrigin) {
    const found = await repo.getPayment(this.deps.db, paymentId);
    if (!found) throw new PaymentNotFoundError();
    const provider = this.deps.providers.get(found.provider);
    if (!provider?.simulate) throw new UnknownProviderError();
    // A payment the provider has not registered yet has no provider id to send events about.
    await this.register(paymentId);
    const payment = (await repo.getPayment(this.deps.db, paymentId)) ?? found;
    if (payment.providerPaymentId === null) throw new PaymentNotRegisteredError();
    const type = `${payment.direction === 'deposit' ? 'deposit' : 'payout'}.${result}` as const;
    const hook = provider.simulate(payment.providerPaymentId, type, payment.amount);
    const outcome = await this.handleWebhook(provider.name, hook.rawBody, hook.headers, {
      actor: userActor(actorId),
      action: 'admin.payment.settle',
      target: { type: 'payment', id: payment.id },
      asset: COIN,
      amount: payment.amount,
      details: { result },
      ...(origin ? { origin } : {}),
    });
    const settled = await repo.getPayment(this.deps.db, paymentId);
    return { outcome, payment: paymentView(settled ?? payment) };
  }
}
