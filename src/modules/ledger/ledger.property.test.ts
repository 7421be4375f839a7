import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { COIN, SYSTEM_ACCOUNTS } from './accounts.ts';
import { InsufficientFundsError, TransferNotPendingError, UnknownAccountError, UnknownAssetError } from './errors.ts';
import type { Leg } from './legs.ts';
import { reconcile } from './reconcile.ts';
import * as ledger from './service.ts';

/**
 * Random sequences of transfers, holds, posts, voids, timeouts, rolled-back callers and invalid
 * requests, checked against a deliberately naive model of the books: after every sequence each
 * balance matches the model and reconciliation finds nothing wrong.
 */

const CARD = 'CARD:PROPERTY-TEST';
const ASSETS = [COIN, CARD] as const;
// Indices 0-3 are user wallets, 4 an escrow, then mint, gateway and fees.
const ACCOUNT_COUNT = 8;
const NEGATIVE_OK = new Set([5, 6]);

type LegSpec = { from: number; to: number; asset: number; amount: number };
type Op =
  | { t: 'transfer'; legs: LegSpec[]; mode: 'posted' | 'pending' | 'timeout' }
  | { t: 'post' | 'void'; pick: number; resolved: boolean }
  | { t: 'expire' }
  | { t: 'rollback'; legs: LegSpec[] }
  | { t: 'bad'; kind: 'asset' | 'account' | 'self' | 'zero' };

const legArb = fc
  .record({
    from: fc.integer({ min: 0, max: ACCOUNT_COUNT - 1 }),
    to: fc.integer({ min: 0, max: ACCOUNT_COUNT - 1 }),
    asset: fc.integer({ min: 0, max: 1 }),
    amount: fc.integer({ min: 1, max: 400 }),
  })
  .filter((l) => l.from !== l.to);
const legsArb = fc.array(legArb, { minLength: 1, maxLength: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('transfer' as const),
      legs: legsArb,
      mode: fc.constantFrom('posted' as const, 'pending' as const, 'timeout' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constantFrom('post' as const, 'void' as const),
      pick: fc.nat(),
      resolved: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ t: 'expire' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rollback' as const), legs: legsArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('bad' as const),
      kind: fc.constantFrom('asset' as const, 'account' as const, 'self' as const, 'zero' as const),
    }),
  },
);

interface Pending {
  id: string;
  legs: LegSpec[];
  timeout: boolean;
}

class Model {
  readonly bal = new Map<string, { available: bigint; held: bigint }>();
  pending: Pending[] = [];
  resolved: string[] = [];

  get(account: number, asset: number) {
    const k = `${account}|${asset}`;
    const b = this.bal.get(k) ?? { available: 0n, held: 0n };
    this.bal.set(k, b);
    return b;
  }

  /** Whether the legs can apply in order without overdrawing; applies them when they can. */
  apply(legs: LegSpec[], pending: boolean): boolean {
    const trial = new Map([...this.bal].map(([k, v]) => [k, { ...v }]));
    const get = (a: number, s: number) => {
      const b = trial.get(`${a}|${s}`) ?? { available: 0n, held: 0n };
      trial.set(`${a}|${s}`, b);
      return b;
    };
    for (const l of legs) {
      const from = get(l.from, l.asset);
      const amount = BigInt(l.amount);
      if (!NEGATIVE_OK.has(l.from) && from.available < amount) return false;
      from.available -= amount;
      if (pending) from.held += amount;
      else get(l.to, l.asset).available += amount;
    }
    for (const [k, v] of trial) this.bal.set(k, v);
    return true;
  }

  resolve(p: Pending, post: boolean) {
    for (const l of p.legs) {
      const amount = BigInt(l.amount);
      this.get(l.from, l.asset).held -= amount;
      if (post) this.get(l.to, l.asset).available += amount;
      else this.get(l.from, l.asset).available += amount;
    }
    this.pending = this.pending.filter((x) => x !== p);
    this.resolved.push(p.id);
  }
}

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await ledger.registerAsset(database.db, CARD, 'card');
});

afterAll(async () => {
  await database?.destroy();
});

async function newAccounts(): Promise<string[]> {
  const db = database.db;
  const users = [uuidv7(), uuidv7(), uuidv7(), uuidv7()];
  await ledger.ensureWallets(db, users);
  const escrow = await ledger.openEscrow(db, { ownerId: users[0] as string, purpose: 'test', reference: uuidv7() });
  return [...users, escrow.id, SYSTEM_ACCOUNTS.mint, SYSTEM_ACCOUNTS.gateway, SYSTEM_ACCOUNTS.fees];
}

async function snapshot(accounts: string[]) {
  const out = new Map<string, { available: bigint; held: bigint }>();
  for (const [i, id] of accounts.entries()) {
    for (const b of await ledger.balances(database.db, id)) {
      const asset = ASSETS.indexOf(b.asset as (typeof ASSETS)[number]);
      if (asset >= 0) out.set(`${i}|${asset}`, { available: b.available, held: b.held });
    }
  }
  return out;
}

