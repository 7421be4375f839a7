import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { TEST_DATABASE_URL } from '../../../test/helpers/db.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { parimutuelPayouts } from './odds.ts';
import { COIN, systemBalance } from '../ledger/index.ts';
import { importBets } from './bulk.ts';
import { processMarket } from './settlement.ts';
import {
  auth,
  bettor,
  coins,
  createEvent,
  expectReconciled,
  placeBet,
  startBettingApp,
  startEvent,
  transfersOf,
  walletOf,
  type EventView,
} from '../../../test/support/betting.ts';

/*
 * Settlement, void and correction pay exactly once: duplicate jobs, a crash between chunks and
 * concurrent operator actions never pay twice, every amount matches a hand computation and the
 * ledger reconciles after every scenario.
 */

let t: TestApp;
let admin: CreatedTestUser;
let users: CreatedTestUser[];
const db = () => t.runtime.ctx.db;

beforeAll(async () => {
  t = await startBettingApp();
  admin = await createTestUser(t, { role: 'admin' });
  users = [];
  for (let i = 0; i < 4; i += 1) users.push(await bettor(t));
}, 60_000);

afterAll(async () => {
  await t?.close();
});

function user(i: number): CreatedTestUser {
  const u = users[i];
  if (!u) throw new Error('no such user');
  return u;
}

async function view(id: string): Promise<EventView> {
  return json<EventView>(await t.app.inject({ method: 'GET', url: `/api/betting/events/${id}` }));
}

async function adminAction(marketId: string, action: string, payload: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: `/api/admin/betting/markets/${marketId}/${action}`,
    headers: auth(admin),
    payload,
  });
}

/** An event whose parimutuel market holds stakes [1000 Red, 3000 Blue, 2001 Red], started. */
async function poolScenario() {
  const e = await createEvent(t, admin);
  const stakes: [number, number, number][] = [
    [0, 0, 1000],
    [1, 1, 3000],
    [2, 0, 2001],
  ];
  const bets: string[] = [];
  for (const [u, o, stake] of stakes) {
    const res = await placeBet(t, user(u), e, 0, o, stake);
    expectStatus(res, 201);
    bets.push(json<{ id: string }>(res).id);
  }
  await startEvent(db(), e.id);
  const market = e.markets[0];
  if (!market) throw new Error('no market');
  return { e, market, bets, red: market.outcomes[0]?.id ?? '', blue: market.outcomes[1]?.id ?? '' };
}

async function escrowOf(marketId: string): Promise<string> {
  const r = await db().execute<{ escrow_id: string }>(
    sql`SELECT escrow_id FROM betting_markets WHERE id = ${marketId}`,
  );
  return r.rows[0]?.escrow_id ?? '';
}

