import { uuidv7 } from 'uuidv7';
import { appendAudit, type AuditEntry, type RequestOrigin } from '../../../platform/audit/index.ts';
import type { Db } from '../../../platform/db/tx.ts';
import { recordEvent } from '../../../platform/events/index.ts';
import { withRetryableTransaction } from '../../../platform/http/idempotency.ts';
import { COIN, SYSTEM_ACCOUNTS } from '../accounts.ts';
import { PaymentMismatchError, PaymentNotFoundError, UnknownProviderError } from '../errors.ts';
import { keyOf } from '../legs.ts';
import * as ledger from '../service.ts';
import { checkAmount, useDailyAllowance, type Limits } from '../wallet-service.ts';
import type { PaymentProvider, ProviderEvent } from './provider.ts';
import * as repo from './repo.ts';

export const PAYMENT_EVENTS = {
  /** Payload: `{ userId, paymentId, direction, status, amount (string) }`. */
  settled: 'wallet.payment_settled',
} as const;

export type WebhookOutcome = 'applied' | 'duplicate' | 'ignored';

export interface PaymentsDeps {
  db: Db;
  limits: Limits;
  /** The provider new payments go through. */
  provider: PaymentProvider;
  /** Every provider whose webhooks are accepted, by name (payments made earlier may use another). */
  providers: ReadonlyMap<string, PaymentProvider>;
  now: () => Date;
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
    createdAt: p.createdAt.toISOString(),
  };
}

const userActor = (userId: string) => ({ type: 'user' as const, id: userId });

/**
 * Deposits and withdrawals through whichever provider is configured: this code only sees the
 * PaymentProvider interface. Money is credited or paid out only on the provider's signed word.
 */
export class Payments {
  constructor(private readonly deps: PaymentsDeps) {}

  /** Opens a deposit: a pending payment and a checkout link; no coins move yet. */
  async deposit(tx: Db, userId: string, amount: bigint, origin?: RequestOrigin) {
    checkAmount(this.deps.limits, amount);
    await useDailyAllowance(tx, this.deps.limits, userId, 'deposit', amount);
    const id = uuidv7();
    const { provider } = this.deps;
    const created = await provider.createDeposit({ paymentId: id, userId, amount });
    const payment = await repo.insertPayment(tx, {
      id,
      userId,
      direction: 'deposit',
      provider: provider.name,
      providerPaymentId: created.providerPaymentId,
      amount,
      status: 'pending',
      checkoutUrl: created.checkoutUrl,
    });
    await appendAudit(tx, {
      actor: userActor(userId),
      action: 'payment.deposit.created',
      target: { type: 'payment', id },
      asset: COIN,
      amount,
      ...(origin ? { origin } : {}),
    });
    return { payment: paymentView(payment) };
  }

  /** Holds the amount (pending) and asks the provider to pay it out. */
  async withdraw(tx: Db, userId: string, amount: bigint, origin?: RequestOrigin) {
    checkAmount(this.deps.limits, amount);
    const wallet = await ledger.ensureWallet(tx, userId);
    const id = uuidv7();
    const hold = await ledger.transfer(tx, {
      kind: 'withdrawal',
      reference: id,
      legs: [{ from: wallet, to: SYSTEM_ACCOUNTS.gateway, asset: COIN, amount }],
      pending: true,
      audit: { actor: userActor(userId), ...(origin ? { origin } : {}) },
    });
    await useDailyAllowance(tx, this.deps.limits, userId, 'withdrawal', amount);
    const { provider } = this.deps;
    const created = await provider.createPayout({ paymentId: id, userId, amount });
    const payment = await repo.insertPayment(tx, {
      id,
      userId,
      direction: 'payout',
      provider: provider.name,
      providerPaymentId: created.providerPaymentId,
      amount,
      status: 'pending',
      transferId: hold.id,
    });
    const after = hold.after.get(keyOf(wallet, COIN)) ?? { available: 0n, held: 0n };
    return { payment: paymentView(payment), balance: { asset: COIN, ...after, total: after.available + after.held } };
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
    if (!provider) throw new UnknownProviderError();
    const event = provider.parseWebhook(rawBody, headers, this.deps.now());
    return withRetryableTransaction(this.deps.db, async (tx) => {
      const outcome = await this.apply(tx, provider.name, event);
      if (adminAudit && outcome !== 'duplicate') await appendAudit(tx, adminAudit);
      return outcome;
    });
  }

  private async apply(tx: Db, providerName: string, event: ProviderEvent): Promise<WebhookOutcome> {
    const payment = await repo.lockPaymentByProviderId(tx, providerName, event.providerPaymentId);
    if (!payment) throw new PaymentNotFoundError();
    if (await repo.providerEventSeen(tx, providerName, event.eventId)) return 'duplicate';
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

    const audit = { actor: { type: 'provider' as const, id: providerName } };
    let transferId: string | undefined;
    if (direction === 'deposit' && result === 'succeeded') {
      const wallet = await ledger.ensureWallet(tx, payment.userId);
      const credit = await ledger.transfer(tx, {
        kind: 'deposit',
        reference: payment.id,
        legs: [{ from: SYSTEM_ACCOUNTS.gateway, to: wallet, asset: COIN, amount: payment.amount }],
        audit,
      });
      transferId = credit.id;
    } else if (direction === 'payout' && payment.transferId) {
      if (result === 'succeeded') await ledger.postPending(tx, payment.transferId, audit);
      else await ledger.voidPending(tx, payment.transferId, audit);
    }
    await repo.settlePayment(tx, payment.id, {
      status: result,
      ...(transferId ? { transferId } : {}),
      failureReason: result === 'failed' ? (event.reason ?? 'failed') : null,
    });
    await appendAudit(tx, {
      actor: audit.actor,
      action: `payment.${direction}.${result}`,
      target: { type: 'payment', id: payment.id },
      asset: COIN,
      amount: payment.amount,
      details: { eventId: event.eventId, userId: payment.userId },
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
    return outcome;
  }

  /**
   * Has the provider send the webhook it would send when `paymentId` completes or fails (test
   * providers only); the admin action is audited with the event it caused.
   */
  async simulate(paymentId: string, result: 'succeeded' | 'failed', actorId: string, origin?: RequestOrigin) {
    const payment = await repo.getPayment(this.deps.db, paymentId);
    if (!payment) throw new PaymentNotFoundError();
    const provider = this.deps.providers.get(payment.provider);
    if (!provider?.simulate) throw new UnknownProviderError();
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
