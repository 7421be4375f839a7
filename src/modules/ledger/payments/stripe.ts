import Stripe from 'stripe';
import { PaymentMismatchError, WebhookRejectedError } from '../errors.ts';
import {
  ProviderRefusedError,
  type DepositCreated,
  type DepositRequest,
  type PaymentProvider,
  type PayoutCreated,
  type PayoutRequest,
  type ProviderEvent,
  type RefundCreated,
  type RefundRequest,
  type WebhookHeaders,
} from './provider.ts';
import { mapStripeEvent, type StripeAmounts } from './stripe-events.ts';

export interface StripeOptions {
  secretKey: string;
  /** The endpoint's signing secret (`whsec_…`). */
  webhookSecret: string;
  /** ISO currency, lower case, charged for deposits and paid out. */
  currency: string;
  /** Coin minor units one minor unit of the currency buys (1: a coin costs 1.00). */
  coinUnitsPerCurrencyUnit: bigint;
  /** This API's public base: our checkout links point here. */
  baseUrl: string;
  /** Where Stripe's checkout sends the payer back (`?deposit=<id>&result=paid|cancelled` added). */
  returnUrl: string;
  toleranceSeconds: number;
  /** Only to reach a local mock of Stripe's API. */
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

const STRIPE_ACCOUNT = /^acct_[A-Za-z0-9]+$/;

/**
 * Money in through Stripe Checkout, out through Connect transfers to the user's connected
 * account. Every create call carries our id as Stripe's idempotency key, so a repeated
 * registration returns the object the first one created. Stripe speaks currency minor units;
 * amounts are converted with the configured price and must convert exactly.
 */
export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe';
  private readonly stripe: Stripe;
  private readonly amounts: StripeAmounts;

