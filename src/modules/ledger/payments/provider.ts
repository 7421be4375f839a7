/**
 * What the wallet needs from a payment provider, and nothing about which one it is. A provider
 * moves real money; the ledger mirrors it through the `gateway` account once the provider
 * confirms, which it does only through signed webhooks.
 */

export interface DepositRequest {
  /** Our payment id: providers use it as their idempotency key, so a retried call cannot charge twice. */
  paymentId: string;
  userId: string;
  /** Coin minor units. */
  amount: bigint;
}

export interface DepositCreated {
  providerPaymentId: string;
  /** The provider's own checkout page, when `checkoutUrl()` is a link of ours that forwards there. */
  checkoutUrl?: string;
}

export interface PayoutRequest extends DepositRequest {
  /** Where the money goes, opened from its sealed form just for this call (never stored or logged in clear). */
  destination?: string;
}

export interface RefundRequest {
  /** Our refund id: the provider's idempotency key for the refund call. */
  refundId: string;
  /** The deposit being refunded, and the provider's id for it. */
  paymentId: string;
  providerPaymentId: string;
  /** Coin minor units to refund (at most the deposit's amount). */
  amount: bigint;
}

export interface RefundCreated {
  providerRefundId: string;
}

export interface PayoutCreated {
  providerPaymentId: string;
}

export type ProviderEventType =
  | 'deposit.succeeded'
  | 'deposit.failed'
  | 'payout.succeeded'
  | 'payout.failed'
  /** Money of a settled deposit went back to the payer (`amount`: the refunded part, coin minor units). */
  | 'deposit.refunded'
  /** The payer disputed a settled deposit; the provider has taken the disputed `amount` back. */
  | 'dispute.opened'
  /** The dispute was decided for us: the provider returns the money. */
  | 'dispute.won'
  /** The dispute was decided for the payer: the money stays gone. */
  | 'dispute.lost';

/** A verified webhook, reduced to what the wallet acts on. */
export interface ProviderEvent {
  /** Unique per event at the provider: the same id is processed once. */
  eventId: string;
  type: ProviderEventType;
  providerPaymentId: string;
  /**
   * Our payment id when the provider echoes it back (metadata): found by it when the event names
   * the payment by another provider object (a payment intent, a charge) than the one registered.
   */
  paymentId?: string;
  /**
   * Another provider id of the same payment, kept so later events naming the payment by it find it
   * (Stripe: a checkout's payment intent, which refunds and disputes name).
   */
  providerReference?: string;
  /** For `dispute.*`: the provider's dispute id (one deposit may be disputed once per charge). */
  disputeId?: string;
  /**
   * For `deposit.refunded`: our refund id when the provider echoes it back (the `refundId` of
   * `createRefund`), so a refund we asked for is recognised and not taken twice.
   */
  refundId?: string;
  /** Amount the provider reports, when it reports one; checked against ours. */
  amount?: bigint;
  reason?: string;
}

export interface SignedWebhook {
  rawBody: string;
  headers: Record<string, string>;
}

export type WebhookHeaders = Record<string, string | string[] | undefined>;

/**
 * A definitive "no" from the provider (the payment will never go through): the payment fails and
 * a payout's held coins return. Any other error from a provider call counts as transient and the
 * call is repeated later.
 */
export class ProviderRefusedError extends Error {
  constructor(readonly reason: string) {
    super(`the payment provider refused the payment: ${reason}`);
  }
}

/**
 * Calls that reach the provider's network (`createDeposit`, `createPayout`) are made after the
 * transaction that recorded the payment has committed, never inside it, and may be repeated for
 * one payment (a redelivered event, a crash between the call and recording its answer): the
 * payment id is the provider-side idempotency key, so a repeat returns the same provider payment.
 */
export interface PaymentProvider {
  readonly name: string;
  /**
   * Where the payer of a deposit goes, computed from the request alone (no network call), so the
   * deposit's reply carries it before the provider has been called. It must stay valid once the
   * deposit is registered; a provider that learns its checkout address only on registration
   * returns a stable link of its own that forwards there.
   */
  checkoutUrl(request: DepositRequest): string;
  /** Registers a deposit; the payer can pay once this has returned. */
  createDeposit(request: DepositRequest): Promise<DepositCreated>;
  /** Asks for a payout of coins already held by the ledger. */
  createPayout(request: PayoutRequest): Promise<PayoutCreated>;
  /** Asks the provider to return (part of) a settled deposit to its payer. */
  createRefund(request: RefundRequest): Promise<RefundCreated>;
  /**
   * Checks the signature and freshness of a webhook and parses it; throws WebhookRejectedError
   * when it cannot be trusted. `now` is the receiving clock. Null for a genuine event the wallet
   * has no use for: it is acknowledged and nothing is written.
   */
  parseWebhook(rawBody: string, headers: WebhookHeaders, now: Date): ProviderEvent | null;
  /**
   * Test providers only: produce the webhook the provider would send when a payment completes or
   * fails (the sandbox's checkout page and the admin route use it).
   */
  simulate?(
    providerPaymentId: string,
    type: ProviderEventType,
    amount: bigint,
    refs?: { disputeId?: string; refundId?: string },
  ): SignedWebhook;
}
