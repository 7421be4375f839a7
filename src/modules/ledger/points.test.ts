import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { QUIET_ENV, bearer } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { writtenRows } from '../../../test/support/ledger.ts';
import { POINTS, systemShard, walletAccountId } from './accounts.ts';
import { InvalidTransferError } from './errors.ts';
import { balances, ensureWallet, openEscrow, transfer } from './service.ts';

/*
 * Reward points are a ledger asset that only the rewards account (or another system account)
 * moves: user to user, or user to escrow, is refused before anything is written, whatever path asks.
 */

let t: TestApp;
let ada: CreatedTestUser;
let bob: CreatedTestUser;

beforeAll(async () => {
  t = await createTestApp({ env: QUIET_ENV });
  [ada, bob] = await Promise.all([createTestUser(t), createTestUser(t)]);
  const db = t.runtime.ctx.db;
  await ensureWallet(db, ada.id);
  await ensureWallet(db, bob.id);
  await transfer(db, {
    kind: 'rewards.payout',
    legs: [{ from: systemShard('rewards', ada.id), to: walletAccountId(ada.id), asset: POINTS, amount: 100n }],
  });
}, 60_000);
afterAll(async () => t?.close());

const points = async (userId: string) => (await balances(t.runtime.ctx.db, walletAccountId(userId), POINTS))[0]?.total;

describe('POINTS are not transferable between users', () => {
  it('the rewards account pays points (it may go negative, like the mint)', async () => {
    expect(await points(ada.id)).toBe(100n);
  });

  it('refuses a user-to-user or user-to-escrow leg of points and writes nothing', async () => {
    const db = t.runtime.ctx.db;
    const escrow = await openEscrow(db, { ownerId: ada.id, purpose: 'test', reference: 'points' });
    const before = await writtenRows(db);
    for (const to of [walletAccountId(bob.id), escrow.id]) {
      await expect(
        transfer(db, {
          kind: 'wallet.transfer',
          legs: [{ from: walletAccountId(ada.id), to, asset: POINTS, amount: 1n }],
        }),
      ).rejects.toBeInstanceOf(InvalidTransferError);
    }
    expect(await writtenRows(db)).toEqual(before);
    expect(await points(ada.id)).toBe(100n);
    expect(await points(bob.id)).toBeUndefined();
  });

  it('the wallet transfer route sends coins only: naming another asset is a 400 naming the field', async () => {
    const db = t.runtime.ctx.db;
    const before = await writtenRows(db);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/transfer',
      headers: bearer(ada.token),
      payload: { to: bob.username, amount: 1, asset: POINTS },
    });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('asset');
    expect(await writtenRows(db)).toEqual(before);
    expect(await points(bob.id)).toBeUndefined();
  });
});
