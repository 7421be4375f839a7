import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/** One API call the fake received. */
export interface FakeStripeCall {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
  params: Record<string, unknown>;
}

type StripeObject = Record<string, unknown> & { id: string };
type Failure = 'card_error' | 'invalid_request' | 'server_error';

const FAILURES: Record<Failure, { status: number; error: Record<string, string> }> = {
  card_error: {
    status: 402,
    error: { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'declined' },
  },
  invalid_request: {
    status: 400,
    error: { type: 'invalid_request_error', code: 'balance_insufficient', message: 'insufficient balance' },
  },
  server_error: { status: 500, error: { type: 'api_error', message: 'Stripe had a problem' } },
};

/** `a[b][0][c]=v` form fields, as the Stripe SDK encodes them, back into nested objects. */
function parseForm(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const path = key.split(/[[\]]+/).filter(Boolean);
    let node = out;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return out;
}

const newId = (prefix: string) => `${prefix}_test_${randomBytes(8).toString('hex')}`;

/**
 * A local stand-in for the few endpoints of Stripe's API the provider calls. Like Stripe it
 * answers a repeated Idempotency-Key with the first answer; unlike Stripe it keeps nothing
 * after a 5xx, which stands for a request that never got through.
 */
export class FakeStripe {
  readonly calls: FakeStripeCall[] = [];
  readonly objects = new Map<string, StripeObject>();
  private readonly answers = new Map<string, { status: number; body: unknown }>();
  private readonly failures: Failure[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next calls fail this way, one failure per call. */
  failNext(...failures: Failure[]): void {
    this.failures.push(...failures);
  }

  callsTo(path: string): FakeStripeCall[] {
    return this.calls.filter((c) => c.path === path);
  }

  /** Marks a checkout session paid, as Stripe does when the payer completes it. */
  pay(sessionId: string): { session: StripeObject; paymentIntent: StripeObject } {
    const session = this.objects.get(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    const paymentIntent: StripeObject = {
      id: newId('pi'),
      object: 'payment_intent',
      amount: session.amount_total,
      amount_received: session.amount_total,
      currency: session.currency,
      status: 'succeeded',
      metadata: session.payment_intent_metadata,
    };
    this.objects.set(paymentIntent.id, paymentIntent);
    Object.assign(session, { payment_intent: paymentIntent.id, payment_status: 'paid', status: 'complete' });
    return { session, paymentIntent };
  }

  /** A Stripe event around `object`, and its body and headers as Stripe would send them. */
  event(type: string, object: unknown, opts: { secret: string; timestamp?: number; extra?: object }) {
    const payload = JSON.stringify({
      id: newId('evt'),
      object: 'event',
      api_version: '2026-11-18',
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type,
      data: { object },
      ...opts.extra,
    });
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload,
      secret: opts.secret,
      ...(opts.timestamp !== undefined ? { timestamp: opts.timestamp } : {}),
    });
    return { rawBody: payload, headers: { 'stripe-signature': signature, 'content-type': 'application/json' } };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const key = typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined;
    const call = { method: req.method ?? 'GET', path, idempotencyKey: key, params: parseForm(body) };
    this.calls.push(call);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': newId('req'), ...headers });
      res.end(JSON.stringify(payload));
    };
    const cacheKey = key && `${call.method} ${path} ${key}`;
    const earlier = cacheKey ? this.answers.get(cacheKey) : undefined;
    if (earlier) return send(earlier.status, earlier.body, { 'idempotent-replayed': 'true' });
    const failure = this.failures.shift();
    if (failure) {
      const { status, error } = FAILURES[failure];
      // The SDK would repeat a 5xx itself; this one must reach the caller.
      if (status >= 500) return send(status, { error }, { 'stripe-should-retry': 'false' });
      if (cacheKey) this.answers.set(cacheKey, { status, body: { error } });
      return send(status, { error });
    }
    const answer = this.route(call);
    if (cacheKey && answer.status < 500) this.answers.set(cacheKey, answer);
    send(answer.status, answer.body);
  }

  private route(call: FakeStripeCall): { status: number; body: unknown } {
    const p = call.params as Record<string, Record<string, unknown> | string | undefined>;
    const store = (o: StripeObject) => (this.objects.set(o.id, o), { status: 200, body: o });
    if (call.method === 'POST' && call.path === '/v1/checkout/sessions') {
      const item = (p.line_items as Record<string, Record<string, Record<string, string>>> | undefined)?.['0'];
      const id = newId('cs');
      return store({
        id,
        object: 'checkout.session',
        mode: p.mode,
        url: `https://checkout.stripe.test/c/pay/${id}`,
        amount_total: Number(item?.price_data?.unit_amount) * Number(item?.quantity),
        currency: item?.price_data?.currency,
        client_reference_id: p.client_reference_id,
        metadata: p.metadata ?? {},
        payment_intent_metadata: (p.payment_intent_data as Record<string, unknown> | undefined)?.metadata,
        payment_intent: null,
        payment_status: 'unpaid',
        status: 'open',
      });
    }
    if (call.method === 'POST' && call.path === '/v1/transfers') {
      return store({
        id: newId('tr'),
        object: 'transfer',
        amount: Number(p.amount),
        amount_reversed: 0,
        currency: p.currency,
        destination: p.destination,
        transfer_group: p.transfer_group,
        metadata: p.metadata ?? {},
        reversed: false,
      });
    }
    if (call.method === 'POST' && call.path === '/v1/refunds') {
      return store({
        id: newId('re'),
        object: 'refund',
        amount: Number(p.amount),
        payment_intent: p.payment_intent,
        metadata: p.metadata ?? {},
        status: 'succeeded',
      });
    }
    const found = call.method === 'GET' && this.objects.get(call.path.split('/').pop() ?? '');
    if (found) return { status: 200, body: found };
    return { status: 404, body: { error: { type: 'invalid_request_error', message: 'No such object' } } };
  }
}