  constructor(private readonly opts: StripeOptions) {
    this.stripe = new Stripe(opts.secretKey, {
      // The SDK repeats a failed call with the same idempotency key; past that the outbox retries.
      maxNetworkRetries: 2,
      timeout: 20_000,
      telemetry: false,
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.port ? { port: opts.port } : {}),
      ...(opts.protocol ? { protocol: opts.protocol } : {}),
    });
    this.amounts = {
      currency: opts.currency,
      livemode: opts.secretKey.includes('_live_'),
      toCoins: (amount, currency) => this.toCoins(amount, currency),
    };
  }

  /** Stripe learns its checkout page only when the session is created: ours forwards there. */
  checkoutUrl(r: DepositRequest): string {
    return `${this.opts.baseUrl}/api/payments/stripe/checkout/${r.paymentId}`;
  }

  async createDeposit(r: DepositRequest): Promise<DepositCreated> {
    const unitAmount = this.toCurrency(r.amount);
    const back = `${this.opts.returnUrl}${this.opts.returnUrl.includes('?') ? '&' : '?'}deposit=${r.paymentId}`;
    const metadata = { paymentId: r.paymentId };
    const session = await this.call(() =>
      this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: this.opts.currency,
                unit_amount: unitAmount,
                product_data: { name: `${r.amount / 100n}.${String(r.amount % 100n).padStart(2, '0')} coins` },
              },
            },
          ],
          client_reference_id: r.paymentId,
          metadata,
          payment_intent_data: { metadata },
          success_url: `${back}&result=paid`,
          cancel_url: `${back}&result=cancelled`,
        },
        { idempotencyKey: r.paymentId },
      ),
    );
    if (!session.url) throw new Error('Stripe returned a checkout session without a url');
    return { providerPaymentId: session.id, checkoutUrl: session.url };
  }

  async createPayout(r: PayoutRequest): Promise<PayoutCreated> {
    const account = connectedAccount(r.destination);
    if (!account) throw new ProviderRefusedError('no Stripe connected account to pay out to');
    const amount = this.toCurrency(r.amount);
    const transfer = await this.call(() =>
      this.stripe.transfers.create(
        {
          amount,
          currency: this.opts.currency,
          destination: account,
          transfer_group: r.paymentId,
          metadata: { paymentId: r.paymentId },
        },
        { idempotencyKey: r.paymentId },
      ),
    );
    return { providerPaymentId: transfer.id };
  }

  async createRefund(r: RefundRequest): Promise<RefundCreated> {
    const amount = this.toCurrency(r.amount);
    // Deposits are registered by their checkout session; a refund names the session's payment intent.
    let paymentIntent = r.providerPaymentId;
    if (paymentIntent.startsWith('cs_')) {
      const session = await this.call(() => this.stripe.checkout.sessions.retrieve(r.providerPaymentId));
      const pi = session.payment_intent;
      if (!pi) throw new ProviderRefusedError('the checkout was never paid');
      paymentIntent = typeof pi === 'string' ? pi : pi.id;
    }
    const refund = await this.call(() =>
      this.stripe.refunds.create(
        { payment_intent: paymentIntent, amount, metadata: { paymentId: r.paymentId, refundId: r.refundId } },
        { idempotencyKey: r.refundId },
      ),
    );
    return { providerRefundId: refund.id };
  }

  parseWebhook(rawBody: string, headers: WebhookHeaders, now: Date): ProviderEvent | null {
    const header = headers['stripe-signature'];
    if (typeof header !== 'string' || header.length > 2000) {
      throw new WebhookRejectedError('invalid_signature', 'The webhook signature does not verify');
    }
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const { webhookSecret: secret, toleranceSeconds: tolerance } = this.opts;
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, header, secret, tolerance, undefined, now.getTime());
    } catch (err) {
      if (!(err instanceof Stripe.errors.StripeSignatureVerificationError)) {
        throw new WebhookRejectedError('malformed_webhook', 'The webhook body is not a Stripe event');
      }
      // Tolerance 0 skips the age check: a signature that verifies then was only too old.
      throw this.signedIgnoringAge(rawBody, header)
        ? new WebhookRejectedError('stale_webhook', 'The webhook timestamp is outside the accepted window')
        : new WebhookRejectedError('invalid_signature', 'The webhook signature does not verify');
    }
    // The SDK only refuses old timestamps; one far in the future is as suspect.
    const t = Number(/(?:^|,)t=(\d{1,12})(?:,|$)/.exec(header)?.[1]);
    if (t - nowSeconds > tolerance) {
      throw new WebhookRejectedError('stale_webhook', 'The webhook timestamp is outside the accepted window');
    }
    return mapStripeEvent(event, this.amounts);
  }

  private signedIgnoringAge(rawBody: string, header: string): boolean {
    try {
      return this.stripe.webhooks.signature?.verifyHeader(rawBody, header, this.opts.webhookSecret, 0) === true;
    } catch {
      return false;
    }
  }

  /** Coin minor units to the currency's minor units; an amount that does not convert exactly is refused. */
  private toCurrency(coins: bigint): number {
    const ratio = this.opts.coinUnitsPerCurrencyUnit;
    const amount = coins / ratio;
    if (coins % ratio !== 0n || amount <= 0n || amount > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ProviderRefusedError(`the amount is not a whole number of ${this.opts.currency} minor units`);
    }
    return Number(amount);
  }

  private toCoins(amount: number | null | undefined, currency: string | null | undefined): bigint {
    if (currency?.toLowerCase() !== this.opts.currency) {
      throw new PaymentMismatchError(`The provider reports an amount in ${currency ?? 'no currency'}`);
    }
    if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) {
      throw new WebhookRejectedError('malformed_webhook', 'The webhook carries no valid amount');
    }
    return BigInt(amount) * this.opts.coinUnitsPerCurrencyUnit;
  }

  /**
   * Stripe's answers mapped to ours: a card or invalid-request error is Stripe's definitive no;
   * anything else (network, rate limit, 5xx, authentication) is thrown as is and retried later.
   */
  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError || err instanceof Stripe.errors.StripeInvalidRequestError) {
        throw new ProviderRefusedError(err.decline_code ?? err.code ?? err.type);
      }
      throw err;
    }
  }
}

/**
 * The connected account a payout goes to: the destination as opened from its sealed form, either
 * the account id itself or a JSON object holding it.
 */
function connectedAccount(destination: string | undefined): string | undefined {
  if (!destination) return undefined;
  if (STRIPE_ACCOUNT.test(destination)) return destination;
  try {
    const parsed: unknown = JSON.parse(destination);
    if (parsed && typeof parsed === 'object') {
      return Object.values(parsed).find((v): v is string => typeof v === 'string' && STRIPE_ACCOUNT.test(v));
    }
  } catch {
    // Not JSON: not an account id either.
  }
  return undefined;
}
