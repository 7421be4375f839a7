/**
 * Trading bots, three measures:
 *  (a) backtest throughput in candles/s: the SMA-crossover template as a rules document and the
 *      same strategy as sandboxed JavaScript, beside a plain loop that recomputes the same moving
 *      averages with `technicalindicators` on every candle (the npm package `backtest-kit` is the
 *      issue's named peer, but its dependencies are not on the registry this machine can reach);
 *  (b) scheduling: BENCH_BOTS (default 10 000) paper bots on one-minute candles all due at once,
 *      run by one worker: lag from due time to start (p50/p99), CPU ms per tick, wall time;
 *  (c) live bots placing orders through the exchange: orders/s reaching the book and the p99 of
 *      a tick.
 * (b) and (c) run on a scratch PostgreSQL database (TEST_DATABASE_URL or the local server).
 *
 *   npm run bench:bots
 *   BENCH_BOTS=2000 npm run bench:bots
 */
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { SMA } from 'technicalindicators';
import { uuidv7 } from 'uuidv7';
import { loadConfig } from '../src/config.ts';
import { runBacktest, type BacktestSettings } from '../src/modules/bots/backtest.ts';
import * as botsRepo from '../src/modules/bots/repo.ts';
import type { RunnerDeps } from '../src/modules/bots/runner.ts';
import { createSandbox } from '../src/modules/bots/sandbox/sandbox.ts';
import { runDueBots } from '../src/modules/bots/scheduler.ts';
import { emptyState } from '../src/modules/bots/simulator.ts';
import type { Strategy, StrategyInput } from '../src/modules/bots/strategy.ts';
import { StrategyCache } from '../src/modules/bots/strategy-cache.ts';
import { rulesStrategy, validateRules } from '../src/modules/bots/rules.ts';
import { STRATEGY_TEMPLATES } from '../src/modules/bots/templates.ts';
import { syntheticSeries } from '../test/support/bots-series.ts';
import { modules } from '../src/modules/index.ts';
import { COIN, SYSTEM_ACCOUNTS, reconcile, transfer, walletAccountId } from '../src/modules/ledger/index.ts';
import { startBot } from '../src/modules/bots/bot-service.ts';
import type { Db } from '../src/platform/db/tx.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv } from './support/server.ts';
import { printTable } from './support/table.ts';

const BOTS = Number(process.env.BENCH_BOTS ?? 10_000);
const LIVE_BOTS = Number(process.env.BENCH_LIVE_BOTS ?? 50);
const LIVE_ROUNDS = Number(process.env.BENCH_LIVE_ROUNDS ?? 10);
const RULES_CANDLES = 100_000;
const CODE_CANDLES = 20_000;
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

const settings: BacktestSettings = {
  initialCash: 10_000_000,
  fees: { rateBps: 500, minimumFee: 1, payer: 'buyer' },
  spreadBps: 50,
  slippageBps: 10,
};

const template = STRATEGY_TEMPLATES.find((t) => t.id === 'sma-crossover');
if (template?.kind !== 'rules') throw new Error('the sma-crossover template must be a rules document');
const checked = validateRules(template.document);
if (!checked.ok) throw new Error('the sma-crossover template must validate');

/** The template's strategy (fast 10 / slow 30 SMA, percent sizing) written as sandboxed code. */
const SMA_SOURCE = `
function mean(xs) { var s = 0; for (var i = 0; i < xs.length; i++) s += xs[i]; return s / xs.length; }
function decide(input) {
  var intents = [];
  for (var v in input.candles) {
    var c = input.candles[v];
    if (c.length < 31) continue;
    var closes = c.map(function (x) { return x.close; });
    var now = mean(closes.slice(-10)) - mean(closes.slice(-30));
    var before = mean(closes.slice(-11, -1)) - mean(closes.slice(-31, -1));
    var held = input.holdings[v] ? input.holdings[v].quantity : 0;
    var price = closes[closes.length - 1];
    if (before <= 0 && now > 0 && held === 0) {
      var q = Math.floor((input.cash * 0.1) / price);
      if (q > 0) intents.push({ action: 'buy', variantId: v, type: 'market', quantity: q, reason: 'sma cross up' });
    }
    if (before >= 0 && now < 0 && held > 0) intents.push({ action: 'sell', variantId: v, type: 'market', quantity: held, reason: 'sma cross down' });
  }
  return { intents: intents };
}`;