const toLegs = (accounts: string[], specs: LegSpec[]): Leg[] =>
  specs.map((l) => ({
    from: accounts[l.from] as string,
    to: accounts[l.to] as string,
    asset: ASSETS[l.asset] as string,
    amount: BigInt(l.amount),
  }));

async function expectRefused(p: Promise<unknown>, type: new (...args: never[]) => Error) {
  await expect(p).rejects.toBeInstanceOf(type);
}

async function runOp(op: Op, accounts: string[], model: Model) {
  const db = database.db;
  if (op.t === 'transfer') {
    const legs = toLegs(accounts, op.legs);
    const pending = op.mode === 'posted' ? undefined : op.mode === 'timeout' ? { timeoutSeconds: 3600 } : true;
    const ok = model.apply(op.legs, Boolean(pending));
    const attempt = ledger.transfer(db, { kind: 'test.move', legs, ...(pending ? { pending } : {}) });
    if (!ok) return expectRefused(attempt, InsufficientFundsError);
    const result = await attempt;
    if (pending) model.pending.push({ id: result.id, legs: op.legs, timeout: op.mode === 'timeout' });
    return;
  }
  if (op.t === 'post' || op.t === 'void') {
    const fn = op.t === 'post' ? ledger.postPending : ledger.voidPending;
    if (op.resolved || model.pending.length === 0) {
      const id = model.resolved[op.pick % Math.max(1, model.resolved.length)];
      if (id) await expectRefused(fn(db, id), TransferNotPendingError);
      return;
    }
    const p = model.pending[op.pick % model.pending.length] as Pending;
    await fn(db, p.id);
    model.resolve(p, op.t === 'post');
    return;
  }
  if (op.t === 'expire') {
    // A clock a day ahead: every pending transfer with a timeout has expired.
    await ledger.voidExpired(db, { now: new Date(Date.now() + 86_400_000) });
    for (const p of model.pending.filter((x) => x.timeout)) model.resolve(p, false);
    return;
  }
  if (op.t === 'rollback') {
    // The caller's own work fails after the transfer: the transfer must vanish with it.
    const failure = new Error('caller failed');
    await expect(
      db.transaction(async (tx) => {
        await ledger.transfer(tx, { kind: 'test.rollback', legs: toLegs(accounts, op.legs) }).catch(() => undefined);
        throw failure;
      }),
    ).rejects.toBe(failure);
    return;
  }
  if (op.t !== 'bad') return;
  const [a, b] = accounts as [string, string];
  if (op.kind === 'asset') {
    return expectRefused(
      ledger.transfer(db, {
        kind: 'test.bad',
        legs: [{ from: SYSTEM_ACCOUNTS.mint, to: a, asset: 'NOPE', amount: 1n }],
      }),
      UnknownAssetError,
    );
  }
  if (op.kind === 'account') {
    return expectRefused(
      ledger.transfer(db, {
        kind: 'test.bad',
        legs: [{ from: SYSTEM_ACCOUNTS.mint, to: uuidv7(), asset: COIN, amount: 1n }],
      }),
      UnknownAccountError,
    );
  }
  const legs =
    op.kind === 'self' ? [{ from: a, to: a, asset: COIN, amount: 1n }] : [{ from: a, to: b, asset: COIN, amount: 0n }];
  await expect(ledger.transfer(db, { kind: 'test.bad', legs })).rejects.toMatchObject({ code: 'validation_failed' });
}

describe('ledger invariants under random operation sequences', () => {
  it('keeps every balance equal to the model and the books reconciled', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        const accounts = await newAccounts();
        const model = new Model();
        const start = await snapshot(accounts);
        for (const [k, v] of start) model.bal.set(k, { ...v });
        for (const op of ops) await runOp(op, accounts, model);

        const actual = await snapshot(accounts);
        for (let i = 0; i < ACCOUNT_COUNT; i += 1) {
          for (let s = 0; s < ASSETS.length; s += 1) {
            const want = model.bal.get(`${i}|${s}`) ?? { available: 0n, held: 0n };
            const got = actual.get(`${i}|${s}`) ?? { available: 0n, held: 0n };
            expect({ account: i, asset: s, ...got }).toEqual({ account: i, asset: s, ...want });
            if (!NEGATIVE_OK.has(i)) expect(got.available >= 0n && got.held >= 0n).toBe(true);
          }
        }
        const report = await reconcile(database.db);
        expect(report.violations).toEqual([]);
        // Leave no pending transfer behind to keep runs independent of each other's timeouts.
        for (const p of [...model.pending]) await ledger.voidPending(database.db, p.id);
      }),
      // Runs share one database, so a broken invariant stays broken: shrinking would only blur the
      // sequence that broke it.
      { numRuns: 30, endOnFailure: true },
    );
  });
});