describe('parimutuel settlement', () => {
  it('pays winners pro rata from the pool, takeout and remainder to fees, exactly as computed by hand', async () => {
    const { market, bets, red } = await poolScenario();
    const wallets = await Promise.all([0, 1, 2].map((i) => walletOf(db(), user(i))));
    const fees = await systemBalance(db(), 'fees', COIN);
    expectStatus(await adminAction(market.id, 'settle', { outcomeId: red }), 202);
    expect(await processMarket(db(), market.id)).toBe('settled');
    // total 6001, takeout 10% = 600, distributable 5401 over 3001 on Red:
    // 1000 × 5401 / 3001 = 1799.73 → 1799; 2001 × 5401 / 3001 = 3601.26 → 3601; remainder 1.
    const expected = parimutuelPayouts(
      [
        { stake: 1000n, winner: true },
        { stake: 3000n, winner: false },
        { stake: 2001n, winner: true },
      ],
      1000,
    );
    expect(expected.payouts).toEqual([1799n, 0n, 3601n]);
    expect(await walletOf(db(), user(0))).toBe((wallets[0] ?? 0n) + 1799n);
    expect(await walletOf(db(), user(1))).toBe(wallets[1]);
    expect(await walletOf(db(), user(2))).toBe((wallets[2] ?? 0n) + 3601n);
    expect((await systemBalance(db(), 'fees', COIN)) - fees).toBe(601n);
    expect(1799n + 3601n + 601n).toBe(6001n);
    expect(await coins(db(), await escrowOf(market.id))).toBe(0n);
    for (const bet of [bets[0], bets[2]]) expect(await transfersOf(db(), 'betting.payout', bet ?? '')).toBe(1);
    const notes = await db().execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM notifications WHERE user_id = ${user(0).id} AND type = 'betting.settled'`,
    );
    expect(notes.rows[0]?.n).toBeGreaterThan(0);
    await expectReconciled(db());
  });

  it('a duplicate job pays nothing more', async () => {
    const { market, bets, red } = await poolScenario();
    expectStatus(await adminAction(market.id, 'settle', { outcomeId: red }), 202);
    // The operator's action enqueued the settlement job in its own transaction.
    const jobs = await db().execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'betting.process-market' AND data->>'marketId' = ${market.id}`);
    expect(jobs.rows[0]?.n).toBe(1);
    await processMarket(db(), market.id);
    const wallet = await walletOf(db(), user(0));
    expect(await processMarket(db(), market.id)).toBe('settled');
    expect(await walletOf(db(), user(0))).toBe(wallet);
    expect(await transfersOf(db(), 'betting.payout', bets[0] ?? '')).toBe(1);
    expect(await transfersOf(db(), 'betting.takeout', market.id)).toBe(1);
    await expectReconciled(db());
  });

  it('a crash after the first payout, then a re-run, pays every bet exactly once', async () => {
    const { e, market, bets, red } = await poolScenario();
    const before = await Promise.all([0, 2].map((i) => walletOf(db(), user(i))));
    expectStatus(await adminAction(market.id, 'settle', { outcomeId: red }), 202);
    await expect(
      processMarket(db(), market.id, {
        batch: 1,
        afterChunk: () => {
          throw new Error('worker crashed');
        },
      }),
    ).rejects.toThrow('worker crashed');
    expect((await view(e.id)).markets[0]?.status).toBe('settling');
    expect(await transfersOf(db(), 'betting.payout', bets[0] ?? '')).toBe(1);
    expect(await transfersOf(db(), 'betting.payout', bets[2] ?? '')).toBe(0);
    await expectReconciled(db());
    expect(await processMarket(db(), market.id, { batch: 1 })).toBe('settled');
    expect(await walletOf(db(), user(0))).toBe((before[0] ?? 0n) + 1799n);
    expect(await walletOf(db(), user(2))).toBe((before[1] ?? 0n) + 3601n);
    for (const bet of [bets[0], bets[2]]) expect(await transfersOf(db(), 'betting.payout', bet ?? '')).toBe(1);
    expect(await coins(db(), await escrowOf(market.id))).toBe(0n);
    await expectReconciled(db());
  });

  it('refunds everyone when nobody backed the winner, keeping no takeout', async () => {
    const e = await createEvent(t, admin, {
      title: 'Three-way',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      markets: [{ type: 'parimutuel', name: 'Pool', outcomes: [{ label: 'A' }, { label: 'B' }, { label: 'C' }] }],
    });
    const wallet = await walletOf(db(), user(3));
    expectStatus(await placeBet(t, user(3), e, 0, 0, 700), 201);
    expectStatus(await placeBet(t, user(3), e, 0, 1, 300), 201);
    await startEvent(db(), e.id);
    const market = e.markets[0];
    expectStatus(await adminAction(market?.id ?? '', 'settle', { outcomeId: market?.outcomes[2]?.id }), 202);
    await processMarket(db(), market?.id ?? '');
    expect(await walletOf(db(), user(3))).toBe(wallet);
    expect(await transfersOf(db(), 'betting.takeout', market?.id ?? '')).toBe(0);
    await expectReconciled(db());
  });
});

