import { sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../../test/helpers/users.ts';
import { FakeStripe } from '../../../../test/support/fake-stripe.ts';
import { coins, fund, writtenRows } from '../../../../test/support/ledger.ts';
import { ConfigError, loadConfig } from '../../../config.ts';
import { reconcile } from '../reconcile.ts';
import { getPayment } from './repo.ts';
import { StripeProvider } from './stripe.ts';

const KEY = 'sk_test_fakeKey0123456789';
const WEBHOOK_SECRET = 'whsec_fakeSigningSecret0123456789';
// Ten coin minor units per cent: a 50.00-coin deposit (5000) costs 500 cents.
const RATIO = 10n;
let t: TestApp;
let fake: FakeStripe;
const auth = (u: CreatedTestUser) => ({ authorization: `Bearer ${u.token}` });
const db = () => t.runtime.ctx.db;

beforeAll(async () => {
  fake = await new FakeStripe().start();
  t = await createTestApp({
    env: {
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      STRIPE_COIN_UNITS_PER_CURRENCY_UNIT: String(RATIO),
      STRIPE_API_HOST: '127.0.0.1',
      STRIPE_API_PORT: String(fake.port),
      STRIPE_API_PROTOCOL: 'http',
      PUBLIC_URL: 'https://cards.test',
      PAYOUT_DESTINATION_COOLDOWN_SECONDS: '0',
      RUN_WORKERS: 'false',
    },
  });
});

afterAll(async () => {
  await t?.close();
  await fake?.stop();
});

async function drainOutbox() {
  while ((await t.runtime.dispatcher.runOnce()) > 0);
}

async function deposit(user: CreatedTestUser, amount: number) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/wallet/deposit',
    headers: auth(user),
    payload: { amount },
  });
  expect(res.statusCode).toBe(201);
  return res.json().payment as { id: string; checkoutUrl: string; status: string };
}

/** Registers the deposit (outbox) and has the payer pay its checkout session at Stripe. */
async function paidCheckout(paymentId: string) {
  await drainOutbox();
  const row = await getPayment(db(), paymentId);
  if (!row?.providerPaymentId) throw new Error('deposit not registered');
  return fake.pay(row.providerPaymentId);
}

function postWebhook(hook: { rawBody: string; headers: Record<string, string> }) {
  return t.app.inject({
    method: 'POST',
    url: '/api/payments/webhooks/stripe',
    headers: hook.headers,
    payload: hook.rawBody,
  });
}

const sign = (type: string, object: unknown, timestamp?: number) =>
  fake.event(type, object, { secret: WEBHOOK_SECRET, ...(timestamp !== undefined ? { timestamp } : {}) });

/** Rows a webhook may write beyond the ledger's: processed events and payment rows' state. */
async function paymentRows() {
  const r = await db().execute<{ events: number; state: string }>(sql`
    SELECT (SELECT count(*) FROM ledger_payment_events)::int AS events,
           (SELECT string_agg(id || status || coalesce(provider_reference, '-'), ',' ORDER BY id) FROM ledger_payments) AS state`);
  return { ...(await writtenRows(db())), ...r.rows[0] };
}

async function booksBalanced() {
  expect((await reconcile(db())).violations).toEqual([]);
}

