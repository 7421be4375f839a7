import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { coins, fund, writtenRows } from '../../../test/support/ledger.ts';

let t: TestApp;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let carol: CreatedTestUser;

const auth = (u: CreatedTestUser) => ({ authorization: `Bearer ${u.token}` });

function send(from: CreatedTestUser, body: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/wallet/transfer',
    headers: { ...auth(from), ...headers },
    payload: body as object,
  });
}

beforeAll(async () => {
  t = await createTestApp({
    // No workers: these tests read the outbox rather than its deliveries.
    env: {
      LEDGER_MAX_AMOUNT: '1000000',
      LEDGER_DAILY_TRANSFER_LIMIT: '50000',
      RATE_LIMIT_MAX: '10000',
      RUN_WORKERS: 'false',
    },
  });
  [alice, bob, carol] = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
  await fund(t.runtime.ctx.db, alice.id, 10_000n);
});

afterAll(async () => {
  await t?.close();
});

describe('POST /api/wallet/transfer', () => {
  it('moves coins, tells the recipient, and shows in both histories', async () => {
    const res = await send(alice, { to: bob.username.toUpperCase(), amount: 1250, memo: 'for the cards' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      kind: 'wallet.transfer',
      status: 'posted',
      amount: 1250,
      memo: 'for the cards',
      to: { userId: bob.id, username: bob.username },
      balance: { asset: 'COIN', available: 8750, held: 0, total: 8750 },
    });
    expect(await coins(t.runtime.ctx.db, bob.id)).toMatchObject({ available: 1250n });
    const events = await t.runtime.ctx.db.execute<{ payload: { userId: string; amount: string } }>(
      sql`SELECT payload FROM platform_outbox_events WHERE type = 'wallet.transfer_received'`,
    );
    expect(events.rows.map((r) => r.payload)).toContainEqual(
      expect.objectContaining({ userId: bob.id, fromUserId: alice.id, amount: '1250', transferId: body.id }),
    );

    const mine = await t.app.inject({ url: '/api/wallet/transactions', headers: auth(alice) });
    expect(mine.json().items[0]).toMatchObject({
      id: body.id,
      amount: -1250,
      balanceAfter: 8750,
      counterparty: { type: 'user', userId: bob.id, username: bob.username },
    });
    const theirs = await t.app.inject({ url: '/api/wallet/transactions', headers: auth(bob) });
    expect(theirs.json().items[0]).toMatchObject({ id: body.id, amount: 1250, balanceAfter: 1250 });

    const balance = await t.app.inject({ url: '/api/wallet/balance', headers: auth(bob) });
    expect(balance.json()).toEqual({ balances: [{ asset: 'COIN', available: 1250, held: 0, total: 1250 }] });
  });

  it('shows a transfer only to its parties', async () => {
    const sent = (await send(alice, { to: bob.id, amount: 10 })).json();
    const url = `/api/wallet/transaction/${sent.id}`;
    const forBob = await t.app.inject({ url, headers: auth(bob) });
    expect(forBob.statusCode).toBe(200);
    expect(forBob.json()).toMatchObject({
      id: sent.id,
      legs: [{ from: alice.id, to: bob.id, asset: 'COIN', amount: 10 }],
    });
    expect((await t.app.inject({ url, headers: auth(carol) })).statusCode).toBe(404);
    const admin = await createTestUser(t, { role: 'admin' });
    expect((await t.app.inject({ url, headers: auth(admin) })).statusCode).toBe(200);
  });

  it.each([
    [{ amount: 100 }, 'body.to'],
    [{ to: 'x', amount: '100' }, 'body.amount'],
    [{ to: 'x', amount: 0 }, 'body.amount'],
    [{ to: 'x', amount: -5 }, 'body.amount'],
    [{ to: 'x', amount: 1.5 }, 'body.amount'],
    [{ to: 'x', amount: 1_000_001 }, 'body.amount'],
    [{ to: 'x', amount: 1, fee: 0 }, 'body.fee'],
  ])('refuses %j with 400 naming %s, writing nothing', async (payload, field) => {
    const before = await writtenRows(t.runtime.ctx.db);
    const res = await send(alice, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await writtenRows(t.runtime.ctx.db)).toEqual(before);
  });

  it('refuses an overdraft with 409 insufficient_funds and writes nothing', async () => {
    const before = await writtenRows(t.runtime.ctx.db);
    const res = await send(carol, { to: alice.username, amount: 1 }, { 'idempotency-key': 'broke-1' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('insufficient_funds');
    expect(await writtenRows(t.runtime.ctx.db)).toEqual(before);
  });

  it('refuses transfers to oneself, by username or id', async () => {
    for (const to of [alice.username, alice.id]) {
      const res = await send(alice, { to, amount: 1 });
      expect(res.statusCode).toBe(422);
      expect(res.json().code).toBe('self_transfer');
    }
  });

  it('answers 404 for an unknown recipient', async () => {
    const res = await send(alice, { to: 'nobody_here', amount: 1 });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('recipient_not_found');
  });

  it('refuses anonymous callers and senders without a verified email', async () => {
    const anonymous = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/transfer',
      payload: { to: 'x', amount: 1 },
    });
    expect(anonymous.statusCode).toBe(401);
    const unverified = await createTestUser(t, { verified: false });
    await fund(t.runtime.ctx.db, unverified.id, 100n);
    const res = await send(unverified, { to: alice.username, amount: 1 });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('email_not_verified');
    expect(await coins(t.runtime.ctx.db, unverified.id)).toMatchObject({ available: 100n });
  });

  it('enforces the daily transfer limit', async () => {
    const rich = await createTestUser(t);
    await fund(t.runtime.ctx.db, rich.id, 100_000n);
    expect((await send(rich, { to: bob.username, amount: 40_000 })).statusCode).toBe(201);
    const res = await send(rich, { to: bob.username, amount: 10_001 });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'daily_limit_exceeded', remaining: '10000' });
    expect((await send(rich, { to: bob.username, amount: 10_000 })).statusCode).toBe(201);
  });
});

