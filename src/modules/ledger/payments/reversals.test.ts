import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../../test/helpers/users.ts';
import { coins, writtenRows } from '../../../../test/support/ledger.ts';
import { createVariant, giveCards } from '../../../../test/support/market.ts';
import { ledgerDeps } from '../deps.ts';
import { reconcile } from '../reconcile.ts';
import { systemBalance } from '../service.ts';
import { ProviderRefusedError, type ProviderEventType } from './provider.ts';
import { getPayment } from './repo.ts';
import { reversalsOf } from './reversals-repo.ts';
import type { SandboxProvider } from './sandbox.ts';

const SECRET = 'reversals-test-webhook-secret-0123456789abcdef';
let t: TestApp;
let sandbox: SandboxProvider;
let admin: CreatedTestUser;
const db = () => t.runtime.ctx.db;
const auth = (u: CreatedTestUser) => ({ authorization: `Bearer ${u.token}` });

async function drainOutbox() {
  while ((await t.runtime.dispatcher.runOnce()) > 0);
}

async function booksBalanced() {
  expect((await reconcile(db())).violations).toEqual([]);
}

/** A deposit paid through the sandbox: the coins are in the user's wallet. */
async function paidDeposit(user: CreatedTestUser, amount: number) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/wallet/deposit',
    headers: auth(user),
    payload: { amount },
  });
  expect(res.statusCode).toBe(201);
  const id = (res.json() as { payment: { id: string } }).payment.id;
  await drainOutbox();
  const ref = (await getPayment(db(), id))?.providerPaymentId;
  if (!ref) throw new Error('deposit not registered');
  expect(await webhook(ref, 'deposit.succeeded', BigInt(amount))).toBe('applied');
  return { id, ref };
}

/** Sends a signed sandbox webhook; returns the outcome (or the whole reply when refused). */
async function webhook(ref: string, type: ProviderEventType, amount: bigint, refs = {}) {
  const hook = sandbox.simulate(ref, type, amount, refs);
  return send(hook.rawBody, hook.headers);
}

async function send(rawBody: string, headers: Record<string, string>) {
  const res = await t.app.inject({ method: 'POST', url: '/api/payments/webhooks/sandbox', headers, payload: rawBody });
  return res.statusCode === 200 ? (res.json() as { outcome: string }).outcome : res;
}

function refund(paymentId: string, payload: object = {}, who: CreatedTestUser | null = admin) {
  return t.app.inject({
    method: 'POST',
    url: `/api/admin/payments/${paymentId}/refund`,
    headers: who ? auth(who) : {},
    payload,
  });
}

/** Spends coins the way a user would: sends them to someone else. */
async function spend(user: CreatedTestUser, amount: number) {
  const other = await createTestUser(t);
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/wallet/transfer',
    headers: auth(user),
    payload: { to: other.username, amount },
  });
  expect(res.statusCode).toBe(201);
}

const withdraw = (user: CreatedTestUser, amount: number) =>
  t.app.inject({ method: 'POST', url: '/api/wallet/withdraw', headers: auth(user), payload: { amount } });

beforeAll(async () => {
  t = await createTestApp({
    env: {
      PAYMENT_WEBHOOK_SECRET: SECRET,
      RUN_WORKERS: 'false',
      RATE_LIMIT_MAX: '10000',
      PAYOUT_REVIEW_ABOVE: '3000',
    },
  });
  const provider = ledgerDeps(t.runtime.ctx).sandbox;
  if (!provider) throw new Error('sandbox provider expected');
  sandbox = provider;
  admin = await createTestUser(t, { role: 'admin' });
});

afterAll(async () => {
  await t?.close();
});