describe('Stripe deposits', () => {
  it('registers the checkout after commit, forwards the payer there and credits on the signed completion', async () => {
    const user = await createTestUser(t);
    const before = fake.callsTo('/v1/checkout/sessions').length;
    const payment = await deposit(user, 5000);
    expect(payment.checkoutUrl).toBe(`https://cards.test/api/payments/stripe/checkout/${payment.id}`);
    // Nothing reaches Stripe inside the deposit's transaction.
    expect(fake.callsTo('/v1/checkout/sessions')).toHaveLength(before);

    await drainOutbox();
    const [call] = fake.callsTo('/v1/checkout/sessions').slice(before);
    expect(call).toMatchObject({
      idempotencyKey: payment.id,
      params: {
        mode: 'payment',
        client_reference_id: payment.id,
        metadata: { paymentId: payment.id },
        payment_intent_data: { metadata: { paymentId: payment.id } },
        line_items: { 0: { quantity: '1', price_data: { currency: 'usd', unit_amount: '500' } } },
      },
    });
    const row = await getPayment(db(), payment.id);
    expect(row).toMatchObject({ status: 'pending', checkoutUrl: payment.checkoutUrl });
    const link = await t.app.inject({ url: new URL(payment.checkoutUrl).pathname });
    expect(link.statusCode).toBe(302);
    expect(link.headers.location).toBe(`https://checkout.stripe.test/c/pay/${row?.providerPaymentId}`);

    const { session } = await paidCheckout(payment.id);
    const res = await postWebhook(sign('checkout.session.completed', session));
    expect(res.json()).toEqual({ received: true, outcome: 'applied' });
    expect((await coins(db(), user.id)).available).toBe(5000n);
    expect(await getPayment(db(), payment.id)).toMatchObject({
      status: 'succeeded',
      providerReference: session.payment_intent,
    });
    // The link of a settled deposit no longer forwards anywhere.
    expect((await t.app.inject({ url: new URL(payment.checkoutUrl).pathname })).statusCode).toBe(409);
    await booksBalanced();
  });

  it('registers on the spot when the payer opens the link first, once', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 700);
    const link = await t.app.inject({ url: `/api/payments/stripe/checkout/${payment.id}` });
    expect(link.statusCode).toBe(302);
    await drainOutbox();
    expect(fake.calls.filter((c) => c.idempotencyKey === payment.id)).toHaveLength(1);
    // Asked again with the same key, Stripe answers with the same session.
    const row = await getPayment(db(), payment.id);
    const again = await stripeProvider().createDeposit({ paymentId: payment.id, userId: user.id, amount: 700n });
    expect(again.providerPaymentId).toBe(row?.providerPaymentId);
    await booksBalanced();
  });

  it('applies a replayed event once', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 900);
    const hook = sign('checkout.session.completed', (await paidCheckout(payment.id)).session);
    expect((await postWebhook(hook)).json().outcome).toBe('applied');
    const before = await paymentRows();
    const replay = await postWebhook(hook);
    expect(replay.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await paymentRows()).toEqual(before);
    expect((await coins(db(), user.id)).available).toBe(900n);
    await booksBalanced();
  });

  it('credits on whichever success event comes first and ignores the other', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 1200);
    const { session, paymentIntent } = await paidCheckout(payment.id);
    const first = await postWebhook(sign('payment_intent.succeeded', paymentIntent));
    expect(first.json().outcome).toBe('applied');
    const second = await postWebhook(sign('checkout.session.completed', session));
    expect(second.json().outcome).toBe('ignored');
    expect((await coins(db(), user.id)).available).toBe(1200n);
    expect(await getPayment(db(), payment.id)).toMatchObject({
      status: 'succeeded',
      providerReference: paymentIntent.id,
    });
    await booksBalanced();
  });

  it('fails the deposit when the checkout expires, but not on one declined card attempt', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 300);
    await drainOutbox();
    const row = await getPayment(db(), payment.id);
    const session = fake.objects.get(row?.providerPaymentId ?? '');
    // The payer may try another card in the same checkout: a failed attempt settles nothing.
    const declined = { id: 'pi_test_declined', object: 'payment_intent', metadata: { paymentId: payment.id } };
    expect((await postWebhook(sign('payment_intent.payment_failed', declined))).json().outcome).toBe('ignored');
    expect(await getPayment(db(), payment.id)).toMatchObject({ status: 'pending' });
    const expired = await postWebhook(sign('checkout.session.expired', { ...session, status: 'expired' }));
    expect(expired.json().outcome).toBe('applied');
    expect(await getPayment(db(), payment.id)).toMatchObject({ status: 'failed', failureReason: 'checkout_expired' });
    expect((await coins(db(), user.id)).available).toBe(0n);
    await booksBalanced();
  });

  it('refuses a forged or stale signature, and a wrong amount or currency, with nothing written', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 800);
    const { session } = await paidCheckout(payment.id);
    const hook = sign('checkout.session.completed', session);
    const forged = fake.event('checkout.session.completed', session, { secret: 'whsec_someoneElse0123' });
    const before = await paymentRows();
    const refusals = [
      [forged, 400, 'invalid_signature'],
      [{ rawBody: hook.rawBody, headers: {} }, 400, 'invalid_signature'],
      [
        { rawBody: hook.rawBody.replace('"amount_total":80', '"amount_total":8000'), headers: hook.headers },
        400,
        'invalid_signature',
      ],
      [sign('checkout.session.completed', session, Math.floor(Date.now() / 1000) - 301), 400, 'stale_webhook'],
      [sign('checkout.session.completed', session, Math.floor(Date.now() / 1000) + 3600), 400, 'stale_webhook'],
      [sign('checkout.session.completed', { ...session, amount_total: 81 }), 422, 'payment_mismatch'],
      [sign('checkout.session.completed', { ...session, currency: 'eur' }), 422, 'payment_mismatch'],
    ] as const;
    for (const [h, status, code] of refusals) {
      const res = await postWebhook(h);
      expect([res.statusCode, res.json().code]).toEqual([status, code]);
    }
    expect(await paymentRows()).toEqual(before);
    expect((await coins(db(), user.id)).available).toBe(0n);
    expect((await postWebhook(hook)).json().outcome).toBe('applied');
    await booksBalanced();
  });

  it('acknowledges event types it has no use for and writes nothing', async () => {
    const before = await paymentRows();
    for (const [type, object] of [
      ['customer.created', { id: 'cus_test_1', object: 'customer' }],
      ['payment_intent.succeeded', { id: 'pi_test_other', object: 'payment_intent', metadata: {} }],
      ['charge.dispute.closed', { id: 'dp_1', object: 'dispute', status: 'warning_closed', payment_intent: 'pi_x' }],
    ] as const) {
      const res = await postWebhook(sign(type, object));
      expect([res.statusCode, res.json()]).toEqual([200, { received: true, outcome: 'ignored' }]);
    }
    expect(await paymentRows()).toEqual(before);
    await booksBalanced();
  });

  it('fails a deposit Stripe refuses, and retries one Stripe could not answer', async () => {
    const user = await createTestUser(t);
    fake.failNext('card_error');
    const refused = await deposit(user, 400);
    await drainOutbox();
    expect(await getPayment(db(), refused.id)).toMatchObject({ status: 'failed', failureReason: 'generic_decline' });
    expect((await t.app.inject({ url: `/api/payments/stripe/checkout/${refused.id}` })).statusCode).toBe(409);

    // An amount that is no whole number of cents never reaches Stripe.
    const calls = fake.calls.length;
    const inexact = await deposit(user, 405);
    await drainOutbox();
    expect(await getPayment(db(), inexact.id)).toMatchObject({ status: 'failed' });
    expect(fake.calls).toHaveLength(calls);

    fake.failNext('server_error');
    const payment = await deposit(user, 600);
    await drainOutbox();
    expect(await getPayment(db(), payment.id)).toMatchObject({ status: 'pending', providerPaymentId: null });
    const pending = sql`aggregate_id = ${payment.id} AND type = 'wallet.payment_requested'`;
    const [outbox] = (
      await db().execute<{ status: string; attempts: number }>(
        sql`SELECT status, attempts FROM platform_outbox_events WHERE ${pending}`,
      )
    ).rows;
    expect(outbox).toMatchObject({ status: 'pending', attempts: 1 });
    await db().execute(sql`UPDATE platform_outbox_events SET next_attempt_at = now() WHERE ${pending}`);
    await drainOutbox();
    const row = await getPayment(db(), payment.id);
    expect(row?.providerPaymentId).toMatch(/^cs_test_/);
    const { session } = fake.pay(row?.providerPaymentId ?? '');
    expect((await postWebhook(sign('checkout.session.completed', session))).json().outcome).toBe('applied');
    expect((await coins(db(), user.id)).available).toBe(600n);
    await booksBalanced();
  });

  it('forwards only deposits through Stripe', async () => {
    const user = await createTestUser(t);
    await fund(db(), user.id, 1000n);
    const headers = auth(user);
    const account = { kind: 'stripe_account', accountId: 'acct_test12345678' };
    const dest = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/payout-destinations',
      headers,
      payload: account,
    });
    const payout = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/withdraw',
      headers,
      payload: { amount: 100, destinationId: dest.json().id },
    });
    // A payout has no checkout, whoever asks; neither has an unknown payment.
    for (const id of [payout.json().payment.id, '00000000-0000-7000-8000-000000000000']) {
      const res = await t.app.inject({ url: `/api/payments/stripe/checkout/${id}`, headers: auth(user) });
      expect([res.statusCode, res.json().code]).toEqual([404, 'not_found']);
    }
    expect((await t.app.inject({ url: '/api/payments/stripe/checkout/not-a-uuid' })).statusCode).toBe(400);
    await drainOutbox();
    await booksBalanced();
  });
});

