import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../../test/helpers/users.ts';
import { coins, fund } from '../../../../test/support/ledger.ts';
import { keyringOf, open } from '../../../platform/crypto/envelope.ts';
import { createLogger } from '../../../platform/logger.ts';
import { ledgerDeps } from '../deps.ts';
import { reconcile } from '../reconcile.ts';
import { getPayment } from './repo.ts';
import type { SandboxProvider } from './sandbox.ts';

const COOLDOWN = 3600;
const REVIEW_ABOVE = 5000;
const MAX_PER_DAY = 3;
// Valid test numbers: an IBAN whose check digits hold, an ABA routing number whose checksum holds.
const IBAN = 'DE89 3704 0044 0532 0130 00';
const STRIPE_ACCOUNT = 'acct_1Nv0FGQ9RKHgCVdK';

let t: TestApp;
let sandbox: SandboxProvider;
/** Every line the app logs, at the most verbose level, to prove destination details never appear. */
const logLines: string[] = [];
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString('utf8'));
    done();
  },
});
const auth = (u: CreatedTestUser) => ({ authorization: `Bearer ${u.token}` });
const db = () => t.runtime.ctx.db;

beforeAll(async () => {
  t = await createTestApp({
    logger: createLogger({ LOG_LEVEL: 'trace' }, logSink),
    env: {
      RUN_WORKERS: 'false',
      RATE_LIMIT_MAX: '100000',
      PAYOUT_REVIEW_ABOVE: String(REVIEW_ABOVE),
      PAYOUT_MAX_PER_DAY: String(MAX_PER_DAY),
      PAYOUT_DESTINATION_COOLDOWN_SECONDS: String(COOLDOWN),
    },
  });
  const provider = ledgerDeps(t.runtime.ctx).sandbox;
  if (!provider) throw new Error('sandbox provider expected');
  sandbox = provider;
}, 60_000);
afterAll(() => t?.close());
afterEach(async () => {
  vi.restoreAllMocks();
  // Registers what a test left committed, so the next one's provider calls are its own.
  await drainOutbox();
  expect((await reconcile(db())).violations).toEqual([]);
});

async function drainOutbox() {
  while ((await t.runtime.dispatcher.runOnce()) > 0);
}

function addDestination(user: CreatedTestUser, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/wallet/payout-destinations', headers: auth(user), payload });
}

/** A destination past its cooldown: its creation is moved back in time, as if added long ago. */
async function readyDestination(user: CreatedTestUser, payload: Record<string, unknown> = {}) {
  const res = await addDestination(user, { kind: 'stripe_account', accountId: STRIPE_ACCOUNT, ...payload });
  expect(res.statusCode).toBe(201);
  const id = res.json<{ id: string }>().id;
  await db().execute(
    sql`UPDATE payout_destinations SET created_at = now() - make_interval(secs => ${COOLDOWN + 60}) WHERE id = ${id}`,
  );
  return id;
}

function withdraw(user: CreatedTestUser, amount: number, destinationId?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/wallet/withdraw',
    headers: auth(user),
    payload: destinationId ? { amount, destinationId } : { amount },
  });
}

async function storedDetails(id: string) {
  const r = await db().execute<{ details: string; last4: string }>(
    sql`SELECT details, last4 FROM payout_destinations WHERE id = ${id}`,
  );
  const row = r.rows[0];
  if (!row) throw new Error('no destination row');
  return row;
}

async function countRows() {
  const r = await db().execute<{ destinations: number; payments: number; transfers: number }>(sql`
    SELECT (SELECT count(*) FROM payout_destinations)::int AS destinations,
           (SELECT count(*) FROM ledger_payments)::int AS payments,
           (SELECT count(*) FROM ledger_transfers)::int AS transfers`);
  return r.rows[0];
}