describe('POST /api/admin/payments/:id/refund', () => {
  it('refunds a whole deposit: coins taken at once, the provider asked after commit, its webhook not applied twice', async () => {
    const user = await createTestUser(t);
    const { id, ref } = await paidDeposit(user, 5000);
    const res = await refund(id, { reason: 'customer request' });
    expect(res.statusCode).toBe(201);
    const body = res.json() as { refund: { id: string; status: string; amount: number; shortfall: number } };
    expect(body.refund).toMatchObject({ status: 'pending', amount: 5000, shortfall: 0, kind: 'refund' });
    expect((await coins(db(), user.id)).available).toBe(0n);

    const createRefund = vi.spyOn(sandbox, 'createRefund');
    await drainOutbox();
    expect(createRefund).toHaveBeenCalledWith(
      expect.objectContaining({ refundId: body.refund.id, paymentId: id, providerPaymentId: ref, amount: 5000n }),
    );
    createRefund.mockRestore();
    expect((await reversalsOf(db(), id))[0]).toMatchObject({
      status: 'submitted',
      providerRef: `sbx_ref_${body.refund.id}`,
    });

    expect(await webhook(ref, 'deposit.refunded', 5000n, { refundId: body.refund.id })).toBe('ignored');
    expect((await reversalsOf(db(), id))[0]?.status).toBe('succeeded');
    expect((await coins(db(), user.id)).available).toBe(0n);

    const audit = await db().execute<{ action: string; actor_id: string | null }>(
      sql`SELECT action, actor_id FROM platform_audit_log WHERE target_id = ${id} AND action LIKE 'payment.refund%'`,
    );
    expect(audit.rows).toEqual([{ action: 'payment.refund.taken', actor_id: admin.id }]);
    await booksBalanced();
  });

  it('refunds part of a deposit, then the rest, then refuses more with nothing written', async () => {
    const user = await createTestUser(t);
    const { id } = await paidDeposit(user, 5000);
    expect((await refund(id, { amount: 2000 })).statusCode).toBe(201);
    expect((await coins(db(), user.id)).available).toBe(3000n);
    const rest = await refund(id);
    expect(rest.statusCode).toBe(201);
    expect(rest.json()).toMatchObject({ refund: { amount: 3000 } });
    expect((await coins(db(), user.id)).available).toBe(0n);

    const before = await writtenRows(db());
    const more = await refund(id, { amount: 1 });
    expect(more.statusCode).toBe(422);
    expect(more.json()).toMatchObject({ code: 'refund_exceeds_remainder', remainder: '0' });
    expect(await writtenRows(db())).toEqual(before);
    await booksBalanced();
  });

  it('refuses a refund above what is left of the deposit, and bad bodies, writing nothing', async () => {
    const user = await createTestUser(t);
    const { id } = await paidDeposit(user, 5000);
    const before = await writtenRows(db());
    const over = await refund(id, { amount: 5001 });
    expect(over.statusCode).toBe(422);
    expect(over.headers['content-type']).toContain('application/problem+json');
    expect(over.json()).toMatchObject({ code: 'refund_exceeds_remainder', remainder: '5000' });
    expect((await refund(id, { amount: 10, extra: true })).statusCode).toBe(400);
    expect((await refund(id, { amount: '10' })).statusCode).toBe(400);
    expect(await writtenRows(db())).toEqual(before);
    expect((await coins(db(), user.id)).available).toBe(5000n);
  });

  it('only refunds completed deposits', async () => {
    const user = await createTestUser(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/deposit',
      headers: auth(user),
      payload: { amount: 700 },
    });
    const pending = (res.json() as { payment: { id: string } }).payment.id;
    expect((await refund(pending)).json()).toMatchObject({ status: 409, code: 'payment_not_refundable' });
    expect((await refund('0190f2c4-0000-7000-8000-000000000000')).statusCode).toBe(404);
  });

  it('answers 401 without a token and 403 to a user or moderator, even the payer', async () => {
    const user = await createTestUser(t);
    const moderator = await createTestUser(t, { role: 'moderator' });
    const { id } = await paidDeposit(user, 900);
    expect((await refund(id, {}, null)).statusCode).toBe(401);
    expect((await refund(id, {}, user)).statusCode).toBe(403);
    expect((await refund(id, {}, moderator)).statusCode).toBe(403);
    expect((await coins(db(), user.id)).available).toBe(900n);
    expect(await reversalsOf(db(), id)).toEqual([]);
  });

  it('gives the coins back when the provider refuses the refund', async () => {
    const user = await createTestUser(t);
    const { id } = await paidDeposit(user, 4000);
    await spend(user, 1000);
    expect((await refund(id)).statusCode).toBe(201);
    expect((await reversalsOf(db(), id))[0]).toMatchObject({ amount: 4000n, shortfall: 1000n });
    const createRefund = vi
      .spyOn(sandbox, 'createRefund')
      .mockRejectedValueOnce(new ProviderRefusedError('charge_already_refunded'));
    await drainOutbox();
    createRefund.mockRestore();
    expect((await reversalsOf(db(), id))[0]).toMatchObject({ status: 'failed', shortfall: 0n });
    expect((await coins(db(), user.id)).available).toBe(3000n);
    expect((await withdraw(user, 100)).statusCode).toBe(201);
    await booksBalanced();
  });

  it('applies a refund made at the provider, once', async () => {
    const user = await createTestUser(t);
    const { id, ref } = await paidDeposit(user, 3000);
    const hook = sandbox.simulate(ref, 'deposit.refunded', 1200n);
    expect(await send(hook.rawBody, hook.headers)).toBe('applied');
    expect(await send(hook.rawBody, hook.headers)).toBe('duplicate');
    expect((await coins(db(), user.id)).available).toBe(1800n);
    expect(await reversalsOf(db(), id)).toMatchObject([{ kind: 'refund', status: 'succeeded', amount: 1200n }]);
    await booksBalanced();
  });
});

