import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPostgres } from '../../../test/helpers/db.ts';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { COIN } from './accounts.ts';
import { lockOrder } from './legs.ts';
import { reconcile } from './reconcile.ts';
import * as ledger from './service.ts';
import { coins, fund } from '../../../test/support/ledger.ts';

/**
 * Races only real PostgreSQL can run: the embedded database executes one statement at a time.
 * Every request goes through HTTP, on a pool smaller than the crowd, as in production.
 */
describe.skipIf(!onPostgres)('concurrent value movement on PostgreSQL', () => {
  let t: TestApp;
  const auth = (u: CreatedTestUser) => ({ authorization: `Bearer ${u.token}` });
  const send = (from: CreatedTestUser, to: CreatedTestUser, amount: number, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: '/api/wallet/transfer',
      headers: { ...auth(from), ...headers },
      payload: { to: to.id, amount },
    });

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RATE_LIMIT_MAX: '100000',
        LEDGER_DAILY_TRANSFER_LIMIT: '1000000000',
        RUN_WORKERS: 'false',
        DB_POOL_SIZE: '20',
      },
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lets 200 simultaneous transfers drain an account exactly as far as its balance allows', async () => {
    const payer = await createTestUser(t);
    const payees = await Promise.all([0, 1, 2, 3].map(() => createTestUser(t)));
    await fund(t.runtime.ctx.db, payer.id, 1000n);
    const responses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => send(payer, payees[i % payees.length] as CreatedTestUser, 7)),
    );
    const statuses = responses.map((r) => r.statusCode);
    // 1000 / 7 = 142 transfers fit, leaving 6.
    expect(statuses.filter((s) => s === 201)).toHaveLength(142);
    expect(statuses.filter((s) => s === 409)).toHaveLength(58);
    for (const r of responses.filter((x) => x.statusCode === 409)) expect(r.json().code).toBe('insufficient_funds');
    expect(await coins(t.runtime.ctx.db, payer.id)).toMatchObject({ available: 6n, held: 0n });
    let received = 0n;
    for (const p of payees) received += (await coins(t.runtime.ctx.db, p.id)).available;
    expect(received).toBe(994n);
    expect((await reconcile(t.runtime.ctx.db)).violations).toEqual([]);
  });

  it('turns 100 simultaneous requests with one Idempotency-Key into exactly one transfer', async () => {
    const payer = await createTestUser(t);
    const payee = await createTestUser(t);
    await fund(t.runtime.ctx.db, payer.id, 10_000n);
    const key = { 'idempotency-key': 'checkout-42' };
    const responses = await Promise.all(Array.from({ length: 100 }, () => send(payer, payee, 250, key)));
    const done = responses.filter((r) => r.statusCode === 201);
    const busy = responses.filter((r) => r.statusCode !== 201);
    expect(done.length).toBeGreaterThanOrEqual(1);
    expect(new Set(done.map((r) => r.body)).size).toBe(1);
    // Requests that overlapped the first are told to retry, never processed.
    for (const r of busy) expect([r.statusCode, r.json().code]).toEqual([409, 'idempotency_in_progress']);
    const retry = await send(payer, payee, 250, key);
    expect(retry.body).toBe(done[0]?.body);

    const moved = await t.runtime.ctx.db.execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM ledger_transfer_legs WHERE from_account = ${payer.id}`);
    expect(moved.rows[0]?.n).toBe(1);
    expect(await coins(t.runtime.ctx.db, payer.id)).toMatchObject({ available: 9_750n });
  });

  it('never deadlocks transfers running in opposite directions between the same accounts', async () => {
    const a = await createTestUser(t);
    const b = await createTestUser(t);
    await fund(t.runtime.ctx.db, a.id, 5_000n);
    await fund(t.runtime.ctx.db, b.id, 5_000n);
    const rounds = Array.from({ length: 60 }, (_, i) => [send(a, b, 1 + (i % 5)), send(b, a, 1 + (i % 5))]).flat();
    const statuses = (await Promise.all(rounds)).map((r) => r.statusCode);
    expect(statuses.every((s) => s === 201)).toBe(true);
    expect((await coins(t.runtime.ctx.db, a.id)).available).toBe(5_000n);
    expect((await coins(t.runtime.ctx.db, b.id)).available).toBe(5_000n);
  });

  it('orders its locks so that even unretried transactions never deadlock', async () => {
    // Straight to the service in plain transactions: no retry could hide a deadlock here.
    const users = await Promise.all([0, 1, 2, 3].map(() => createTestUser(t)));
    const db = t.runtime.ctx.db;
    for (const u of users) await fund(db, u.id, 10_000n);
    const ids = users.map((u) => u.id);
    const work = Array.from({ length: 160 }, (_, i) => {
      const from = ids[i % 4] as string;
      const to = ids[(i * 7 + 1) % 4] === from ? (ids[(i + 1) % 4] as string) : (ids[(i * 7 + 1) % 4] as string);
      const other = ids.find((x) => x !== from && x !== to) as string;
      // Multi-leg batches touch three balances in varying leg order.
      return db.transaction((tx) =>
        ledger.transfer(tx, {
          kind: 'test.race',
          legs: [
            { from, to, asset: COIN, amount: 3n },
            { from: to, to: other, asset: COIN, amount: 1n },
            { from: other, to: from, asset: COIN, amount: 2n },
          ],
        }),
      );
    });
    const results = await Promise.allSettled(work);
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    let total = 0n;
    for (const u of users) total += (await coins(db, u.id)).available;
    expect(total).toBe(40_000n);
    expect((await reconcile(db)).violations).toEqual([]);
  });

  it('repeats a transfer that opened its own transaction when PostgreSQL aborts it as a deadlock victim', async () => {
    const db = t.runtime.ctx.db;
    const [a, b] = await Promise.all([createTestUser(t), createTestUser(t)]);
    await fund(db, a.id, 100n);
    await fund(db, b.id, 1n);
    const legs = [{ from: a.id, to: b.id, asset: COIN, amount: 10n }];
    const [first, second] = lockOrder(legs);
    if (!first || !second) throw new Error('two balances expected');
    const lockRow = (tx: typeof db, accountId: string) =>
      tx.execute(sql`SELECT 1 FROM ledger_balances WHERE account_id = ${accountId} AND asset = 'COIN' FOR UPDATE`);
    const waitingOnLocks = async () =>
      (
        await db.execute<{ n: number }>(sql`
          SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`)
      ).rows[0]?.n ?? 0;
    let moving: Promise<{ ok: boolean; error?: unknown }> | undefined;
    await db.transaction(async (tx) => {
      // This side waits long before checking for deadlocks, so the transfer is the one aborted.
      await tx.execute(sql`SET LOCAL deadlock_timeout = '20s'`);
      await lockRow(tx, second.accountId);
      moving = ledger.transfer(db, { kind: 'test.deadlock', legs }).then(
        () => ({ ok: true }),
        (error: unknown) => ({ ok: false, error }),
      );
      // The transfer holds the first balance and waits for the second; taking the first closes the cycle.
      await expect.poll(waitingOnLocks, { timeout: 10_000 }).toBeGreaterThan(0);
      await lockRow(tx, first.accountId);
    });
    expect(await moving).toEqual({ ok: true });
    expect(await coins(db, b.id)).toMatchObject({ available: 11n });
    expect((await reconcile(db)).violations).toEqual([]);
  });
});
