import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import type { DomainEvent } from '../../platform/events/index.ts';
import { COIN, ensureWallet, PAYMENT_EVENTS, SYSTEM_ACCOUNTS, transfer, WALLET_EVENTS } from '../ledger/index.ts';
import { listNotifications } from './repo.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { RUN_WORKERS: 'false', RATE_LIMIT_MAX: '100000' } });
});
afterAll(async () => {
  await t?.close();
});

const auth = (u: CreatedTestUser) => ({ authorization: `Bearer ${u.token}` });

async function drainOutbox() {
  while ((await t.runtime.dispatcher.runOnce()) > 0);
}

const stored = (userId: string) => listNotifications(t.runtime.ctx.db, { userId, limit: 50, unreadOnly: false });

/** Hands a recorded event to its handlers again, as a redelivery after a lost acknowledgement would. */
async function redeliver(type: string, aggregateId: string) {
  const r = await t.runtime.ctx.db.execute<{ id: string; aggregate_type: string; payload: unknown; created_at: Date }>(
    sql`SELECT id, aggregate_type, payload, created_at FROM platform_outbox_events
        WHERE type = ${type} AND aggregate_id = ${aggregateId}`,
  );
  expect(r.rows).toHaveLength(1);
  const row = r.rows[0];
  if (!row) return;
  const event: DomainEvent = {
    id: row.id,
    type,
    aggregateType: row.aggregate_type,
    aggregateId,
    payload: row.payload,
    createdAt: new Date(row.created_at),
    attempt: 2,
  };
  for (const h of t.runtime.ctx.events.handlersFor(type)) await h.handle(event);
}

describe('wallet notifications', () => {
  it('tells the recipient of a transfer once, even when the event is delivered twice', async () => {
    const [alice, bob] = await Promise.all([createTestUser(t), createTestUser(t)]);
    await transfer(t.runtime.ctx.db, {
      kind: 'test.fund',
      legs: [
        {
          from: SYSTEM_ACCOUNTS.gateway,
          to: await ensureWallet(t.runtime.ctx.db, alice.id),
          asset: COIN,
          amount: 5000n,
        },
      ],
    });
    const sent = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/transfer',
      headers: auth(alice),
      payload: { to: bob.username, amount: 1250, memo: 'for the drake' },
    });
    expect(sent.statusCode).toBe(201);
    await drainOutbox();
    await redeliver(WALLET_EVENTS.transferReceived, bob.id);

    const notes = await stored(bob.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      type: 'wallet.transfer_received',
      title: 'You received 12.50 coins',
      body: `From @${alice.username}: for the drake`,
      data: { transferId: sent.json().id, fromUserId: alice.id },
    });
    expect(await stored(alice.id)).toEqual([]);
  });

  it('tells the payer when a deposit settles, once', async () => {
    const user = await createTestUser(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/deposit',
      headers: auth(user),
      payload: { amount: 700 },
    });
    expect(res.statusCode).toBe(201);
    const checkout = new URL(res.json().payment.checkoutUrl).pathname;
    expect((await t.app.inject({ method: 'POST', url: `${checkout}/complete` })).statusCode).toBe(200);
    await drainOutbox();
    await redeliver(PAYMENT_EVENTS.settled, user.id);

    const notes = await stored(user.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      type: 'wallet.payment_settled',
      title: 'Deposit of 7.00 coins completed',
      data: { paymentId: res.json().payment.id, status: 'succeeded' },
    });
  });
});