function stripeProvider() {
  return new StripeProvider({
    secretKey: KEY,
    webhookSecret: WEBHOOK_SECRET,
    currency: 'usd',
    coinUnitsPerCurrencyUnit: RATIO,
    baseUrl: 'https://cards.test',
    returnUrl: 'https://cards.test',
    toleranceSeconds: 300,
    host: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
  });
}

describe('Stripe payouts', () => {
  /** A payout destination of the user's (no cooldown in this runtime). */
  async function destination(user: CreatedTestUser, body: Record<string, string>) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/payout-destinations',
      headers: auth(user),
      payload: body,
    });
    expect(res.statusCode).toBe(201);
    return res.json().id as string;
  }

  async function withdraw(user: CreatedTestUser, amount: number, destinationId: string) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/withdraw',
      headers: auth(user),
      payload: { amount, destinationId },
    });
    expect(res.statusCode).toBe(201);
    return res.json().payment as { id: string };
  }

  const transferOf = async (paymentId: string) => {
    const row = await getPayment(db(), paymentId);
    const transfer = fake.objects.get(row?.providerPaymentId ?? '');
    if (!transfer) throw new Error('no transfer at Stripe');
    return transfer;
  };

  it('transfers to the connected account after commit and completes the withdrawal on transfer.created', async () => {
    const user = await createTestUser(t);
    await fund(db(), user.id, 10_000n);
    const account = await destination(user, { kind: 'stripe_account', accountId: 'acct_test12345678' });
    const payment = await withdraw(user, 2500, account);
    expect(fake.calls.filter((c) => c.idempotencyKey === payment.id)).toHaveLength(0);
    await drainOutbox();
    const [call] = fake.calls.filter((c) => c.path === '/v1/transfers' && c.idempotencyKey === payment.id);
    expect(call?.params).toMatchObject({
      amount: '250',
      currency: 'usd',
      destination: 'acct_test12345678',
      metadata: { paymentId: payment.id },
    });
    expect(await coins(db(), user.id)).toMatchObject({ available: 7500n, held: 2500n });
    const hook = sign('transfer.created', await transferOf(payment.id));
    expect((await postWebhook(hook)).json().outcome).toBe('applied');
    expect((await postWebhook(hook)).json().outcome).toBe('duplicate');
    expect(await coins(db(), user.id)).toMatchObject({ available: 7500n, held: 0n, total: 7500n });
    expect(await getPayment(db(), payment.id)).toMatchObject({ status: 'succeeded' });
    await booksBalanced();
  });

  it('returns the coins when the transfer is reversed before it settled, Stripe refuses it, or there is no account', async () => {
    const user = await createTestUser(t);
    await fund(db(), user.id, 10_000n);
    const account = await destination(user, { kind: 'stripe_account', accountId: 'acct_test12345678' });
    const reversed = await withdraw(user, 1000, account);
    await drainOutbox();
    const transfer = await transferOf(reversed.id);
    const hook = sign('transfer.reversed', { ...transfer, amount_reversed: transfer.amount, reversed: true });
    expect((await postWebhook(hook)).json().outcome).toBe('applied');
    expect(await getPayment(db(), reversed.id)).toMatchObject({ status: 'failed', failureReason: 'transfer_reversed' });

    fake.failNext('invalid_request');
    const refused = await withdraw(user, 2000, account);
    await drainOutbox();
    expect(await getPayment(db(), refused.id)).toMatchObject({
      status: 'failed',
      failureReason: 'balance_insufficient',
    });

    // Stripe pays connected accounts only: a bank account destination is refused without a call.
    const bank = await destination(user, {
      kind: 'bank_account',
      holderName: 'A Holder',
      iban: 'DE89370400440532013000',
    });
    const calls = fake.calls.length;
    const nowhere = await withdraw(user, 3000, bank);
    await drainOutbox();
    expect(await getPayment(db(), nowhere.id)).toMatchObject({ status: 'failed' });
    expect(fake.calls).toHaveLength(calls);
    expect(await coins(db(), user.id)).toMatchObject({ available: 10_000n, held: 0n });
    await booksBalanced();
  });
});