describe('fixed odds, void and correction', () => {
  it('pays a fixed-odds winner stake × odds, the excess from the house; lost stakes go to the house', async () => {
    const e = await createEvent(t, admin);
    const fixed = e.markets[1];
    const wallets = await Promise.all([0, 1].map((i) => walletOf(db(), user(i))));
    const house = await systemBalance(db(), 'house', COIN);
    const win = await placeBet(t, user(0), e, 1, 0, 1000);
    expectStatus(win, 201);
    const payout = BigInt(json<{ potentialPayout: number }>(win).potentialPayout);
    expect(payout).toBe(1900n);
    expectStatus(await placeBet(t, user(1), await view(e.id), 1, 1, 2000), 201);
    await startEvent(db(), e.id);
    expectStatus(await adminAction(fixed?.id ?? '', 'settle', { outcomeId: fixed?.outcomes[0]?.id }), 202);
    expect(await processMarket(db(), fixed?.id ?? '')).toBe('settled');
    expect(await walletOf(db(), user(0))).toBe((wallets[0] ?? 0n) - 1000n + 1900n);
    expect(await walletOf(db(), user(1))).toBe((wallets[1] ?? 0n) - 2000n);
    // The house paid 900 beyond the stake and kept the 2000 lost.
    expect((await systemBalance(db(), 'house', COIN)) - house).toBe(1100n);
    expect(await coins(db(), await escrowOf(fixed?.id ?? ''))).toBe(0n);
    await expectReconciled(db());
  });

  it('void refunds every stake', async () => {
    const e = await createEvent(t, admin);
    const wallets = await Promise.all([0, 1, 2].map((i) => walletOf(db(), user(i))));
    for (const i of [0, 1, 2]) {
      expectStatus(await placeBet(t, user(i), e, 0, i % 2, 1000 + i), 201);
      expectStatus(await placeBet(t, user(i), await view(e.id), 1, i % 2, 500 + i), 201);
    }
    for (const m of e.markets) {
      expectStatus(await adminAction(m.id, 'void', { reason: 'event cancelled' }), 202);
      expect(await processMarket(db(), m.id)).toBe('void');
      expect(await coins(db(), await escrowOf(m.id))).toBe(0n);
    }
    for (const i of [0, 1, 2]) expect(await walletOf(db(), user(i))).toBe(wallets[i]);
    const settled = await view(e.id);
    expect(settled.markets.map((m) => m.status)).toEqual(['void', 'void']);
    await expectReconciled(db());
  });

  it('corrects a settlement: the new winners are paid, the old ones give back what they hold, with an audit trail', async () => {
    const { market, red, blue } = await poolScenario();
    expectStatus(await adminAction(market.id, 'settle', { outcomeId: red }), 202);
    await processMarket(db(), market.id);
    const wallets = await Promise.all([0, 1, 2].map((i) => walletOf(db(), user(i))));
    const res = await adminAction(market.id, 'correct', { outcomeId: blue, reason: 'wrong result entered' });
    expectStatus(res, 202);
    expect(await processMarket(db(), market.id)).toBe('settled');
    // Blue alone: 3000 × 5401 / 3000 = 5401 for user 1; red winners give back 1799 and 3601.
    expect(await walletOf(db(), user(1))).toBe((wallets[1] ?? 0n) + 5401n);
    expect(await walletOf(db(), user(0))).toBe((wallets[0] ?? 0n) - 1799n);
    expect(await walletOf(db(), user(2))).toBe((wallets[2] ?? 0n) - 3601n);
    const audit = await db().execute<{ details: { from: string; to: string; reason: string } }>(sql`
      SELECT details FROM platform_audit_log WHERE action = 'betting.market.correct' AND target_id = ${market.id}`);
    expect(audit.rows[0]?.details).toMatchObject({ from: red, to: blue, reason: 'wrong result entered' });
    const again = await adminAction(market.id, 'correct', { outcomeId: blue, reason: 'again' });
    expect(again.statusCode).toBe(400);
    await expectReconciled(db());
  });

  it('a correction takes back only what the wallet holds and records the rest', async () => {
    const spender = await bettor(t, 1000n);
    const e = await createEvent(t, admin);
    const pool = e.markets[0];
    expectStatus(await placeBet(t, spender, e, 0, 0, 1000), 201);
    expectStatus(await placeBet(t, user(1), e, 0, 1, 1000), 201);
    await startEvent(db(), e.id);
    expectStatus(await adminAction(pool?.id ?? '', 'settle', { outcomeId: pool?.outcomes[0]?.id }), 202);
    await processMarket(db(), pool?.id ?? '');
    // pool 2000, takeout 200: the spender won 1800 and stakes 1700 of it elsewhere.
    expect(await walletOf(db(), spender)).toBe(1800n);
    expectStatus(await placeBet(t, spender, await createEvent(t, admin), 0, 0, 1700), 201);
    const res = await adminAction(pool?.id ?? '', 'correct', {
      outcomeId: pool?.outcomes[1]?.id,
      reason: 'photo finish',
    });
    expectStatus(res, 202);
    await processMarket(db(), pool?.id ?? '');
    expect(await walletOf(db(), spender)).toBe(0n);
    const audit = await db().execute<{ details: { shortfalls: { amount: string; userId: string }[] } }>(sql`
      SELECT details FROM platform_audit_log WHERE action = 'betting.correction.shortfall' AND target_id = ${pool?.id}`);
    expect(audit.rows[0]?.details.shortfalls).toEqual([
      expect.objectContaining({ userId: spender.id, amount: '1700' }),
    ]);
    await expectReconciled(db());
  });

  it('refuses to void a settled market', async () => {
    const { market, red } = await poolScenario();
    expectStatus(await adminAction(market.id, 'settle', { outcomeId: red }), 202);
    const res = await adminAction(market.id, 'void', { reason: 'late' });
    expect(res.statusCode).toBe(409);
    await processMarket(db(), market.id);
    await expectReconciled(db());
  });
});