describe('coins already spent', () => {
  it('records the shortfall as owed, freezes withdrawals and sends, notifies, and repays from the next deposit', async () => {
    const user = await createTestUser(t);
    const { id } = await paidDeposit(user, 5000);
    await spend(user, 4000);
    const receivableBefore = await systemBalance(db(), 'receivable');
    const res = await refund(id);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ refund: { amount: 5000, shortfall: 4000 } });
    expect((await coins(db(), user.id)).available).toBe(0n);
    expect(await systemBalance(db(), 'receivable')).toBe(receivableBefore - 4000n);

    const refused = await withdraw(user, 1);
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'account_frozen', owed: '4000' });
    const other = await createTestUser(t);
    const send = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/transfer',
      headers: auth(user),
      payload: { to: other.username, amount: 1 },
    });
    expect(send.json()).toMatchObject({ code: 'account_frozen' });
    // Selling cards for coins is trading too: refused while the debt is unpaid.
    const { cardId } = await createVariant(t, admin, 'RVS');
    const { variantId } = await giveCards(db(), user.id, cardId, 1n);
    const sell = await t.app.inject({
      method: 'POST',
      url: '/api/market/orders',
      headers: auth(user),
      payload: { cardId: variantId, side: 'sell', type: 'limit', timeInForce: 'GTC', quantity: 1, price: 100 },
    });
    expect(sell.statusCode).toBe(403);
    expect(sell.json()).toMatchObject({ code: 'account_frozen' });

    await drainOutbox();
    const notes = await t.app.inject({ url: '/api/notifications', headers: auth(user) });
    expect(JSON.stringify(notes.json())).toContain('withdrawals and trading are frozen');
    const audit = await db().execute<{ details: { shortfall: string } }>(
      sql`SELECT details FROM platform_audit_log WHERE target_id = ${id} AND action = 'payment.refund.taken'`,
    );
    expect(audit.rows[0]?.details.shortfall).toBe('4000');

    // The next deposit pays the debt first; the rest stays frozen until it is all repaid.
    await paidDeposit(user, 3000);
    expect((await coins(db(), user.id)).available).toBe(0n);
    expect((await reversalsOf(db(), id))[0]?.shortfall).toBe(1000n);
    expect((await withdraw(user, 1)).statusCode).toBe(403);
    await paidDeposit(user, 1500);
    expect((await coins(db(), user.id)).available).toBe(500n);
    expect(await systemBalance(db(), 'receivable')).toBe(receivableBefore);
    expect((await withdraw(user, 500)).statusCode).toBe(201);
    await booksBalanced();
  });
});

describe('payouts requested before a dispute', () => {
  it('are not paid out while coins are owed: registration fails them and an admin cannot approve one', async () => {
    const user = await createTestUser(t);
    const { id: depositId, ref } = await paidDeposit(user, 5000);
    // One payout waits for its registration, the other (above the review threshold) for an admin.
    const queued = await withdraw(user, 1000);
    expect(queued.statusCode).toBe(201);
    const queuedId = (queued.json() as { payment: { id: string } }).payment.id;
    const inReview = await withdraw(user, 4000);
    expect(inReview.json()).toMatchObject({ payment: { status: 'review' } });
    const reviewId = (inReview.json() as { payment: { id: string } }).payment.id;

    // The payer disputes the deposit before either payout leaves: all 5000 is held, so all is owed.
    expect(await webhook(ref, 'dispute.opened', 5000n, { disputeId: 'dp_inflight' })).toBe('applied');
    const approve = await t.app.inject({
      method: 'POST',
      url: `/api/admin/payouts/${reviewId}/approve`,
      headers: auth(admin),
    });
    expect(approve.statusCode).toBe(403);
    expect(approve.json()).toMatchObject({ code: 'account_frozen' });

    await drainOutbox();
    const failed = await getPayment(db(), queuedId);
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'account_frozen', providerPaymentId: null });
    expect((await getPayment(db(), reviewId))?.status).toBe('review');
    // The 1000 that came back paid part of the debt; rejecting the other returns the rest of it.
    expect((await reversalsOf(db(), depositId))[0]?.shortfall).toBe(4000n);
    expect((await coins(db(), user.id)).available).toBe(0n);
    const reject = await t.app.inject({
      method: 'POST',
      url: `/api/admin/payouts/${reviewId}/reject`,
      headers: auth(admin),
      payload: { reason: 'disputed deposit' },
    });
    expect(reject.statusCode).toBe(200);
    expect((await reversalsOf(db(), depositId))[0]?.shortfall).toBe(0n);
    expect((await coins(db(), user.id)).available).toBe(0n);
    expect((await withdraw(user, 1)).json()).toMatchObject({ code: 'insufficient_funds' });
    await booksBalanced();
  });
});

