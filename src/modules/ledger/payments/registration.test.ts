import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { createTestUser } from '../../../../test/helpers/users.ts';
import { withTransaction, type Db } from '../../../platform/db/tx.ts';
import { reconcile } from '../reconcile.ts';
import { coins, fund } from '../../../../test/support/ledger.ts';
import type { Limits } from '../wallet-service.ts';
import {
  ProviderRefusedError,
  type DepositRequest,
  type RefundRequest,
  type PaymentProvider,
  type ProviderEventType,
  type WebhookHeaders,
} from './provider.ts';
import { getPayment } from './repo.ts';
import { SandboxProvider } from './sandbox.ts';
import { Payments } from './service.ts';

/**
 * The provider's network, replaced: records every call and fails on demand. Everything else
 * (signatures, webhooks) is the sandbox's.
 */
class RecordingProvider implements PaymentProvider {
  readonly name = 'recording';
  readonly calls: { kind: 'deposit' | 'payout'; paymentId: string }[] = [];
  /** What the next network call does. */
  next: 'ok' | 'unavailable' | 'refuse' = 'ok';
  private readonly sandbox = new SandboxProvider({
    secret: 'registration-test-secret-0123456789abcdef',
    baseUrl: 'http://payments.test',
    toleranceSeconds: 300,
  });

  private async call(kind: 'deposit' | 'payout', r: DepositRequest) {
    this.calls.push({ kind, paymentId: r.paymentId });
    if (this.next === 'unavailable') {
      this.next = 'ok';
      throw new Error('provider timed out');
    }
    if (this.next === 'refuse') throw new ProviderRefusedError('account closed');
  }

  checkoutUrl(r: DepositRequest) {
    return this.sandbox.checkoutUrl(r);
  }
  async createDeposit(r: DepositRequest) {
    await this.call('deposit', r);
    return this.sandbox.createDeposit(r);
  }
  async createRefund(r: RefundRequest) {
    return this.sandbox.createRefund(r);
  }
  async createPayout(r: DepositRequest) {
    await this.call('payout', r);
    return this.sandbox.createPayout(r);
  }
  parseWebhook(rawBody: string, headers: WebhookHeaders, now: Date) {
    return this.sandbox.parseWebhook(rawBody, headers, now);
  }
  simulate(providerPaymentId: string, type: ProviderEventType, amount: bigint) {
    return this.sandbox.simulate(providerPaymentId, type, amount);
  }
}

let t: TestApp;
let db: Db;

beforeAll(async () => {
  t = await createTestApp({ env: { RUN_WORKERS: 'false' } });
  db = t.runtime.ctx.db;
});
afterAll(async () => {
  await t?.close();
});

const limits: Limits = {
  maxAmount: 1_000_000n,
  daily: { transfer: 1_000_000n, deposit: 1000n, withdrawal: 1_000_000n },
};

function setup() {
  const provider = new RecordingProvider();
  const payments = new Payments({
    db,
    limits,
    provider,
    providers: new Map([[provider.name, provider]]),
    now: () => new Date(),
  });
  return { provider, payments };
}