describe('bulk import and settlement in chunks', () => {
  it('settles many imported bets in small chunks with payouts + takeout equal to the pool', async () => {
    const e = await createEvent(t, admin);
    const market = e.markets[0];
    const outcomes = market?.outcomes.map((o) => o.id) ?? [];
    const stakes = Array.from({ length: 60 }, (_, i) => ({
      userId: user(i % 4).id,
      outcomeId: outcomes[i % 3 === 0 ? 0 : 1] ?? '',
      stake: BigInt(101 + i * 7),
    }));
    expect(await importBets(db(), market?.id ?? '', stakes)).toBe(60);
    const fees = await systemBalance(db(), 'fees', COIN);
    const wallets = await Promise.all([0, 1, 2, 3].map((i) => walletOf(db(), user(i))));
    await startEvent(db(), e.id);
    expectStatus(await adminAction(market?.id ?? '', 'settle', { outcomeId: outcomes[0] }), 202);
    expect(await processMarket(db(), market?.id ?? '', { batch: 7 })).toBe('settled');
    const expected = parimutuelPayouts(
      stakes.map((b) => ({ stake: b.stake, winner: b.outcomeId === outcomes[0] })),
      1000,
    );
    const paid = await Promise.all([0, 1, 2, 3].map(async (i) => (await walletOf(db(), user(i))) - (wallets[i] ?? 0n)));
    const perUser = [0, 1, 2, 3].map((u) => expected.payouts.reduce((s, p, i) => s + (i % 4 === u ? p : 0n), 0n));
    expect(paid).toEqual(perUser);
    expect((await systemBalance(db(), 'fees', COIN)) - fees).toBe(expected.takeout);
    expect(paid.reduce((s, p) => s + p, 0n) + expected.takeout).toBe(stakes.reduce((s, b) => s + b.stake, 0n));
    await expectReconciled(db());
  });
});

describe.skipIf(!TEST_DATABASE_URL)('concurrency (PostgreSQL)', () => {
  it('three jobs racing on one market pay every bet once', async () => {
    const e = await createEvent(t, admin);
    const market = e.markets[0];
    const bets: string[] = [];
    for (let i = 0; i < 12; i += 1) {
      const res = await placeBet(t, user(i % 4), e, 0, i % 2, 100 + i);
      expectStatus(res, 201);
      bets.push(json<{ id: string }>(res).id);
    }
    await startEvent(db(), e.id);
    expectStatus(await adminAction(market?.id ?? '', 'settle', { outcomeId: market?.outcomes[0]?.id }), 202);
    await Promise.all([1, 2, 3].map(() => processMarket(db(), market?.id ?? '', { batch: 2 })));
    await processMarket(db(), market?.id ?? '');
    for (const [i, bet] of bets.entries()) {
      expect(await transfersOf(db(), 'betting.payout', bet)).toBe(i % 2 === 0 ? 1 : 0);
    }
    expect(await transfersOf(db(), 'betting.takeout', market?.id ?? '')).toBe(1);
    expect(await coins(db(), await escrowOf(market?.id ?? ''))).toBe(0n);
    await expectReconciled(db());
  });

  it('concurrent settle and void: exactly one wins', async () => {
    const { market, red } = await poolScenario();
    const results = await Promise.all([
      adminAction(market.id, 'settle', { outcomeId: red }),
      adminAction(market.id, 'void', { reason: 'race' }),
      adminAction(market.id, 'settle', { outcomeId: red }),
    ]);
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([202, 409, 409]);
    const status = await processMarket(db(), market.id);
    expect(['settled', 'void']).toContain(status);
    expect(await coins(db(), await escrowOf(market.id))).toBe(0n);
    await expectReconciled(db());
  });
});