describe('Stripe refunds and disputes (mapping and lookup)', () => {
  it('names the deposit by its payment intent and converts amounts', async () => {
    const provider = stripeProvider();
    const now = new Date();
    const charge = {
      id: 'ch_1',
      object: 'charge',
      payment_intent: 'pi_9',
      amount_refunded: 300,
      currency: 'usd',
      metadata: {},
    };
    const refunded = fake.event('charge.refunded', charge, {
      secret: WEBHOOK_SECRET,
      extra: { data: { object: charge, previous_attributes: { amount_refunded: 100 } } },
    });
    expect(provider.parseWebhook(refunded.rawBody, refunded.headers, now)).toMatchObject({
      type: 'deposit.refunded',
      providerPaymentId: 'pi_9',
      amount: 2000n,
    });
    // A refund of ours listed on the charge names our refund id.
    const refundId = '01900000-0000-7000-8000-00000000abce';
    const listed = { ...charge, refunds: { data: [{ id: 're_1', amount: 200, metadata: { refundId } }] } };
    const ourRefund = fake.event('charge.refunded', listed, {
      secret: WEBHOOK_SECRET,
      extra: { data: { object: listed, previous_attributes: { amount_refunded: 100 } } },
    });
    expect(provider.parseWebhook(ourRefund.rawBody, ourRefund.headers, now)).toMatchObject({ refundId, amount: 2000n });
    const dispute = {
      id: 'dp_1',
      object: 'dispute',
      payment_intent: 'pi_9',
      amount: 500,
      currency: 'usd',
      reason: 'fraudulent',
    };
    for (const [type, status, mapped] of [
      ['charge.dispute.created', 'needs_response', 'dispute.opened'],
      ['charge.dispute.closed', 'won', 'dispute.won'],
      ['charge.dispute.closed', 'lost', 'dispute.lost'],
    ] as const) {
      const hook = sign(type, { ...dispute, status });
      expect(provider.parseWebhook(hook.rawBody, hook.headers, now)).toMatchObject({
        type: mapped,
        providerPaymentId: 'pi_9',
        disputeId: 'dp_1',
        amount: 5000n,
      });
    }
  });

  it('keeps the secret key out of the errors it throws (they are logged on retry)', async () => {
    fake.failNext('server_error');
    const request = { paymentId: '01900000-0000-7000-8000-00000000beef', userId: 'u', amount: 100n };
    const err: unknown = await stripeProvider()
      .createDeposit(request)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(JSON.stringify(pino.stdSerializers.err(err as Error))).not.toContain(KEY);
  });

  it('finds a settled deposit by the payment intent a refund names', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 1000);
    const { session, paymentIntent } = await paidCheckout(payment.id);
    expect((await postWebhook(sign('checkout.session.completed', session))).json().outcome).toBe('applied');
    const charge = {
      id: 'ch_2',
      object: 'charge',
      payment_intent: paymentIntent.id,
      amount_refunded: 100,
      currency: 'usd',
    };
    const res = await postWebhook(sign('charge.refunded', charge));
    expect(res.statusCode).toBe(200);
    const seen = await db().execute<{ payment_id: string; type: string }>(
      sql`SELECT payment_id, type FROM ledger_payment_events WHERE payment_id = ${payment.id} AND type = 'deposit.refunded'`,
    );
    expect(seen.rows).toEqual([{ payment_id: payment.id, type: 'deposit.refunded' }]);
    await booksBalanced();
  });

  it('refunds a checkout through its payment intent, keyed by the refund id', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 1000);
    const { session, paymentIntent } = await paidCheckout(payment.id);
    const refundId = '01900000-0000-7000-8000-00000000abcd';
    const created = await stripeProvider().createRefund({
      refundId,
      paymentId: payment.id,
      providerPaymentId: session.id,
      amount: 500n,
    });
    expect(created.providerRefundId).toMatch(/^re_test_/);
    expect(fake.callsTo('/v1/refunds').at(-1)).toMatchObject({
      idempotencyKey: refundId,
      params: { payment_intent: paymentIntent.id, amount: '50' },
    });
  });
});

