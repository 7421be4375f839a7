import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from 'uuidv7';
import type { TestApp } from '../../../test/helpers/app.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { runBacktest } from './backtest.ts';
import { startBot } from './bot-service.ts';
import { feeTerms } from './market-view.ts';
import { loadMarketSettings } from './ports.ts';
import * as repo from './repo.ts';
import { rulesStrategy, validateRules } from './rules.ts';
import { runBotTick, type RunnerDeps } from './runner.ts';
import { runDueBots } from './scheduler.ts';
import type { Sandbox } from './sandbox/sandbox.ts';
import { INTERVAL_MS } from './strategy.ts';
import { createStrategy } from './strategy-service.ts';
import { STRATEGY_TEMPLATES } from './templates.ts';
import { auth, cardHeldBy, recordCandles, runnerDeps, startBotsApp } from '../../../test/support/bots.ts';
import { syntheticSeries } from '../../../test/support/bots-series.ts';

/*
 * The scheduler and the runner on the database: ticks at candle closes, one run per bot and tick
 * even with two workers, a dead worker's bots picked up when its lease lapses, failures counted
 * and the bot paused with one notification, and a paper bot that decides exactly as a backtest of
 * the same candles does.
 */

const HOUR = INTERVAL_MS['1h'];
let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let card: string;
let deps: RunnerDeps & { sandbox: Sandbox };
const series = syntheticSeries(21, 240);
const start = series[0]?.start ?? 0;
const db = () => t.runtime.ctx.db;
const sma = STRATEGY_TEMPLATES.find((x) => x.id === 'sma-crossover');
const smaDocument = sma?.kind === 'rules' ? sma.document : {};

beforeAll(async () => {
  t = await startBotsApp();
  admin = await createTestUser(t, { role: 'admin' });
  alice = await createTestUser(t);
  card = await cardHeldBy(t, admin, admin, 'RUN1');
  await recordCandles(db(), card, '1h', series);
  deps = runnerDeps(db(), 3);
}, 60_000);

afterAll(async () => {
  await deps?.sandbox.close();
  await t?.close();
});

async function paperBot(
  owner: CreatedTestUser,
  strategy: { kind: 'rules'; document: unknown } | { kind: 'code'; source: string },
  at: number,
) {
  const s = await createStrategy(db(), deps.sandbox, owner.id, { name: 's', ...strategy });
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/bots',
    headers: auth(owner),
    payload: {
      name: 'paper',
      strategyId: s.id,
      mode: 'paper',
      variantIds: [card],
      interval: '1h',
      allocation: 1_000_000,
    },
  });
  const { id } = json<{ id: string }>(res);
  await startBot(db(), { userId: owner.id }, id, at);
  return id;
}

const runsOf = async (botId: string) =>
  (
    await db().execute<{ tick: number; status: string; error_kind: string | null }>(sql`
      SELECT (extract(epoch FROM tick) * 1000)::float8 AS tick, status, error_kind
      FROM bot_runs WHERE bot_id = ${botId} ORDER BY tick`)
  ).rows.map((r) => ({ ...r, tick: Number(r.tick) }));

