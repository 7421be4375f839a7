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
  /** Where the payer goes to pay. */
  checkoutUrl: string;
}

export type PayoutRequest = DepositRequest;

export interface PayoutCreated {
  providerPaymentId: string;
}

export type ProviderEventType = 'deposit.succeeded' | 'deposit.failed' | 'payout.succeeded' | 'payout.failed';

/** A verified webhook, reduced to what the wallet acts on. */
export interface ProviderEvent {
  /** Unique per event at the provider: the same id is processed once. */
  eventId: string;
  type: ProviderEventType;
  providerPaymentId: string;
  /** Amount the provider reports, when it reports one; checked against ours. */
  amount?: bigint;
  reason?: string;
}

export interface SignedWebhook {
  rawBody: string;
  headers: Record<string, string>;
}

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface PaymentProvider {
  readonly name: string;
  createDeposit(request: DepositRequest): Promise<DepositCreated>;
  createPayout(request: PayoutRequest): Promise<PayoutCreated>;
  /**
   * Checks the signature and freshness of a webhook and parses it; throws WebhookRejectedError
   * when it cannot be trusted. `now` is the receiving clock.
   */
  parseWebhook(rawBody: string, headers: WebhookHeaders, now: Date): ProviderEvent;
  /**
   * Test providers only: produce the webhook the provider would send when a payment completes or
   * fails (the sandbox's checkout page and the admin route use it).
   */
  simulate?(providerPaymentId: string, type: ProviderEventType, amount: bigint): SignedWebhook;
}