describe('Stripe configuration', () => {
  it('is refused without its keys, naming them but never echoing a value', () => {
    for (const env of [
      { PAYMENT_PROVIDER: 'stripe' },
      { PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: KEY },
      { PAYMENT_PROVIDER: 'stripe', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
    ]) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(/STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are required/);
    }
    const malformed = () =>
      loadConfig({
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'pk_live_secretish',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      });
    expect(malformed).toThrow(/STRIPE_SECRET_KEY/);
    expect(malformed).not.toThrow(/secretish/);
    const config = loadConfig({
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    expect(config).toMatchObject({
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_CURRENCY: 'usd',
      STRIPE_COIN_UNITS_PER_CURRENCY_UNIT: 1,
    });
  });

  it('starts in production with Stripe keys and no sandbox webhook secret', () => {
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'a-signing-secret-of-at-least-32-characters',
      METRICS_TOKEN: 'a-metrics-token-for-prometheus',
      DATA_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 'stripe-production').toString('base64')}`,
    };
    expect(() => loadConfig(production)).toThrow(/PAYMENT_WEBHOOK_SECRET is required/);
    const config = loadConfig({
      ...production,
      PAYMENT_PROVIDER: 'stripe',
      STRIPE_SECRET_KEY: KEY,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    expect(config.PAYMENT_PROVIDER).toBe('stripe');
  });
});