describe('payout destinations', () => {
  it('stores the details sealed and shows only the last four characters', async () => {
    const user = await createTestUser(t);
    const stripe = await addDestination(user, { kind: 'stripe_account', accountId: STRIPE_ACCOUNT, label: 'Main' });
    expect(stripe.statusCode).toBe(201);
    expect(stripe.json()).toMatchObject({ kind: 'stripe_account', label: 'Main', masked: '••••CVdK' });
    const bank = await addDestination(user, { kind: 'bank_account', holderName: 'Ada Lovelace', iban: IBAN });
    expect(bank.json()).toMatchObject({ kind: 'bank_account', masked: '••••3000' });
    const us = await addDestination(user, {
      kind: 'bank_account',
      holderName: 'Ada Lovelace',
      accountNumber: '000123456789',
      routingNumber: '110000000',
    });
    expect(us.json()).toMatchObject({ masked: '••••6789' });
    const created = Date.parse(us.json<{ createdAt: string }>().createdAt);
    expect(Date.parse(us.json<{ usableFrom: string }>().usableFrom) - created).toBe(COOLDOWN * 1000);

    const list = await t.app.inject({ url: '/api/wallet/payout-destinations', headers: auth(user) });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: { masked: string }[] }>().items.map((d) => d.masked)).toEqual([
      '••••6789',
      '••••3000',
      '••••CVdK',
    ]);
    for (const body of [stripe.body, bank.body, us.body, list.body]) {
      for (const secret of [STRIPE_ACCOUNT, 'DE89', '370400440532013000', '000123456789', 'Ada', '110000000']) {
        expect(body).not.toContain(secret);
      }
    }

    const row = await storedDetails(bank.json<{ id: string }>().id);
    expect(row.details.startsWith('enc:v1:')).toBe(true);
    expect(row.details).not.toContain('DE89');
    expect(row.details).not.toContain('Ada');
    expect(JSON.parse(open(keyringOf(t.config), row.details, 'payout_destinations.details'))).toEqual({
      holderName: 'Ada Lovelace',
      iban: 'DE89370400440532013000',
    });
    const audit = await db().execute<{ details: unknown }>(
      sql`SELECT details FROM platform_audit_log WHERE target_type = 'payout_destination' AND actor_id = ${user.id}`,
    );
    expect(audit.rows).toHaveLength(3);
    expect(JSON.stringify(audit.rows)).not.toMatch(/DE89|acct_|Ada|000123456789/);
  });

  it('removes a destination from the list and from use', async () => {
    const user = await createTestUser(t);
    await fund(db(), user.id, 1000n);
    const id = await readyDestination(user);
    const url = `/api/wallet/payout-destinations/${id}`;
    expect((await t.app.inject({ method: 'DELETE', url, headers: auth(user) })).statusCode).toBe(204);
    const list = await t.app.inject({ url: '/api/wallet/payout-destinations', headers: auth(user) });
    expect(list.json()).toEqual({ items: [] });
    expect((await t.app.inject({ method: 'DELETE', url, headers: auth(user) })).statusCode).toBe(404);
    const res = await withdraw(user, 100, id);
    expect(res.statusCode).toBe(404);
    expect(await coins(db(), user.id)).toMatchObject({ available: 1000n, held: 0n });
  });

  it.each([
    [{ kind: 'stripe_account', accountId: 'acct_' }, 'body.accountId'],
    [{ kind: 'stripe_account', accountId: 'ba_1Nv0FGQ9RKHgCVdK' }, 'body.accountId'],
    [{ kind: 'stripe_account' }, 'body.accountId'],
    [{ kind: 'stripe_account', accountId: STRIPE_ACCOUNT, iban: IBAN }, 'body.iban'],
    [{ kind: 'bank_account', holderName: 'Ada', iban: 'DE89 3704 0044 0532 0130 01' }, 'body.iban'],
    [{ kind: 'bank_account', iban: IBAN }, 'body.holderName'],
    [{ kind: 'bank_account', holderName: '   ', iban: IBAN }, 'body.holderName'],
    [{ kind: 'bank_account', holderName: 'Ada', accountNumber: '000123456789' }, 'body.routingNumber'],
    [
      { kind: 'bank_account', holderName: 'Ada', accountNumber: '12', routingNumber: '110000000' },
      'body.accountNumber',
    ],
    [
      { kind: 'bank_account', holderName: 'Ada', accountNumber: '000123456789', routingNumber: '110000001' },
      'body.routingNumber',
    ],
    [{ kind: 'bank_account', holderName: 'Ada', accountId: STRIPE_ACCOUNT, iban: IBAN }, 'body.accountId'],
  ])('refuses %j naming %s, writing nothing', async (payload, field) => {
    const user = await createTestUser(t);
    const before = await countRows();
    const res = await addDestination(user, payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field)).toContain(field);
    expect(await countRows()).toEqual(before);
  });

  it('refuses unknown fields and kinds', async () => {
    const user = await createTestUser(t);
    for (const payload of [
      { kind: 'stripe_account', accountId: STRIPE_ACCOUNT, extra: 1 },
      { kind: 'paypal', accountId: STRIPE_ACCOUNT },
    ]) {
      expect((await addDestination(user, payload)).statusCode).toBe(400);
    }
  });

  it('keeps at most ten destinations in use; removing one makes room', async () => {
    const user = await createTestUser(t);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await addDestination(user, { kind: 'stripe_account', accountId: STRIPE_ACCOUNT });
      expect(res.statusCode).toBe(201);
      ids.push(res.json<{ id: string }>().id);
    }
    const refused = await addDestination(user, { kind: 'stripe_account', accountId: STRIPE_ACCOUNT });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'payout_destination_limit', limit: 10 });
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/api/wallet/payout-destinations/${ids[0]}`,
      headers: auth(user),
    });
    expect(removed.statusCode).toBe(204);
    expect((await addDestination(user, { kind: 'stripe_account', accountId: STRIPE_ACCOUNT })).statusCode).toBe(201);
  });

  it("keeps one user's destinations from another", async () => {
    const owner = await createTestUser(t);
    const other = await createTestUser(t);
    await fund(db(), other.id, 1000n);
    const id = await readyDestination(owner);
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/api/wallet/payout-destinations/${id}`,
      headers: auth(other),
    });
    expect(removed.statusCode).toBe(404);
    const list = await t.app.inject({ url: '/api/wallet/payout-destinations', headers: auth(other) });
    expect(list.json()).toEqual({ items: [] });
    const before = await countRows();
    expect((await withdraw(other, 100, id)).statusCode).toBe(404);
    expect(await countRows()).toEqual(before);
    const mine = await t.app.inject({ url: '/api/wallet/payout-destinations', headers: auth(owner) });
    expect(mine.json<{ items: { id: string }[] }>().items.map((d) => d.id)).toEqual([id]);
  });

  it('needs a signed-in caller', async () => {
    const id = '00000000-0000-7000-8000-000000000000';
    for (const [method, url] of [
      ['GET', '/api/wallet/payout-destinations'],
      ['POST', '/api/wallet/payout-destinations'],
      ['DELETE', `/api/wallet/payout-destinations/${id}`],
      ['GET', '/api/admin/payouts'],
      ['POST', `/api/admin/payouts/${id}/approve`],
      ['POST', `/api/admin/payouts/${id}/reject`],
    ] as const) {
      const res = await t.app.inject({ method, url, payload: method === 'POST' ? {} : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(401);
    }
  });
});

