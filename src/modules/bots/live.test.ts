import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { COIN, balances, reconcile } from '../ledger/index.ts';
import { placeOrder } from '../market/index.ts';
import * as repo from './repo.ts';
import { runBotTick, type RunnerDeps } from './runner.ts';
import type { Sandbox } from './sandbox/sandbox.ts';
import { auth, cardHeldBy, grantCoins, runnerDeps, startBotsApp } from '../../../test/support/bots.ts';

/*
 * Live bots trade on the exchange as their own ledger account: funded from the owner's wallet at
 * start, never spending beyond it (the exchange refuses what the account cannot pay, also while
 * its resting orders are being filled), and emptied back into the wallet at stop.
 */

let t: TestApp;
let admin: CreatedTestUser;
let bob: CreatedTestUser;
let card: string;
let deps: RunnerDeps & { sandbox: Sandbox };
const db = () => t.runtime.ctx.db;
const HOUR = 3_600_000;

beforeAll(async () => {
  t = await startBotsApp();
  admin = await createTestUser(t, { role: 'admin' });
  bob = await createTestUser(t);
  card = await cardHeldBy(t, admin, bob, 'LIVE1', 1_000n);
  await grantCoins(db(), bob.id, 1_000_000n);
  deps = runnerDeps(db());
}, 60_000);

afterAll(async () => {
  await deps?.sandbox.close();
  await t?.close();
});

const coins = async (accountId: string) => (await balances(db(), accountId, COIN))[0]?.available ?? 0n;
const cardsOf = async (accountId: string) =>
  (await balances(db(), accountId)).filter((b) => b.asset !== COIN).reduce((s, b) => s + b.total, 0n);

/** A live bot whose strategy places `orders` limit buys of `quantity` at `price` on every tick with none open. */
async function liveBot(owner: CreatedTestUser, allocation: number, orders: number, quantity: number, price: number) {
  const source = `function decide(input) {
    if (input.openOrders.length > 0) return { intents: [] };
    var intents = [];
    for (var i = 0; i < ${orders}; i++) intents.push({ action: 'buy', variantId: '${card}', type: 'limit', price: ${price}, quantity: ${quantity}, reason: 'ladder' });
    return { intents: intents };
  }`;
  const s = await t.app.inject({
    method: 'POST',
    url: '/api/strategies',
    headers: auth(owner),
    payload: { name: 'ladder', kind: 'code', source },
  });
  expectStatus(s, 201);
  const b = await t.app.inject({
    method: 'POST',
    url: '/api/bots',
    headers: auth(owner),
    payload: {
      name: 'live',
      strategyId: json<{ id: string }>(s).id,
      mode: 'live',
      variantIds: [card],
      interval: '1h',
      allocation,
    },
  });
  expectStatus(b, 201);
  return json<{ id: string }>(b).id;
}

const act = (user: CreatedTestUser, id: string, action: string) =>
  t.app.inject({ method: 'POST', url: `/api/bots/${id}/${action}`, headers: auth(user) });

async function tick(id: string) {
  const bot = await repo.findBot(db(), id);
  if (!bot?.nextRunAt) throw new Error('bot is not scheduled');
  return runBotTick(deps, bot, bot.nextRunAt.getTime() + HOUR);
}

const sell = (quantity: number, price: number) =>
  withTransaction(db(), (tx) =>
    placeOrder(tx, {
      userId: bob.id,
      variantId: card,
      side: 'sell',
      type: 'limit',
      timeInForce: 'GTC',
      price: BigInt(price),
      quantity: BigInt(quantity),
    }),
  );

describe('live bots', () => {
  it('refuses to start with an allocation beyond the wallet, moving nothing', async () => {
    const alice = await createTestUser(t);
    await grantCoins(db(), alice.id, 1_000n);
    const id = await liveBot(alice, 5_000, 1, 1, 100);
    const res = await act(alice, id, 'start');
    expectProblem(res, 409, 'insufficient_funds');
    expect(await coins(alice.id)).toBe(1_000n);
    expect(await repo.findBot(db(), id)).toMatchObject({ status: 'stopped' });
    const moved = await db().execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM ledger_transfers WHERE reference = ${id}`,
    );
    expect(moved.rows[0]?.n).toBe(0);
  });

  it('trades as its own account and returns everything at stop', async () => {
    const alice = await createTestUser(t);
    await grantCoins(db(), alice.id, 10_000n);
    const id = await liveBot(alice, 5_000, 1, 3, 100);
    expectStatus(await act(alice, id, 'start'), 200);
    expect(await coins(alice.id)).toBe(5_000n);
    expect(await coins(id)).toBe(5_000n);
    expect(await tick(id)).toBe('ran');
    const [order] = await repo.openOrdersOf(db(), id);
    expect(order).toMatchObject({ side: 'buy', quantity: 3n, price: 100n, status: 'open' });
    expect(order?.exchangeOrderId).toBeTruthy();
    await sell(3, 100);
    expect(await tick(id)).toBe('ran');
    expect(await repo.fillsOf(db(), id)).toEqual([expect.objectContaining({ side: 'buy', price: 100n, quantity: 3n })]);
    expect(await cardsOf(id)).toBe(3n);
    const perf = json<{ trades: unknown[] }>(
      await t.app.inject({ method: 'GET', url: `/api/bots/${id}/performance`, headers: auth(alice) }),
    );
    expect(perf.trades).toEqual([]);
    // The next tick placed a new resting buy; stop cancels it and sends everything home.
    expect(await repo.openOrdersOf(db(), id)).toHaveLength(1);
    expectStatus(await act(alice, id, 'stop'), 200);
    expect(await coins(id)).toBe(0n);
    expect(await cardsOf(id)).toBe(0n);
    expect(await cardsOf(alice.id)).toBe(3n);
    // 10 000 − 300 paid − 15 commission (5 %) = 9 685.
    expect(await coins(alice.id)).toBe(9_685n);
    expect(await repo.openOrdersOf(db(), id)).toHaveLength(0);
    expect((await reconcile(db())).ok).toBe(true);
  });

  it('never spends beyond its allocation while its resting orders fill', async () => {
    const alice = await createTestUser(t);
    await grantCoins(db(), alice.id, 10_000n);
    // Five buys of 3 at 100 cost 315 each with commission: only three fit in 1 000.
    const id = await liveBot(alice, 1_000, 5, 3, 100);
    expectStatus(await act(alice, id, 'start'), 200);
    const [outcome] = await Promise.all([tick(id), sell(2, 100), sell(2, 100)]);
    expect(outcome).toBe('ran');
    const orders = await repo.ordersOf(db(), id, 10);
    expect(orders.filter((o) => o.status === 'rejected')).toHaveLength(2);
    expect(
      orders.filter((o) => o.status === 'rejected').every((o) => o.rejection?.startsWith('insufficient_funds')),
    ).toBe(true);
    await sell(10, 100);
    await tick(id);
    expect(await coins(id)).toBeGreaterThanOrEqual(0n);
    expect(await cardsOf(id)).toBe(9n);
    expectStatus(await act(alice, id, 'stop'), 200);
    expect(await coins(alice.id)).toBe(10_000n - 900n - 45n);
    expect((await reconcile(db())).ok).toBe(true);
  });
});