/** The same decisions from `technicalindicators`, recomputing both averages over the window each candle. */
const referenceLoop: Strategy = {
  decide(input: StrategyInput) {
    const intents = [];
    for (const [variantId, candles] of Object.entries(input.candles)) {
      if (candles.length < 31) continue;
      const closes = candles.map((c) => c.close);
      const fast = SMA.calculate({ period: 10, values: closes });
      const slow = SMA.calculate({ period: 30, values: closes });
      const now = (fast.at(-1) ?? 0) - (slow.at(-1) ?? 0);
      const before = (fast.at(-2) ?? 0) - (slow.at(-2) ?? 0);
      const held = input.holdings[variantId]?.quantity ?? 0;
      const price = closes.at(-1) ?? 1;
      if (before <= 0 && now > 0 && held === 0) {
        const quantity = Math.floor((input.cash * 0.1) / price);
        if (quantity > 0) intents.push({ action: 'buy' as const, variantId, type: 'market' as const, quantity });
      }
      if (before >= 0 && now < 0 && held > 0)
        intents.push({ action: 'sell' as const, variantId, type: 'market' as const, quantity: held });
    }
    return { intents };
  },
};

async function throughput(strategy: Strategy, candles: number): Promise<number> {
  const series = { card: syntheticSeries(42, candles) };
  const t0 = performance.now();
  const result = await runBacktest(strategy, series, '1h', settings);
  const seconds = (performance.now() - t0) / 1000;
  if (result.candles !== candles) throw new Error('the backtest did not see every candle');
  return candles / seconds;
}

async function benchBacktests() {
  const rules = await throughput(rulesStrategy(checked.ok ? checked.doc : (undefined as never)), RULES_CANDLES);
  const reference = await throughput(referenceLoop, RULES_CANDLES);
  const sandbox = createSandbox({ cpuMsPerCall: 1000 });
  const compiled = await sandbox.compile(SMA_SOURCE);
  const code = await throughput({ decide: (input) => compiled.call(input) }, CODE_CANDLES);
  await sandbox.close();
  console.log('\n(a) backtest throughput, SMA crossover 10/30 on one card, 200-candle lookback');
  printTable(
    ['strategy', 'candles', 'candles/s', 'vs reference loop'],
    [
      ['rules document', fmt(RULES_CANDLES), fmt(rules), `${fmt(rules / reference, 2)}×`],
      ['sandboxed code', fmt(CODE_CANDLES), fmt(code), `${fmt(code / reference, 2)}×`],
      ['reference loop (technicalindicators)', fmt(RULES_CANDLES), fmt(reference), '1.00×'],
    ],
  );
}

/** Candles of a few cards up to `until`, one per minute. */
async function recordMinuteCandles(db: Db, variants: string[], until: number) {
  for (const [i, v] of variants.entries()) {
    const series = syntheticSeries(100 + i, 300, until - 300 * 60_000).map((c, k) => ({
      ...c,
      start: until - (300 - k) * 60_000,
    }));
    await db.execute(sql`
      INSERT INTO market_candles (variant_id, interval, bucket_start, open, high, low, close, volume, notional, trades)
      SELECT ${v}::uuid, '1m', to_timestamp(x.start / 1000.0), x.open, x.high, x.low, x.close, x.volume, x.close * x.volume, 1
      FROM jsonb_to_recordset(${JSON.stringify(series)}::jsonb)
        AS x(start bigint, open bigint, high bigint, low bigint, close bigint, volume bigint)`);
  }
}