describe('withdrawals to a destination', () => {
  it('pays out to the opened destination and records it on the payment', async () => {
    const user = await createTestUser(t);
    await fund(db(), user.id, 1000n);
    const id = await readyDestination(user);
    const payout = vi.spyOn(sandbox, 'createPayout');
    const res = await withdraw(user, 400, id);
    expect(res.statusCode).toBe(201);
    const payment = res.json<{ payment: { id: string; status: string; destinationId: string } }>().payment;
    expect(payment).toMatchObject({ status: 'pending', destinationId: id });
    await drainOutbox();
    expect(payout).toHaveBeenCalledWith(
      expect.objectContaining({ paymentId: payment.id, amount: 400n, destination: STRIPE_ACCOUNT }),
    );
    expect(await getPayment(db(), payment.id)).toMatchObject({
      destinationId: id,
      providerPaymentId: `sbx_pay_${payment.id}`,
    });
  });

  it('requires a destination once the user has one, and refuses one still cooling down', async () => {
    const user = await createTestUser(t);
    await fund(db(), user.id, 1000n);
    const fresh = await addDestination(user, { kind: 'bank_account', holderName: 'Ada Lovelace', iban: IBAN });
    const before = await countRows();
    const none = await withdraw(user, 100);
    expect(none.statusCode).toBe(422);
    expect(none.json().code).toBe('payout_destination_required');
    const early = await withdraw(user, 100, fresh.json<{ id: string }>().id);
    expect(early.statusCode).toBe(422);
    expect(early.json()).toMatchObject({
      code: 'payout_destination_cooling_down',
      usableFrom: fresh.json<{ usableFrom: string }>().usableFrom,
    });
    expect(await countRows()).toEqual(before);
    expect(await coins(db(), user.id)).toMatchObject({ available: 1000n, held: 0n });
  });

  it(`refuses more than ${MAX_PER_DAY} withdrawals a day, counted by the database`, async () => {
    const user = await createTestUser(t);
    await fund(db(), user.id, 1000n);
    const id = await readyDestination(user);
    for (let i = 1; i < MAX_PER_DAY; i++) expect((await withdraw(user, 10, id)).statusCode).toBe(201);
    // Three at once with one left: exactly one gets through.
    const racing = await Promise.all([withdraw(user, 10, id), withdraw(user, 10, id), withdraw(user, 10, id)]);
    expect(racing.map((r) => r.statusCode).sort()).toEqual([201, 422, 422]);
    for (const r of racing.filter((x) => x.statusCode === 422)) expect(r.json().code).toBe('payout_count_exceeded');
    expect(await coins(db(), user.id)).toMatchObject({ available: 1000n - 10n * BigInt(MAX_PER_DAY) });
  });
});