describe('bot runner', () => {
  it('runs each due tick once, also with two workers sweeping at the same time', async () => {
    const ids = [];
    for (let i = 0; i < 4; i += 1)
      ids.push(await paperBot(alice, { kind: 'rules', document: smaDocument }, start + 30 * HOUR));
    for (let step = 1; step <= 5; step += 1) {
      const now = start + (30 + step) * HOUR + 10_000;
      const opts = { concurrency: 2, leaseMs: 60_000, batch: 2 };
      await Promise.all([runDueBots(deps, opts, () => now), runDueBots(deps, opts, () => now)]);
    }
    for (const id of ids) {
      const runs = await runsOf(id);
      expect(runs.map((r) => r.tick)).toEqual([31, 32, 33, 34, 35].map((h) => start + h * HOUR));
      expect(runs.every((r) => r.status === 'ok')).toBe(true);
    }
  });

  it("picks up a dead worker's bot once its lease has lapsed", async () => {
    const id = await paperBot(alice, { kind: 'rules', document: smaDocument }, start + 50 * HOUR);
    const due = start + 51 * HOUR + 10_000;
    // A worker claims the bot and dies before running it.
    const claimed = await repo.claimDueBots(db(), new Date(due), 100, new Date(due + 60_000));
    expect(claimed.map((b) => b.id)).toContain(id);
    const opts = { concurrency: 2, leaseMs: 60_000, batch: 100 };
    await runDueBots(deps, opts, () => due + 1_000);
    expect(await runsOf(id)).toHaveLength(0);
    await runDueBots(deps, opts, () => due + 61_000);
    expect((await runsOf(id)).map((r) => r.tick)).toEqual([start + 51 * HOUR]);
  });

  it('pauses a bot after the configured failures in a row and tells its owner once', async () => {
    const id = await paperBot(
      alice,
      { kind: 'code', source: 'function decide() { throw new Error("no idea"); }' },
      start + 60 * HOUR,
    );
    let bot = await repo.findBot(db(), id);
    for (let h = 61; h <= 66 && bot?.status === 'running'; h += 1) {
      await runBotTick(deps, bot, start + h * HOUR + 10_000);
      bot = await repo.findBot(db(), id);
    }
    expect(bot).toMatchObject({ status: 'paused', consecutiveFailures: 3 });
    expect(bot?.pauseReason).toMatch(/3 failed runs in a row.*no idea/);
    const runs = await runsOf(id);
    expect(runs.map((r) => [r.status, r.error_kind])).toEqual([
      ['error', 'throw'],
      ['error', 'throw'],
      ['error', 'throw'],
    ]);
    const notes = await db().execute<{ n: number }>(sql`
      SELECT count(*)::int AS n FROM notifications WHERE user_id = ${alice.id} AND type = 'bots.paused'`);
    expect(notes.rows[0]?.n).toBe(1);
  });

  it('makes a paper bot decide and fill exactly as a backtest of the same candles', async () => {
    const from = 100;
    const to = 200;
    const id = await paperBot(alice, { kind: 'rules', document: smaDocument }, start + from * HOUR);
    for (let h = from + 1; h <= to; h += 1) {
      const bot = await repo.findBot(db(), id);
      if (bot) await runBotTick(deps, bot, start + h * HOUR + 10_000);
    }
    const checked = validateRules(smaDocument);
    if (!checked.ok) throw new Error('template must validate');
    const fees = feeTerms(await loadMarketSettings(db()));
    const replay = await runBacktest(rulesStrategy(checked.doc), { [card]: series.slice(0, to) }, '1h', {
      initialCash: 1_000_000,
      fees,
      spreadBps: 50,
      slippageBps: 10,
      decideFrom: start + (from + 1) * HOUR,
    });
    const equity = await repo.equityOf(db(), id);
    const expected = replay.equity.filter((p) => p.t > start + from * HOUR);
    expect(equity.map((e) => [e.at.getTime(), Number(e.equity)])).toEqual(expected.map((p) => [p.t, p.equity]));
    const fills = await repo.fillsOf(db(), id);
    expect(fills.length).toBe(replay.fills);
    expect(replay.fills).toBeGreaterThan(0);
    const perf = await t.app.inject({ method: 'GET', url: `/api/bots/${id}/performance`, headers: auth(alice) });
    expect(perf.statusCode).toBe(200);
    expect(json<{ equity: unknown[] }>(perf).equity).toHaveLength(to - from);
    const runs = await t.app.inject({ method: 'GET', url: `/api/bots/${id}/runs?limit=5`, headers: auth(alice) });
    const page = json<{ items: { status: string; inputsDigest: string }[]; nextCursor: string }>(runs);
    expect(page.items).toHaveLength(5);
    expect(page.items.every((r) => r.status === 'ok' && r.inputsDigest.length === 32)).toBe(true);
    expect(page.nextCursor).not.toBeNull();

    // The parity check replays the same period and finds every tick's decisions equal.
    const parity = await t.app.inject({ method: 'GET', url: `/api/bots/${id}/parity`, headers: auth(alice) });
    expect(parity.statusCode).toBe(200);
    expect(json(parity)).toMatchObject({ status: 'match', checkedTicks: to - from, firstDivergence: null });
    const decided = await db().execute<{ tick: Date }>(sql`
      SELECT tick FROM bot_runs WHERE bot_id = ${id} AND jsonb_array_length(decisions) > 0 ORDER BY tick LIMIT 1`);
    const tampered = decided.rows[0]?.tick;
    if (!tampered) throw new Error('the bot decided something in its period');
    await db().execute(sql`UPDATE bot_runs SET decisions = '[]' WHERE bot_id = ${id} AND tick = ${tampered}`);
    const after = json<{ status: string; firstDivergence: { tick: string; logged: unknown[]; replayed: unknown[] } }>(
      await t.app.inject({ method: 'GET', url: `/api/bots/${id}/parity`, headers: auth(alice) }),
    );
    expect(after.status).toBe('diverged');
    expect(after.firstDivergence.tick).toBe(new Date(tampered).toISOString());
    expect(after.firstDivergence.logged).toEqual([]);
    expect(after.firstDivergence.replayed.length).toBeGreaterThan(0);
    const other = await t.app.inject({ method: 'GET', url: `/api/bots/${id}/parity`, headers: auth(admin) });
    expect(other.statusCode).toBe(404);
  });

  it('counts the stop-loss exits a run logged, for the stop-loss guard', async () => {
    const id = await paperBot(alice, { kind: 'rules', document: smaDocument }, start + 210 * HOUR);
    const at = new Date(start + 211 * HOUR);
    const exit = { action: 'sell', variantId: card, type: 'market', quantity: 1, reason: 'stop-loss 10%' };
    await repo.insertRun(db(), {
      id: uuidv7(),
      botId: id,
      tick: at,
      scheduledAt: at,
      startedAt: at,
      finishedAt: at,
      status: 'ok',
      decisions: [{ intent: exit, orderId: uuidv7() }, { intent: { ...exit, reason: 'sma cross down' } }],
      durationMs: 1,
      cpuMs: 0,
    });
    expect(await repo.recentStopOuts(db(), id, new Date(start + 200 * HOUR))).toBe(1);
    expect(await repo.recentStopOuts(db(), id, new Date(start + 212 * HOUR))).toBe(0);
  });
});