async function benchScheduling(db: Db, deps: RunnerDeps, ownerId: string) {
  const strategy = await botsRepo.insertStrategy(
    db,
    { id: uuidv7(), ownerId, name: 'sma', kind: 'rules', latestVersion: 1 },
    { document: template?.kind === 'rules' ? template.document : null, source: null },
  );
  const variants = Array.from({ length: 4 }, () => uuidv7());
  const due = Math.floor(Date.now() / 60_000) * 60_000;
  await recordMinuteCandles(db, variants, due);
  const book = JSON.stringify(emptyState(1_000_000));
  await db.execute(sql`
    INSERT INTO bots (id, owner_id, name, strategy_id, strategy_version, mode, status, variant_ids, interval,
                      allocation, settings, book, next_run_at, last_tick, started_at)
    SELECT gen_random_uuid(), ${ownerId}, 'paper ' || n, ${strategy.id}, 1, 'paper', 'running',
           ARRAY[(${JSON.stringify(variants)}::jsonb ->> (n % 4))::uuid], '1m', 1000000, '{}'::jsonb, ${book}::jsonb,
           to_timestamp(${due / 1000}), to_timestamp(${(due - 60_000) / 1000}), now()
    FROM generate_series(1, ${BOTS}) AS n`);
  // The worker's clock starts one second after the close `due`, when all of them are due: the
  // lag counts from that moment, and no second close comes within the minute measured.
  const dueAt = due + 1_000;
  await db.execute(
    sql`UPDATE bots SET next_run_at = to_timestamp(${dueAt / 1000}) WHERE status = 'running' AND interval = '1m'`,
  );
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const clock = () => dueAt + (performance.now() - t0);
  const report = await runDueBots(
    deps,
    { concurrency: 16, leaseMs: 120_000, batch: 500 },
    clock,
    Number.POSITIVE_INFINITY,
  );
  // The live measure that follows runs only live bots.
  await db.execute(sql`UPDATE bots SET status = 'stopped', next_run_at = NULL WHERE mode = 'paper'`);
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const lags = (
    await db.execute<{ lag: number }>(sql`
      SELECT (extract(epoch FROM started_at - scheduled_at) * 1000)::float8 AS lag FROM bot_runs WHERE tick = to_timestamp(${due / 1000})`)
  ).rows.map((r) => Number(r.lag));
  console.log(`\n(b) scheduling ${fmt(BOTS)} paper bots on 1m candles, all due at one close, one worker (16 at once)`);
  printTable(
    ['ran', 'wall s', 'ticks/s', 'lag p50 ms', 'lag p99 ms', 'node CPU ms/tick', 'all within 60 s'],
    [
      [
        fmt(lags.length),
        fmt(wall, 1),
        fmt(lags.length / wall),
        fmt(pct(lags, 50)),
        fmt(pct(lags, 99)),
        fmt((used.user + used.system) / 1000 / Math.max(1, lags.length), 2),
        pct(lags, 100) <= 60_000 && lags.length === BOTS ? 'yes' : 'no',
      ],
    ],
  );
  if (report.claimed !== BOTS) console.log(`  claimed ${report.claimed} of ${BOTS}`);
}