async function requestedEvents(paymentId: string) {
  const r = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM platform_outbox_events
    WHERE type = 'wallet.payment_requested' AND aggregate_id = ${paymentId}`);
  return r.rows[0]?.n ?? 0;
}

async function settleDeposit(p: ReturnType<typeof setup>, paymentId: string, result: 'succeeded' | 'failed') {
  const payment = await getPayment(db, paymentId);
  if (!payment?.providerPaymentId) throw new Error('payment not registered');
  const hook = p.provider.simulate(payment.providerPaymentId, `deposit.${result}`, payment.amount);
  return p.payments.handleWebhook(p.provider.name, hook.rawBody, hook.headers);
}

describe('provider calls happen after commit', () => {
  it('never calls the provider inside the transaction, nor for a payment that rolled back', async () => {
    const p = setup();
    const user = await createTestUser(t);
    await fund(db, user.id, 1000n);
    await expect(
      withTransaction(db, async (tx) => {
        await p.payments.withdraw(tx, user.id, 300n);
        throw new Error('the request failed after the payment was written');
      }),
    ).rejects.toThrow('the request failed');
    expect(p.provider.calls).toEqual([]);
    expect(await coins(db, user.id)).toMatchObject({ available: 1000n, held: 0n });

    const { payment } = await withTransaction(db, async (tx) => {
      const created = await p.payments.withdraw(tx, user.id, 300n);
      expect(p.provider.calls).toEqual([]);
      return created;
    });
    expect(await getPayment(db, payment.id)).toMatchObject({ status: 'pending', providerPaymentId: null });
    expect(await requestedEvents(payment.id)).toBe(1);

    await p.payments.register(payment.id);
    expect(p.provider.calls).toEqual([{ kind: 'payout', paymentId: payment.id }]);
    expect(await getPayment(db, payment.id)).toMatchObject({ providerPaymentId: `sbx_pay_${payment.id}` });
  });

  it('makes a repeated registration harmless: one provider payment per payment id', async () => {
    const p = setup();
    const user = await createTestUser(t);
    const { payment } = await withTransaction(db, (tx) => p.payments.deposit(tx, user.id, 400n));
    expect(payment.checkoutUrl).toBe(p.provider.checkoutUrl({ paymentId: payment.id, userId: user.id, amount: 400n }));
    // Two overlapping deliveries may both reach the provider, with the payment id as its idempotency key.
    await Promise.all([p.payments.register(payment.id), p.payments.register(payment.id)]);
    await p.payments.register(payment.id);
    expect(p.provider.calls.length).toBeGreaterThanOrEqual(1);
    expect(p.provider.calls.length).toBeLessThanOrEqual(2);
    expect(new Set(p.provider.calls.map((c) => c.paymentId))).toEqual(new Set([payment.id]));
    expect(await getPayment(db, payment.id)).toMatchObject({
      status: 'pending',
      providerPaymentId: `sbx_dep_${payment.id}`,
      checkoutUrl: payment.checkoutUrl,
    });
  });

  it('retries after a provider outage, and fails the payout and returns the coins on a refusal', async () => {
    const p = setup();
    const user = await createTestUser(t);
    await fund(db, user.id, 1000n);
    const first = await withTransaction(db, (tx) => p.payments.withdraw(tx, user.id, 250n));
    p.provider.next = 'unavailable';
    await expect(p.payments.register(first.payment.id)).rejects.toThrow('provider timed out');
    expect(await getPayment(db, first.payment.id)).toMatchObject({ status: 'pending', providerPaymentId: null });
    await p.payments.register(first.payment.id);
    expect(await getPayment(db, first.payment.id)).toMatchObject({ providerPaymentId: `sbx_pay_${first.payment.id}` });

    const second = await withTransaction(db, (tx) => p.payments.withdraw(tx, user.id, 300n));
    expect(await coins(db, user.id)).toMatchObject({ available: 450n, held: 550n });
    p.provider.next = 'refuse';
    await p.payments.register(second.payment.id);
    await p.payments.register(second.payment.id);
    expect(await getPayment(db, second.payment.id)).toMatchObject({
      status: 'failed',
      failureReason: 'account closed',
      providerPaymentId: null,
    });
    expect(await coins(db, user.id)).toMatchObject({ available: 750n, held: 250n });
    expect((await reconcile(db)).violations).toEqual([]);
  });
});

describe('the daily deposit limit', () => {
  it('counts settled deposits only: failed and abandoned checkouts leave it untouched', async () => {
    const p = setup();
    const user = await createTestUser(t);
    const open = (amount: bigint) => withTransaction(db, (tx) => p.payments.deposit(tx, user.id, amount));

    const declined = await open(800n);
    await p.payments.register(declined.payment.id);
    expect(await settleDeposit(p, declined.payment.id, 'failed')).toBe('applied');
    await open(800n); // abandoned: never paid
    const paid = await open(800n);
    await p.payments.register(paid.payment.id);
    expect(await settleDeposit(p, paid.payment.id, 'succeeded')).toBe('applied');
    expect((await coins(db, user.id)).available).toBe(800n);

    await expect(open(300n)).rejects.toMatchObject({ code: 'daily_limit_exceeded', extra: { remaining: '200' } });
    await expect(open(200n)).resolves.toMatchObject({ payment: { status: 'pending' } });
  });
});