describe('disputes', () => {
  it('takes the disputed amount when opened and restores everything when won, lifting the freeze', async () => {
    const user = await createTestUser(t);
    const { id, ref } = await paidDeposit(user, 5000);
    await spend(user, 3000);
    expect(await webhook(ref, 'dispute.opened', 5000n, { disputeId: 'dp_1' })).toBe('applied');
    expect((await coins(db(), user.id)).available).toBe(0n);
    expect(await reversalsOf(db(), id)).toMatchObject([{ kind: 'dispute', status: 'open', shortfall: 3000n }]);
    expect((await withdraw(user, 1)).json()).toMatchObject({ code: 'account_frozen' });
    await booksBalanced();

    expect(await webhook(ref, 'dispute.won', 5000n, { disputeId: 'dp_1' })).toBe('applied');
    expect((await coins(db(), user.id)).available).toBe(2000n);
    expect(await reversalsOf(db(), id)).toMatchObject([{ status: 'won', shortfall: 0n }]);
    expect((await withdraw(user, 2000)).statusCode).toBe(201);
    await booksBalanced();
  });

  it('keeps the money gone when lost', async () => {
    const user = await createTestUser(t);
    const { id, ref } = await paidDeposit(user, 2500);
    expect(await webhook(ref, 'dispute.opened', 2500n, { disputeId: 'dp_2' })).toBe('applied');
    expect(await webhook(ref, 'dispute.lost', 2500n, { disputeId: 'dp_2' })).toBe('applied');
    expect(await webhook(ref, 'dispute.won', 2500n, { disputeId: 'dp_2' })).toBe('ignored');
    expect((await coins(db(), user.id)).available).toBe(0n);
    expect(await reversalsOf(db(), id)).toMatchObject([{ status: 'lost', amount: 2500n }]);
    // Nothing is left to refund once the whole deposit was disputed.
    expect((await refund(id)).json()).toMatchObject({ code: 'refund_exceeds_remainder' });
    await booksBalanced();
  });

  it('applies each event once, and in any order without creating coins', async () => {
    const user = await createTestUser(t);
    const { id, ref } = await paidDeposit(user, 4000);
    const opened = sandbox.simulate(ref, 'dispute.opened', 1000n, { disputeId: 'dp_3' });
    expect(await send(opened.rawBody, opened.headers)).toBe('applied');
    expect(await send(opened.rawBody, opened.headers)).toBe('duplicate');
    expect((await coins(db(), user.id)).available).toBe(3000n);

    // Won before we heard it opened: recorded, nothing moves; the late `opened` is then ignored.
    expect(await webhook(ref, 'dispute.won', 2000n, { disputeId: 'dp_4' })).toBe('applied');
    expect(await webhook(ref, 'dispute.opened', 2000n, { disputeId: 'dp_4' })).toBe('ignored');
    expect((await coins(db(), user.id)).available).toBe(3000n);

    // Lost before we heard it opened: the money is gone, taken once.
    expect(await webhook(ref, 'dispute.lost', 500n, { disputeId: 'dp_5' })).toBe('applied');
    expect(await webhook(ref, 'dispute.opened', 500n, { disputeId: 'dp_5' })).toBe('ignored');
    expect((await coins(db(), user.id)).available).toBe(2500n);
    expect((await reversalsOf(db(), id)).map((r) => [r.providerRef, r.status])).toEqual([
      ['dp_3', 'open'],
      ['dp_4', 'won'],
      ['dp_5', 'lost'],
    ]);
    await booksBalanced();
  });

  it('refuses a dispute of a deposit not settled yet, so the provider sends it again later', async () => {
    const user = await createTestUser(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/deposit',
      headers: auth(user),
      payload: { amount: 800 },
    });
    const id = (res.json() as { payment: { id: string } }).payment.id;
    await drainOutbox();
    const ref = (await getPayment(db(), id))?.providerPaymentId ?? '';
    const refused = await webhook(ref, 'dispute.opened', 800n, { disputeId: 'dp_6' });
    expect(typeof refused === 'string' ? refused : refused.statusCode).toBe(409);
    expect(await reversalsOf(db(), id)).toEqual([]);
  });
});
