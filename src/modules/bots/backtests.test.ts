import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { executeBacktest } from './backtest-service.ts';
import { createSandbox, type Sandbox } from './sandbox/sandbox.ts';
import { INTERVAL_MS } from './strategy.ts';
import { STRATEGY_TEMPLATES } from './templates.ts';
import { syntheticSeries } from '../../../test/support/bots-series.ts';
import { auth, cardHeldBy, recordCandles, startBotsApp } from '../../../test/support/bots.ts';

/*
 * Backtests over HTTP: queued, run by the job, read back with a result whose hash repeats for the
 * same inputs; progress and the final status reach the owner's channel; cancel; and the refusals
 * (a range backwards or too long, unknown cards, someone else's strategy or backtest).
 */

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let card: string;
let sandbox: Sandbox;
let smaId: string;
let throwingId: string;
const HOUR = INTERVAL_MS['1h'];
const series = syntheticSeries(5, 1100);
const first = series[0]?.start ?? 0;
const sma = STRATEGY_TEMPLATES.find((x) => x.id === 'sma-crossover');
const db = () => t.runtime.ctx.db;

interface BacktestView {
  id: string;
  status: string;
  progress: number;
  resultHash: string | null;
  error: string | null;
  result: { metrics: Record<string, unknown>; equity: unknown[]; trades: unknown[]; fills: number } | null;
}

async function strategy(user: CreatedTestUser, body: Record<string, unknown>): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/strategies', headers: auth(user), payload: body });
  expectStatus(res, 201);
  return json<{ id: string }>(res).id;
}

beforeAll(async () => {
  t = await startBotsApp();
  sandbox = createSandbox({ memoryBytes: 32 * 1024 * 1024, cpuMsPerCall: 200 });
  admin = await createTestUser(t, { role: 'admin' });
  alice = await createTestUser(t);
  bob = await createTestUser(t);
  card = await cardHeldBy(t, admin, admin, 'BKT1');
  await recordCandles(db(), card, '1h', series);
  smaId = await strategy(alice, { name: 'SMA', kind: 'rules', document: sma?.kind === 'rules' ? sma.document : null });
  throwingId = await strategy(alice, {
    name: 'throws',
    kind: 'code',
    source: 'function decide(input) { if (input.time > 0) throw new Error("no idea"); return { intents: [] }; }',
  });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await t?.close();
});

const range = { from: new Date(first).toISOString(), to: new Date(first + series.length * HOUR).toISOString() };

function queue(user: CreatedTestUser, body: Record<string, unknown>) {
  return t.app.inject({
    method: 'POST',
    url: '/api/backtests',
    headers: auth(user),
    payload: { strategyId: smaId, variantIds: [card], interval: '1h', initialCash: 1_000_000, ...range, ...body },
  });
}

/** Runs the queued backtest here (or waits for the job worker that took it) to its end. */
async function finish(id: string): Promise<BacktestView> {
  await executeBacktest(db(), sandbox, id);
  for (let i = 0; i < 200; i++) {
    const res = await t.app.inject({ method: 'GET', url: `/api/backtests/${id}`, headers: auth(alice) });
    const view = json<BacktestView>(res);
    if (!['queued', 'running'].includes(view.status)) return view;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`backtest ${id} did not finish`);
}

