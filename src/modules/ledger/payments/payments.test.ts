import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../../test/helpers/users.ts';
import { ledgerDeps } from '../deps.ts';
import { reconcile } from '../reconcile.ts';
import { coins, fund, writtenRows } from '../../../../test/support/ledger.ts';
import { getPayment } from './repo.ts';
import { SandboxProvider } from './sandbox.ts';

const SECRET = 'payments-test-webhook-secret-0123456789abcdef';
let t: TestApp;
let sandbox: SandboxProvider;
const auth = (u: CreatedTestUser) => ({ authorization: `Bearer ${u.token}` });

function postWebhook(rawBody: string, headers: Record<string, string>, provider = 'sandbox') {
  return t.app.inject({ method: 'POST', url: `/api/payments/webhooks/${provider}`, headers, payload: rawBody });
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

async function withdraw(user: CreatedTestUser, amount: number) {
  return t.app.inject({ method: 'POST', url: '/api/wallet/withdraw', headers: auth(user), payload: { amount } });
}

/** Delivers committed outbox events here (workers are off), as the dispatcher would after commit. */
async function drainOutbox() {
  while ((await t.runtime.dispatcher.runOnce()) > 0);
}

/** The provider's id for a payment, once the provider has registered it. */
async function providerId(paymentId: string) {
  await drainOutbox();
  const p = await getPayment(t.runtime.ctx.db, paymentId);
  if (!p?.providerPaymentId) throw new Error('no registered payment');
  return p.providerPaymentId;
}

async function booksBalanced() {
  expect((await reconcile(t.runtime.ctx.db)).violations).toEqual([]);
}

beforeAll(async () => {
  t = await createTestApp({ env: { PAYMENT_WEBHOOK_SECRET: SECRET, RUN_WORKERS: 'false', RATE_LIMIT_MAX: '10000' } });
  const provider = ledgerDeps(t.runtime.ctx).sandbox;
  if (!provider) throw new Error('sandbox provider expected');
  sandbox = provider;
});

afterAll(async () => {
  await t?.close();
});

describe('deposits through the sandbox provider', () => {
  it('credits coins only once the checkout is paid, and only once', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 5000);
    expect(payment.status).toBe('pending');
    expect((await coins(t.runtime.ctx.db, user.id)).available).toBe(0n);

    const path = new URL(payment.checkoutUrl).pathname;
    const page = await t.app.inject({ url: path });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('50.00 coins');

    const paid = await t.app.inject({ method: 'POST', url: `${path}/complete` });
    expect(paid.body).toContain('Payment complete');
    expect((await coins(t.runtime.ctx.db, user.id)).available).toBe(5000n);
    const again = await t.app.inject({ method: 'POST', url: `${path}/complete` });
    expect(again.body).toContain('already settled');
    expect((await coins(t.runtime.ctx.db, user.id)).available).toBe(5000n);
    expect(await getPayment(t.runtime.ctx.db, payment.id)).toMatchObject({ status: 'succeeded' });
    await booksBalanced();
  });

  it('answers with the checkout link at once and registers the payment with the provider after commit', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 600);
    expect(payment.checkoutUrl).toContain('/api/payments/sandbox/checkout/');
    expect(await getPayment(t.runtime.ctx.db, payment.id)).toMatchObject({ providerPaymentId: null });
    await drainOutbox();
    expect(await getPayment(t.runtime.ctx.db, payment.id)).toMatchObject({
      status: 'pending',
      providerPaymentId: `sbx_dep_${payment.id}`,
      checkoutUrl: payment.checkoutUrl,
    });
  });

  it('refuses forged checkout links', async () => {
    const res = await t.app.inject({ url: `/api/payments/sandbox/checkout/${'a'.repeat(32)}-100.${'0'.repeat(24)}` });
    expect(res.statusCode).toBe(404);
  });

  it('needs a verified email', async () => {
    const user = await createTestUser(t, { verified: false });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/deposit',
      headers: auth(user),
      payload: { amount: 1 },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('webhooks', () => {
  it('rejects a bad signature and writes nothing', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 700);
    const hook = sandbox.simulate(await providerId(payment.id), 'deposit.succeeded', 700n);
    const forged = new SandboxProvider({
      secret: 'someone-else-entirely-0123456789abcdef',
      baseUrl: '',
      toleranceSeconds: 300,
    });
    const before = await writtenRows(t.runtime.ctx.db);
    for (const headers of [forged.sign(hook.rawBody), {}, { 'sandbox-signature': 't=1,v1=zz' }]) {
      const res = await postWebhook(hook.rawBody, headers);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('invalid_signature');
    }
    // A correctly signed header over a different body does not verify either.
    const tampered = await postWebhook(hook.rawBody.replace('700', '70000'), hook.headers);
    expect(tampered.json().code).toBe('invalid_signature');
    expect(await writtenRows(t.runtime.ctx.db)).toEqual(before);
    expect((await coins(t.runtime.ctx.db, user.id)).available).toBe(0n);
  });

  it('rejects a timestamp older than five minutes and writes nothing', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 700);
    const hook = sandbox.simulate(await providerId(payment.id), 'deposit.succeeded', 700n);
    const before = await writtenRows(t.runtime.ctx.db);
    const stale = await postWebhook(hook.rawBody, sandbox.sign(hook.rawBody, new Date(Date.now() - 301_000)));
    expect(stale.statusCode).toBe(400);
    expect(stale.json().code).toBe('stale_webhook');
    expect(await writtenRows(t.runtime.ctx.db)).toEqual(before);
    expect((await coins(t.runtime.ctx.db, user.id)).available).toBe(0n);
  });

  it('acknowledges a replayed event without applying it twice', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 900);
    const hook = sandbox.simulate(await providerId(payment.id), 'deposit.succeeded', 900n);
    const first = await postWebhook(hook.rawBody, hook.headers);
    expect(first.json()).toEqual({ received: true, outcome: 'applied' });
    const before = await writtenRows(t.runtime.ctx.db);
    const replay = await postWebhook(hook.rawBody, hook.headers);
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toEqual({ received: true, outcome: 'duplicate' });
    expect(await writtenRows(t.runtime.ctx.db)).toEqual(before);
    expect((await coins(t.runtime.ctx.db, user.id)).available).toBe(900n);
    await booksBalanced();
  });

  it('answers 404 for an unknown payment or provider and writes nothing', async () => {
    const hook = sandbox.simulate('sbx_dep_00000000-0000-7000-8000-000000000000', 'deposit.succeeded', 100n);
    const before = await writtenRows(t.runtime.ctx.db);
    const unknown = await postWebhook(hook.rawBody, hook.headers);
    expect(unknown.statusCode).toBe(404);
    expect((await postWebhook(hook.rawBody, hook.headers, 'stripe')).statusCode).toBe(404);
    expect(await writtenRows(t.runtime.ctx.db)).toEqual(before);
    await booksBalanced();
  });

  it('refuses an event whose amount differs from the payment', async () => {
    const user = await createTestUser(t);
    const payment = await deposit(user, 900);
    const hook = sandbox.simulate(await providerId(payment.id), 'deposit.succeeded', 90_000n);
    const res = await postWebhook(hook.rawBody, hook.headers);
    expect(res.statusCode).toBe(422);
    expect((await coins(t.runtime.ctx.db, user.id)).available).toBe(0n);
  });
});