async function benchLive(
  db: Db,
  deps: RunnerDeps & { sandbox: { close(): Promise<void> } },
  ownerId: string,
  variantId: string,
) {
  const last = await db.execute<{ price: string }>(sql`
    SELECT price::text FROM market_trades WHERE variant_id = ${variantId} ORDER BY ts DESC, id DESC LIMIT 1`);
  // Bids a little under the last trade: inside the exchange's price band, resting on the book.
  const bid = Math.max(1, Math.floor(Number(last.rows[0]?.price ?? 100) * 0.9) - 5);
  const source = `function decide(input) {
    var intents = input.openOrders.map(function (o) { return { action: 'cancel', orderId: o.id }; });
    intents.push({ action: 'buy', variantId: '${variantId}', type: 'limit', price: ${bid} + (input.time / 60000) % 5, quantity: 1 });
    return { intents: intents };
  }`;
  const strategy = await botsRepo.insertStrategy(
    db,
    { id: uuidv7(), ownerId, name: 'quote', kind: 'code', latestVersion: 1 },
    { document: null, source },
  );
  const ids: string[] = [];
  let now = Math.floor(Date.now() / 60_000) * 60_000;
  for (let i = 0; i < LIVE_BOTS; i += 1) {
    const id = uuidv7();
    await botsRepo.insertBot(db, {
      id,
      ownerId,
      name: `live ${i}`,
      strategyId: strategy.id,
      strategyVersion: 1,
      mode: 'live',
      variantIds: [variantId],
      interval: '1m',
      allocation: BigInt(bid * 20),
      settings: {},
    });
    ids.push(id);
  }
  await transfer(db, {
    kind: 'bench.fund',
    legs: [
      {
        from: SYSTEM_ACCOUNTS.gateway,
        to: walletAccountId(ownerId),
        asset: COIN,
        amount: BigInt(LIVE_BOTS * bid * 20),
      },
    ],
  });
  for (const id of ids) await startBot(db, { userId: ownerId }, id, now);
  const before = await db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM market_orders WHERE owner_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`,
  );
  const t0 = performance.now();
  for (let round = 1; round <= LIVE_ROUNDS; round += 1) {
    now += 60_000;
    await db.execute(
      sql`UPDATE bots SET next_run_at = to_timestamp(${now / 1000}) WHERE id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`,
    );
    const at = now + 5_000;
    await runDueBots(deps, { concurrency: 16, leaseMs: 120_000, batch: 500 }, () => at, Number.POSITIVE_INFINITY);
  }
  const wall = (performance.now() - t0) / 1000;
  const after = await db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM market_orders WHERE owner_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`,
  );
  const placed = Number(after.rows[0]?.n) - Number(before.rows[0]?.n);
  const durations = (
    await db.execute<{ d: number }>(
      sql`SELECT duration_ms::float8 AS d FROM bot_runs WHERE bot_id IN (SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`,
    )
  ).rows.map((r) => Number(r.d));
  const inIds = sql`(SELECT jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`;
  const refused = await db.execute<{ reason: string; n: number }>(sql`
    SELECT coalesce(rejection, error) AS reason, count(*)::int AS n
    FROM (SELECT rejection, NULL AS error FROM bot_orders WHERE bot_id IN ${inIds} AND status = 'rejected'
          UNION ALL SELECT NULL, error FROM bot_runs WHERE bot_id IN ${inIds} AND status = 'error') AS x
    GROUP BY 1`);
  for (const r of refused.rows) console.log(`  refused or failed ${r.n}×: ${r.reason}`);
  console.log(
    `\n(c) ${LIVE_BOTS} live bots × ${LIVE_ROUNDS} ticks, each cancelling its resting bid and placing a new one`,
  );
  printTable(
    ['orders placed', 'wall s', 'orders/s', 'tick p50 ms', 'tick p99 ms'],
    [[fmt(placed), fmt(wall, 1), fmt(placed / wall), fmt(pct(durations, 50), 1), fmt(pct(durations, 99), 1)]],
  );
}

async function main() {
  await benchBacktests();
  const scratch = await scratchDatabase('bench_bots');
  const runtime = await createRuntime(
    loadConfig({ ...benchServerEnv(scratch.url, 0, 20), RUN_WORKERS: 'false', SEED_DEMO: 'true' }),
    { role: 'worker', modules, migrate: true, seed: true, logger: pino({ level: 'warn' }) },
  );
  const sandbox = createSandbox({ cpuMsPerCall: 200 });
  try {
    const { db } = runtime.ctx;
    const deps = {
      db,
      strategies: new StrategyCache(db, sandbox),
      logger: pino({ level: 'warn' }),
      maxFailures: 5,
      sandbox,
    };
    const alice = await db.execute<{ id: string }>(sql`SELECT id FROM identity_users WHERE username = 'alice'`);
    const ownerId = alice.rows[0]?.id;
    const card = await db.execute<{ id: string }>(
      sql`SELECT variant_id AS id FROM market_candles GROUP BY variant_id ORDER BY count(*) DESC LIMIT 1`,
    );
    const variantId = card.rows[0]?.id;
    if (!ownerId || !variantId) throw new Error('the demo data is missing');
    await benchScheduling(db, deps, ownerId);
    await benchLive(db, deps, ownerId, variantId);
    const report = await reconcile(db);
    console.log(`\nledger reconciles: ${report.ok ? 'yes' : 'NO'}`);
    if (!report.ok) process.exitCode = 1;
  } finally {
    await sandbox.close();
    await runtime.stop();
    await scratch.drop();
  }
}

await main();
