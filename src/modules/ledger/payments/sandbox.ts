import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WebhookRejectedError } from '../errors.ts';
import type {
  DepositCreated,
  DepositRequest,
  PaymentProvider,
  PayoutCreated,
  PayoutRequest,
  RefundCreated,
  RefundRequest,
  ProviderEvent,
  ProviderEventType,
  SignedWebhook,
  WebhookHeaders,
} from './provider.ts';

export const SANDBOX_SIGNATURE_HEADER = 'sandbox-signature';

const EVENT_TYPES = new Set<ProviderEventType>([
  'deposit.succeeded',
  'deposit.failed',
  'payout.succeeded',
  'payout.failed',
  'deposit.refunded',
  'dispute.opened',
  'dispute.won',
  'dispute.lost',
]);

/** Provider ids of refunds and disputes, as the sandbox's webhooks carry them. */
const REF = /^[A-Za-z0-9_.:-]{1,100}$/;

export interface SandboxOptions {
  secret: string;
  /** Public base URL of this service: the sandbox's checkout pages are served by it. */
  baseUrl: string;
  toleranceSeconds: number;
  now?: () => Date;
}

/**
 * A payment provider that moves no real money but behaves like one: deposits wait on a checkout
 * page, and every outcome arrives as a webhook signed with HMAC-SHA256 over `<timestamp>.<body>`
 * (header `Sandbox-Signature: t=<unix seconds>,v1=<hex>`), like the large providers do it. It keeps
 * no state: checkout links carry their payment, signed with the same secret.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  private readonly now: () => Date;

  constructor(private readonly opts: SandboxOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  private mac(text: string): string {
    return createHmac('sha256', this.opts.secret).update(text).digest('hex');
  }

  checkoutUrl(r: DepositRequest): string {
    // Short enough for a URL path segment: payment id (hex), amount, and a MAC over both.
    const payload = `${r.paymentId.replaceAll('-', '')}-${r.amount}`;
    const token = `${payload}.${this.mac(`checkout.${payload}`).slice(0, 24)}`;
    return `${this.opts.baseUrl}/api/payments/sandbox/checkout/${token}`;
  }

  // Stateless: the same payment id always yields the same provider payment, as an idempotency key would.
  async createDeposit(r: DepositRequest): Promise<DepositCreated> {
    return { providerPaymentId: `sbx_dep_${r.paymentId}` };
  }

  async createPayout(r: PayoutRequest): Promise<PayoutCreated> {
    return { providerPaymentId: `sbx_pay_${r.paymentId}` };
  }

  async createRefund(r: RefundRequest): Promise<RefundCreated> {
    return { providerRefundId: `sbx_ref_${r.refundId}` };
  }

  /** The payment a checkout link stands for, or undefined when the link was not issued by us. */
  openCheckout(token: string): { paymentId: string; providerPaymentId: string; amount: bigint } | undefined {
    const match = /^([0-9a-f]{32})-([1-9][0-9]{0,18})\.([0-9a-f]{24})$/.exec(token);
    if (!match) return undefined;
    const [, hex = '', amount = '', mac = ''] = match;
    if (!safeEqual(mac, this.mac(`checkout.${hex}-${amount}`).slice(0, 24))) return undefined;
    const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    return { paymentId: id, providerPaymentId: `sbx_dep_${id}`, amount: BigInt(amount) };
  }

  simulate(
    providerPaymentId: string,
    type: ProviderEventType,
    amount: bigint,
    refs: { disputeId?: string; refundId?: string } = {},
  ): SignedWebhook {
    const body = JSON.stringify({
      id: `evt_${randomBytes(12).toString('hex')}`,
      type,
      created: Math.floor(this.now().getTime() / 1000),
      data: {
        payment_id: providerPaymentId,
        amount: amount.toString(),
        ...(type.endsWith('failed') ? { reason: 'declined' } : {}),
        ...(refs.disputeId ? { dispute_id: refs.disputeId } : {}),
        ...(refs.refundId ? { refund_id: refs.refundId } : {}),
      },
    });
    return { rawBody: body, headers: this.sign(body) };
  }

  /** Signs a body as the sandbox would at `at` (default now). */
  sign(rawBody: string, at: Date = this.now()): Record<string, string> {
    const t = Math.floor(at.getTime() / 1000);
    return {
      [SANDBOX_SIGNATURE_HEADER]: `t=${t},v1=${this.mac(`${t}.${rawBody}`)}`,
      'content-type': 'application/json',
    };
  }

  parseWebhook(rawBody: string, headers: WebhookHeaders, now: Date): ProviderEvent {
    const header = headers[SANDBOX_SIGNATURE_HEADER];
    const parts = new Map(
      (typeof header === 'string' ? header : '').split(',').map((p) => p.trim().split('=', 2) as [string, string]),
    );
    const t = parts.get('t');
    const v1 = parts.get('v1');
    if (!t || !/^[0-9]{1,12}$/.test(t) || !v1 || !safeEqual(v1, this.mac(`${t}.${rawBody}`))) {
      throw new WebhookRejectedError('invalid_signature', 'The webhook signature does not verify');
    }
    const age = now.getTime() / 1000 - Number(t);
    if (Math.abs(age) > this.opts.toleranceSeconds) {
      throw new WebhookRejectedError('stale_webhook', 'The webhook timestamp is outside the accepted window');
    }
    let parsed: {
      id?: unknown;
      type?: unknown;
      data?: { payment_id?: unknown; amount?: unknown; reason?: unknown; dispute_id?: unknown; refund_id?: unknown };
    };
    try {
      parsed = JSON.parse(rawBody) as typeof parsed;
    } catch {
      throw new WebhookRejectedError('malformed_webhook', 'The webhook body is not JSON');
    }
    const { id, type, data } = parsed;
    if (typeof id !== 'string' || !id || typeof type !== 'string' || !EVENT_TYPES.has(type as ProviderEventType)) {
      throw new WebhookRejectedError('malformed_webhook', 'The webhook has no event id or an unknown type');
    }
    if (!data || typeof data.payment_id !== 'string') {
      throw new WebhookRejectedError('malformed_webhook', 'The webhook names no payment');
    }
    const amount =
      typeof data.amount === 'string' && /^[0-9]{1,19}$/.test(data.amount) ? BigInt(data.amount) : undefined;
    return {
      eventId: id,
      type: type as ProviderEventType,
      providerPaymentId: data.payment_id,
      ...(amount !== undefined ? { amount } : {}),
      ...(typeof data.reason === 'string' ? { reason: data.reason.slice(0, 200) } : {}),
      ...(typeof data.dispute_id === 'string' && REF.test(data.dispute_id) ? { disputeId: data.dispute_id } : {}),
      ...(typeof data.refund_id === 'string' && REF.test(data.refund_id) ? { refundId: data.refund_id } : {}),
    };
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