describe('withdrawals', () => {
  it('holds the amount, then returns it when the payout fails', async () => {
    const user = await createTestUser(t);
    await fund(t.runtime.ctx.db, user.id, 1000n);
    const res = await withdraw(user, 400);
    expect(res.statusCode).toBe(201);
    expect(res.json().balance).toEqual({ asset: 'COIN', available: 600, held: 400, total: 1000 });
    const payment = res.json().payment;
    const failed = sandbox.simulate(await providerId(payment.id), 'payout.failed', 400n);
    expect((await postWebhook(failed.rawBody, failed.headers)).json().outcome).toBe('applied');
    expect(await coins(t.runtime.ctx.db, user.id)).toMatchObject({ available: 1000n, held: 0n });
    expect(await getPayment(t.runtime.ctx.db, payment.id)).toMatchObject({ status: 'failed' });
    // A late success for a failed payout changes nothing.
    const late = sandbox.simulate(await providerId(payment.id), 'payout.succeeded', 400n);
    expect((await postWebhook(late.rawBody, late.headers)).json().outcome).toBe('ignored');
    expect(await coins(t.runtime.ctx.db, user.id)).toMatchObject({ available: 1000n, held: 0n });
    await booksBalanced();
  });

  it('completes the withdrawal when the payout succeeds', async () => {
    const user = await createTestUser(t);
    await fund(t.runtime.ctx.db, user.id, 1000n);
    const payment = (await withdraw(user, 300)).json().payment;
    const ok = sandbox.simulate(await providerId(payment.id), 'payout.succeeded', 300n);
    expect((await postWebhook(ok.rawBody, ok.headers)).json().outcome).toBe('applied');
    expect(await coins(t.runtime.ctx.db, user.id)).toMatchObject({ available: 700n, held: 0n, total: 700n });
    const history = await t.app.inject({ url: '/api/wallet/transactions?kind=withdrawal', headers: auth(user) });
    expect(history.json().items).toMatchObject([{ kind: 'withdrawal', status: 'posted', amount: -300 }]);
    await booksBalanced();
  });

  it('refuses more than the available balance with nothing written', async () => {
    const user = await createTestUser(t);
    await fund(t.runtime.ctx.db, user.id, 100n);
    const before = await writtenRows(t.runtime.ctx.db);
    const res = await withdraw(user, 101);
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('insufficient_funds');
    expect(await writtenRows(t.runtime.ctx.db)).toEqual(before);
  });
});

describe('POST /api/admin/payments/:id/settle', () => {
  it('is guarded by its own permission, not by the read-only audit one', () => {
    const route = t.app.routeCatalog.find((r) => r.url === '/api/admin/payments/:id/settle');
    expect(route?.config?.access).toEqual({ permission: 'payments.settle' });
  });

  it('lets an admin settle a test payment, audited, and nobody else', async () => {
    const user = await createTestUser(t);
    const admin = await createTestUser(t, { role: 'admin' });
    const payment = await deposit(user, 1200);
    const url = `/api/admin/payments/${payment.id}/settle`;
    const denied = await t.app.inject({ method: 'POST', url, headers: auth(user), payload: { outcome: 'succeeded' } });
    expect(denied.statusCode).toBe(403);
    const res = await t.app.inject({ method: 'POST', url, headers: auth(admin), payload: { outcome: 'succeeded' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ outcome: 'applied', payment: { id: payment.id, status: 'succeeded' } });
    expect((await coins(t.runtime.ctx.db, user.id)).available).toBe(1200n);
    const audit = await t.runtime.ctx.db.execute<{ action: string; actor_id: string; ip: string | null }>(
      sql`SELECT action, actor_id, ip FROM platform_audit_log WHERE target_id = ${payment.id} ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.action)).toEqual([
      'payment.deposit.created',
      'payment.deposit.succeeded',
      'admin.payment.settle',
    ]);
    expect(audit.rows[2]).toMatchObject({ actor_id: admin.id });
    expect(audit.rows[2]?.ip).toBeTruthy();
  });
});