describe('the payout review queue', () => {
  let admin: CreatedTestUser;
  beforeAll(async () => {
    admin = await createTestUser(t, { role: 'admin' });
  });

  /** A withdrawal above the review threshold, by a new funded user. */
  async function payoutInReview(amount = REVIEW_ABOVE + 1) {
    const user = await createTestUser(t);
    await fund(db(), user.id, 10_000n);
    const res = await withdraw(user, amount, await readyDestination(user));
    expect(res.statusCode).toBe(201);
    return { user, payment: res.json<{ payment: { id: string; status: string } }>().payment };
  }

  const decide = (who: CreatedTestUser, id: string, action: 'approve' | 'reject', payload?: object) =>
    t.app.inject({
      method: 'POST',
      url: `/api/admin/payouts/${id}/${action}`,
      headers: auth(who),
      ...(action === 'reject' ? { payload: payload ?? { reason: 'name does not match the account holder' } } : {}),
    });

  it('holds a payout above the threshold without asking the provider', async () => {
    const payout = vi.spyOn(sandbox, 'createPayout');
    const { user, payment } = await payoutInReview();
    expect(payment.status).toBe('review');
    await drainOutbox();
    expect(payout).not.toHaveBeenCalled();
    expect(await getPayment(db(), payment.id)).toMatchObject({ status: 'review', providerPaymentId: null });
    expect(await coins(db(), user.id)).toMatchObject({ available: 10_000n - BigInt(REVIEW_ABOVE + 1) });
    // At the threshold itself the payout goes straight to the provider.
    const below = await createTestUser(t);
    await fund(db(), below.id, 10_000n);
    const direct = await withdraw(below, REVIEW_ABOVE, await readyDestination(below));
    expect(direct.json().payment.status).toBe('pending');
  });

  it('lists payouts in review, oldest first, a page at a time', async () => {
    const first = await payoutInReview();
    const second = await payoutInReview();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await t.app.inject({ url: `/api/admin/payouts?status=review&limit=1${query}`, headers: auth(admin) });
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: { id: string; status: string; destination: { masked: string } }[] }>();
      expect(page.items.length).toBeLessThanOrEqual(1);
      for (const item of page.items) {
        expect(item.status).toBe('review');
        expect(item.destination.masked).toBe('••••CVdK');
        seen.push(item.id);
      }
      cursor = res.json<{ nextCursor: string | null }>().nextCursor;
    } while (cursor);
    expect(seen.indexOf(first.payment.id)).toBeGreaterThanOrEqual(0);
    expect(seen.indexOf(second.payment.id)).toBeGreaterThan(seen.indexOf(first.payment.id));
    expect(JSON.stringify(seen)).not.toContain('acct_');
  });

  it('approves once: the provider is asked after the decision, a second decision is 409', async () => {
    const { user, payment } = await payoutInReview();
    const payout = vi.spyOn(sandbox, 'createPayout');
    const res = await decide(admin, payment.id, 'approve');
    expect(res.statusCode).toBe(200);
    expect(res.json().payment).toMatchObject({ id: payment.id, status: 'pending' });
    for (const action of ['approve', 'reject'] as const) {
      const again = await decide(admin, payment.id, action);
      expect(again.statusCode).toBe(409);
      expect(again.json().code).toBe('payout_not_in_review');
    }
    await drainOutbox();
    expect(payout).toHaveBeenCalledWith(
      expect.objectContaining({ paymentId: payment.id, destination: STRIPE_ACCOUNT }),
    );
    const registered = await getPayment(db(), payment.id);
    expect(registered).toMatchObject({ status: 'pending', providerPaymentId: `sbx_pay_${payment.id}` });

    const hook = sandbox.simulate(`sbx_pay_${payment.id}`, 'payout.succeeded', BigInt(REVIEW_ABOVE + 1));
    const settled = await t.app.inject({
      method: 'POST',
      url: '/api/payments/webhooks/sandbox',
      headers: hook.headers,
      payload: hook.rawBody,
    });
    expect(settled.json().outcome).toBe('applied');
    expect(await coins(db(), user.id)).toMatchObject({ held: 0n, total: 10_000n - BigInt(REVIEW_ABOVE + 1) });
    const audit = await db().execute<{ action: string; actor_id: string }>(
      sql`SELECT action, actor_id FROM platform_audit_log WHERE target_id = ${payment.id} AND action LIKE 'admin.%'`,
    );
    expect(audit.rows).toEqual([{ action: 'admin.payout.approve', actor_id: admin.id }]);
  });

  it('rejects once when two admins decide at the same time: the coins return and the user is told', async () => {
    const other = await createTestUser(t, { role: 'admin' });
    const { user, payment } = await payoutInReview();
    const answers = await Promise.all([decide(admin, payment.id, 'reject'), decide(other, payment.id, 'reject')]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await coins(db(), user.id)).toMatchObject({ available: 10_000n, held: 0n });
    expect(await getPayment(db(), payment.id)).toMatchObject({
      status: 'failed',
      failureReason: 'name does not match the account holder',
      providerPaymentId: null,
    });
    const audit = await db().execute<{ action: string; actor_id: string }>(
      sql`SELECT action, actor_id FROM platform_audit_log WHERE target_id = ${payment.id} AND action LIKE 'admin.%'`,
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]?.action).toBe('admin.payout.reject');
    expect([admin.id, other.id]).toContain(audit.rows[0]?.actor_id);
    const late = await decide(admin, payment.id, 'approve');
    expect(late.statusCode).toBe(409);

    await drainOutbox();
    const notes = await t.app.inject({ url: '/api/notifications', headers: auth(user) });
    expect(notes.json<{ items: { title: string; body: string }[] }>().items).toEqual(
      expect.arrayContaining([expect.objectContaining({ body: 'The coins are back in your wallet.' })]),
    );
  });

  it('answers 404 for an unknown payout and 400 for a reject without a reason', async () => {
    const { payment } = await payoutInReview();
    expect((await decide(admin, '00000000-0000-7000-8000-000000000000', 'approve')).statusCode).toBe(404);
    expect((await decide(admin, payment.id, 'reject', {})).statusCode).toBe(400);
    expect((await decide(admin, payment.id, 'reject', { reason: 'x', extra: true })).statusCode).toBe(400);
    expect(await getPayment(db(), payment.id)).toMatchObject({ status: 'review' });
  });

  it('is closed to users without the review permission', async () => {
    const { payment } = await payoutInReview();
    const moderator = await createTestUser(t, { role: 'moderator' });
    for (const who of [await createTestUser(t), moderator]) {
      expect((await t.app.inject({ url: '/api/admin/payouts', headers: auth(who) })).statusCode).toBe(403);
      expect((await decide(who, payment.id, 'approve')).statusCode).toBe(403);
      expect((await decide(who, payment.id, 'reject')).statusCode).toBe(403);
    }
    expect(await getPayment(db(), payment.id)).toMatchObject({ status: 'review' });
  });
});

describe('logs', () => {
  it('never carry destination details, on success, refusal or payout', async () => {
    const from = logLines.length;
    const user = await createTestUser(t);
    await fund(db(), user.id, 1000n);
    const bank = await addDestination(user, {
      kind: 'bank_account',
      holderName: 'Grace Hopper',
      iban: 'GB82 WEST 1234 5698 7654 32',
    });
    expect(bank.statusCode).toBe(201);
    const refused = await addDestination(user, { kind: 'bank_account', holderName: 'Grace Hopper', iban: IBAN + '9' });
    expect(refused.statusCode).toBe(400);
    const id = await readyDestination(user, { accountId: 'acct_1QxLogCheck00000' });
    expect((await withdraw(user, 100, id)).statusCode).toBe(201);
    await drainOutbox();
    const written = logLines.slice(from).join('');
    expect(written).toContain('/api/wallet/payout-destinations');
    expect(written).not.toMatch(/Grace|Hopper|GB82|WEST1234|98765432|acct_1QxLogCheck|DE89/);
  });
});