describe('Idempotency-Key on POST /api/wallet/transfer', () => {
  it('replays the stored response byte for byte without moving coins again', async () => {
    const payer = await createTestUser(t);
    await fund(t.runtime.ctx.db, payer.id, 500n);
    const key = { 'idempotency-key': 'order-7f3a' };
    const first = await send(payer, { to: carol.username, amount: 200, memo: 'once' }, key);
    const again = await send(payer, { memo: 'once', amount: 200, to: carol.username }, key);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.body).toBe(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await coins(t.runtime.ctx.db, payer.id)).toMatchObject({ available: 300n });

    const reused = await send(payer, { to: carol.username, amount: 201, memo: 'once' }, key);
    expect(reused.statusCode).toBe(422);
    expect(reused.json().code).toBe('idempotency_key_reused');
    // Keys belong to their user: the same key from someone else is a new request.
    const other = await send(alice, { to: carol.username, amount: 1 }, key);
    expect(other.statusCode).toBe(201);
    expect(other.json().id).not.toBe(first.json().id);
  });

  it('stores nothing for a refused request, so a retry after funding succeeds', async () => {
    const payer = await createTestUser(t);
    const key = { 'idempotency-key': 'retry-after-funding' };
    expect((await send(payer, { to: carol.username, amount: 50 }, key)).statusCode).toBe(409);
    await fund(t.runtime.ctx.db, payer.id, 50n);
    expect((await send(payer, { to: carol.username, amount: 50 }, key)).statusCode).toBe(201);
  });

  it('refuses a malformed key naming the header', async () => {
    const res = await send(alice, { to: carol.username, amount: 1 }, { 'idempotency-key': 'x'.repeat(256) });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('headers.idempotency-key');
  });
});

describe('GET /api/wallet/transactions', () => {
  it('pages newest first and filters by kind and time', async () => {
    const payer = await createTestUser(t);
    await fund(t.runtime.ctx.db, payer.id, 1000n);
    const ids: string[] = [];
    for (const amount of [1, 2, 3, 4]) ids.push((await send(payer, { to: bob.username, amount })).json().id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const res = await t.app.inject({
        url: `/api/wallet/transactions?limit=2&kind=wallet.transfer${query}`,
        headers: auth(payer),
      });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      seen.push(...page.items.map((i: { id: string }) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const all = (await t.app.inject({ url: '/api/wallet/transactions', headers: auth(payer) })).json().items;
    expect(all.map((i: { kind: string; amount: number }) => [i.kind, i.amount])).toEqual([
      ['wallet.transfer', -4],
      ['wallet.transfer', -3],
      ['wallet.transfer', -2],
      ['wallet.transfer', -1],
      ['test.fund', 1000],
    ]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const none = await t.app.inject({ url: `/api/wallet/transactions?from=${future}`, headers: auth(payer) });
    expect(none.json().items).toEqual([]);
    const bad = await t.app.inject({ url: '/api/wallet/transactions?cursor=bm9wZQ', headers: auth(payer) });
    expect(bad.statusCode).toBe(400);
  });
});
