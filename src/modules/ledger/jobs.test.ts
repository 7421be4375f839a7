import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestUser } from '../../../test/helpers/users.ts';
import { userChannel } from '../../platform/realtime/ws.ts';
import { COIN } from './accounts.ts';
import * as ledger from './service.ts';
import { coins, fund } from '../../../test/support/ledger.ts';

/** The ledger's background work, run by the real job queue and outbox dispatcher. */
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ env: { LEDGER_PENDING_SWEEP_SECONDS: '1', LEDGER_RECONCILE_INTERVAL_SECONDS: '10' } });
});

afterAll(async () => {
  await t?.close();
});

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 300; i += 1) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('ledger jobs', () => {
  it('voids a pending transfer once its timeout passes', async () => {
    const a = await createTestUser(t);
    const b = await createTestUser(t);
    await fund(t.runtime.ctx.db, a.id, 100n);
    await ledger.ensureWallet(t.runtime.ctx.db, b.id);
    const held = await ledger.hold(t.runtime.ctx.db, {
      kind: 'test.hold',
      timeoutSeconds: 1,
      legs: [{ from: a.id, to: b.id, asset: COIN, amount: 40n }],
    });
    expect(await coins(t.runtime.ctx.db, a.id)).toMatchObject({ available: 60n, held: 40n });
    await eventually(async () => {
      const tr = await ledger.getTransferWithLegs(t.runtime.ctx.db, held.id);
      return tr?.status === 'voided' ? tr : undefined;
    }, 'the sweep');
    expect(await coins(t.runtime.ctx.db, a.id)).toMatchObject({ available: 100n, held: 0n });
  });

  it('reconciles on a schedule and publishes the result as metrics', async () => {
    const text = await eventually(async () => {
      const body = (await t.app.inject({ url: '/metrics' })).body;
      return /ledger_reconciliation_last_run_timestamp_seconds [1-9]/.test(body) ? body : undefined;
    }, 'a reconciliation run');
    expect(text).toMatch(/ledger_reconciliation_violations\{check="asset_not_zero"\} 0/);
  });

  it('tells the recipient of a transfer on their private channel', async () => {
    const a = await createTestUser(t);
    const b = await createTestUser(t);
    await fund(t.runtime.ctx.db, a.id, 100n);
    const received: unknown[] = [];
    const unsubscribe = await t.runtime.ctx.realtime.subscribe(userChannel(b.id), (_channel, message) => {
      received.push(message);
    });
    try {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/wallet/transfer',
        headers: { authorization: `Bearer ${a.token}` },
        payload: { to: b.username, amount: 30, memo: 'thanks' },
      });
      expect(res.statusCode).toBe(201);
      const message = await eventually(async () => received[0], 'the realtime message');
      expect(message).toMatchObject({
        type: 'wallet.transfer_received',
        userId: b.id,
        fromUserId: a.id,
        amount: '30',
        memo: 'thanks',
        transferId: res.json().id,
      });
    } finally {
      await unsubscribe();
    }
  });
});
