import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { COIN, SYSTEM_ACCOUNTS } from './accounts.ts';
import {
  InsufficientFundsError,
  PendingExpiredError,
  TransferExistsError,
  TransferNotPendingError,
  UnknownAssetError,
} from './errors.ts';
import { reconcile } from './reconcile.ts';
import * as ledger from './service.ts';
import { coins, fund } from '../../../test/support/ledger.ts';

let database: TestDatabase;
const db = () => database.db;
const CARD = 'CARD:EMBER-DRAKE-HOLO';

beforeAll(async () => {
  database = await createTestDatabase();
  await ledger.registerAsset(db(), CARD, 'card');
});

afterAll(async () => {
  await database?.destroy();
});

async function newUser(coinsToGive = 0n) {
  const id = uuidv7();
  await ledger.ensureWallet(db(), id);
  if (coinsToGive > 0n) await fund(db(), id, coinsToGive);
  return id;
}

async function holding(accountId: string, asset: string) {
  const [b] = await ledger.balances(db(), accountId, asset);
  return b?.available ?? 0n;
}

describe('transfers', () => {
  it('swaps a card for coins atomically, or not at all', async () => {
    const seller = await newUser();
    const buyer = await newUser(500n);
    await ledger.transfer(db(), {
      kind: 'cards.issue',
      legs: [{ from: SYSTEM_ACCOUNTS.mint, to: seller, asset: CARD, amount: 2n }],
    });
    const swap = (price: bigint) =>
      ledger.transfer(db(), {
        kind: 'market.purchase',
        legs: [
          { from: buyer, to: seller, asset: COIN, amount: price },
          { from: seller, to: buyer, asset: CARD, amount: 1n },
        ],
      });
    await swap(300n);
    await expect(swap(300n)).rejects.toBeInstanceOf(InsufficientFundsError);
    expect([await holding(buyer, CARD), await holding(seller, CARD)]).toEqual([1n, 1n]);
    expect([await holding(buyer, COIN), await holding(seller, COIN)]).toEqual([200n, 300n]);
    // The mint's negative balance is exactly what was issued.
    expect(await holding(SYSTEM_ACCOUNTS.mint, CARD)).toBe(-2n);
  });

  it('applies a transfer id once', async () => {
    const a = await newUser(100n);
    const b = await newUser();
    const id = uuidv7();
    const input = { id, kind: 'test.once', legs: [{ from: a, to: b, asset: COIN, amount: 10n }] };
    await ledger.transfer(db(), input);
    await expect(ledger.transfer(db(), input)).rejects.toBeInstanceOf(TransferExistsError);
    expect(await holding(b, COIN)).toBe(10n);
  });

  it('refuses unknown assets and keeps fees from going negative', async () => {
    const a = await newUser(100n);
    await expect(
      ledger.transfer(db(), {
        kind: 'test.x',
        legs: [{ from: a, to: SYSTEM_ACCOUNTS.fees, asset: 'NOT-REGISTERED', amount: 1n }],
      }),
    ).rejects.toBeInstanceOf(UnknownAssetError);
    await expect(
      ledger.transfer(db(), { kind: 'test.x', legs: [{ from: SYSTEM_ACCOUNTS.fees, to: a, asset: COIN, amount: 1n }] }),
    ).rejects.toBeInstanceOf(InsufficientFundsError);
    await expect(ledger.registerAsset(db(), 'lower-case', 'card')).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('keeps escrow per business object, owned, and never negative', async () => {
    const owner = await newUser(50n);
    const reference = uuidv7();
    const escrow = await ledger.openEscrow(db(), { ownerId: owner, purpose: 'listing', reference });
    expect(await ledger.openEscrow(db(), { ownerId: owner, purpose: 'listing', reference })).toEqual(escrow);
    await ledger.transfer(db(), {
      kind: 'market.list',
      legs: [{ from: owner, to: escrow.id, asset: COIN, amount: 50n }],
    });
    await expect(
      ledger.transfer(db(), {
        kind: 'market.cancel',
        legs: [{ from: escrow.id, to: owner, asset: COIN, amount: 51n }],
      }),
    ).rejects.toBeInstanceOf(InsufficientFundsError);
    await ledger.transfer(db(), {
      kind: 'market.cancel',
      legs: [{ from: escrow.id, to: owner, asset: COIN, amount: 50n }],
    });
    expect(await coins(db(), owner)).toMatchObject({ available: 50n });
  });
});

describe('pending transfers', () => {
  it('reserves on hold, then posts or voids exactly once', async () => {
    const a = await newUser(100n);
    const b = await newUser();
    const held = await ledger.hold(db(), { kind: 'test.hold', legs: [{ from: a, to: b, asset: COIN, amount: 60n }] });
    expect(await coins(db(), a)).toMatchObject({ available: 40n, held: 60n, total: 100n });
    await expect(
      ledger.transfer(db(), { kind: 'test.x', legs: [{ from: a, to: b, asset: COIN, amount: 41n }] }),
    ).rejects.toBeInstanceOf(InsufficientFundsError);
    await ledger.postPending(db(), held.id);
    await expect(ledger.postPending(db(), held.id)).rejects.toBeInstanceOf(TransferNotPendingError);
    await expect(ledger.voidPending(db(), held.id)).rejects.toBeInstanceOf(TransferNotPendingError);
    expect(await coins(db(), a)).toMatchObject({ available: 40n, held: 0n });
    expect(await coins(db(), b)).toMatchObject({ available: 60n });
  });

  it('times out: cannot be posted after its timeout and is voided by the sweep', async () => {
    const a = await newUser(100n);
    const b = await newUser();
    const held = await ledger.hold(db(), {
      kind: 'test.hold',
      timeoutSeconds: 1,
      legs: [{ from: a, to: b, asset: COIN, amount: 30n }],
    });
    await new Promise((r) => setTimeout(r, 1100));
    await expect(ledger.postPending(db(), held.id)).rejects.toBeInstanceOf(PendingExpiredError);
    expect(await ledger.voidExpired(db())).toBeGreaterThanOrEqual(1);
    expect(await coins(db(), a)).toMatchObject({ available: 100n, held: 0n });
    expect((await ledger.getTransferWithLegs(db(), held.id))?.status).toBe('voided');
  });
});

describe('database guards', () => {
  it.each([
    ['UPDATE ledger_entries SET available_delta = 0'],
    ['DELETE FROM ledger_entries'],
    ['TRUNCATE ledger_entries'],
    ['UPDATE ledger_transfer_legs SET amount = amount + 1'],
    ['DELETE FROM ledger_transfers'],
    ["UPDATE ledger_transfers SET status = 'voided' WHERE status = 'posted'"],
    ["UPDATE ledger_transfers SET memo = 'edited'"],
    ['UPDATE platform_audit_log SET action = NULL'],
    ['DELETE FROM platform_audit_log'],
    ['TRUNCATE platform_audit_log CASCADE'],
  ])('rejects %s', async (statement) => {
    await fund(db(), await newUser(), 5n);
    await db().execute(
      sql`INSERT INTO platform_audit_log (actor_type, action, target_type, target_id) VALUES ('system', 'x', 'y', 'z')`,
    );
    // 42501: raised by the append-only triggers, not some other failure.
    await expect(db().execute(sql.raw(statement))).rejects.toMatchObject({ cause: { code: '42501' } });
  });

  it('refuses a negative user balance even written by hand', async () => {
    const a = await newUser(5n);
    await expect(
      db().execute(sql`UPDATE ledger_balances SET available = -1 WHERE account_id = ${a}`),
    ).rejects.toMatchObject({ cause: { constraint: 'ledger_balances_no_overdraft' } });
  });

  it('leaves the books reconciled after everything above', async () => {
    expect((await reconcile(db())).violations).toEqual([]);
  });
});