const backtestRows = async () =>
  (await db().execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM bot_backtests`)).rows[0]?.n;

describe('backtests over HTTP', () => {
  it('queues, runs and returns a result whose hash repeats for the same inputs', async () => {
    const res = await queue(alice, {});
    expectStatus(res, 202);
    const queued = json<BacktestView>(res);
    expect(queued.status).toBe('queued');
    const done = await finish(queued.id);
    expect(done.status).toBe('done');
    expect(done.progress).toBe(1);
    expect(done.resultHash).toMatch(/^[0-9a-f]{64}$/);
    expect(done.result?.fills).toBeGreaterThan(0);
    expect(done.result?.equity.length).toBeGreaterThan(100);
    expect(Object.keys(done.result?.metrics ?? {})).toEqual(
      expect.arrayContaining(['totalReturn', 'sharpe', 'maxDrawdown', 'exposure', 'benchmarkReturn']),
    );

    const again = await finish(json<BacktestView>(await queue(alice, {})).id);
    expect(again.resultHash).toBe(done.resultHash);
    const other = await finish(json<BacktestView>(await queue(alice, { slippageBps: 200 })).id);
    expect(other.resultHash).not.toBe(done.resultHash);

    // Progress and the final status reached the owner's channel, in order.
    const messages = await db().execute<{ status: string; progress: number }>(sql`
      SELECT payload->'message'->>'status' AS status, (payload->'message'->>'progress')::float8 AS progress
      FROM platform_outbox_events
      WHERE type = 'bots.publish' AND payload->'message'->>'topic' = ${`backtests.${queued.id}`}
        AND payload->>'userId' = ${alice.id}
      ORDER BY seq`);
    const statuses = messages.rows.map((m) => m.status);
    expect(statuses[0]).toBe('running');
    expect(statuses.at(-1)).toBe('done');
    expect(messages.rows.some((m) => m.status === 'running' && m.progress > 0 && m.progress < 1)).toBe(true);

    const list = await t.app.inject({ method: 'GET', url: '/api/backtests?limit=2', headers: auth(alice) });
    expectStatus(list, 200);
    const page = json<{ items: { id: string }[]; nextCursor: string | null }>(list);
    expect(page.items).toHaveLength(2);
    expect(page.nextCursor).not.toBeNull();
    const rest = await t.app.inject({
      method: 'GET',
      url: `/api/backtests?limit=100&cursor=${encodeURIComponent(page.nextCursor ?? '')}`,
      headers: auth(alice),
    });
    expect(json<{ items: { id: string }[] }>(rest).items.map((x) => x.id)).toContain(queued.id);
  });

  it('records a strategy that fails as a failed backtest with its error', async () => {
    const res = await queue(alice, { strategyId: throwingId });
    expectStatus(res, 202);
    const view = await finish(json<BacktestView>(res).id);
    expect(view.status).toBe('failed');
    expect(view.error).toMatch(/no idea/);
    expect(view.result).toBeNull();
  });

  it('cancels a queued backtest, which then never runs; a finished one cannot be cancelled', async () => {
    const queued = json<BacktestView>(await queue(alice, {}));
    const cancel = await t.app.inject({ method: 'DELETE', url: `/api/backtests/${queued.id}`, headers: auth(alice) });
    expectStatus(cancel, 200);
    expect(json<BacktestView>(cancel).status).toBe('cancelled');
    expect(await executeBacktest(db(), sandbox, queued.id)).toBeNull();
    const again = await t.app.inject({ method: 'DELETE', url: `/api/backtests/${queued.id}`, headers: auth(alice) });
    expectProblem(again, 409, 'backtest_finished');
  });

  it("hides one user's backtests from another and from anonymous callers", async () => {
    const { id } = json<BacktestView>(await queue(alice, {}));
    for (const method of ['GET', 'DELETE'] as const) {
      expectProblem(await t.app.inject({ method, url: `/api/backtests/${id}`, headers: auth(bob) }), 404, 'not_found');
      expectProblem(await t.app.inject({ method, url: `/api/backtests/${id}` }), 401, 'unauthorized');
    }
    const bobs = await t.app.inject({ method: 'GET', url: '/api/backtests', headers: auth(bob) });
    expect(json<{ items: unknown[] }>(bobs).items).toEqual([]);
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/backtests', payload: {} }), 401, 'unauthorized');
    // Still queued: bob's cancel did nothing.
    expect(
      json<BacktestView>(await t.app.inject({ method: 'GET', url: `/api/backtests/${id}`, headers: auth(alice) }))
        .status,
    ).toBe('queued');
  });

  it('refuses bad requests with the field named and writes nothing', async () => {
    const before = await backtestRows();
    const cases: [Record<string, unknown>, CreatedTestUser, number, string, string][] = [
      [{ from: range.to, to: range.from }, alice, 400, 'validation_failed', 'body.to'],
      [{ from: '2000-01-01T00:00:00Z', interval: '1m' }, alice, 400, 'validation_failed', 'body.from'],
      [{ variantIds: ['00000000-0000-4000-8000-000000000000'] }, alice, 400, 'validation_failed', 'body.variantIds/0'],
      [{ strategyId: smaId }, bob, 404, 'not_found', ''],
      [{ strategyVersion: 9 }, alice, 400, 'validation_failed', 'body.strategyVersion'],
      [{ initialCash: -1 }, alice, 400, 'validation_failed', 'initialCash'],
      [{ interval: '2h' }, alice, 400, 'validation_failed', 'interval'],
      [{ extra: true }, alice, 400, 'validation_failed', 'extra'],
    ];
    for (const [body, user, status, code, field] of cases) {
      const res = await queue(user, body);
      expectProblem(res, status, code);
      expect(res.body).toContain(field);
    }
    expect(await backtestRows()).toBe(before);
  });
});
