/**
 * Leaderboards on PostgreSQL: (a) `GET /api/leaderboards/preview` (public, cached) and the full board
 * `GET /api/leaderboards` (signed in; stored rows, mirrored in Redis when REDIS_URL is set) beside
 * `/health/live`, req/s and p99 in one run against one server process; (b) how long the aggregation
 * job takes to compute every board from scratch for BENCH_BOTS bots with 90 days of DAILY equity
 * snapshots (91 per bot) and BENCH_FILLS round trips each, and how long recomputing 100 changed bots
 * takes.
 *
 *   npm run bench:leaderboards                          # 10 000 bots, 5 s per target
 *   BENCH_BOTS=2000 BENCH_SECONDS=3 npm run bench:leaderboards
 *
 * A scratch database gets the bots' records inserted in bulk (set-based SQL, as the bots module's
 * tables hold them); it is dropped afterwards. Traffic goes to 127.0.0.1 only.
 */
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { modules } from '../src/modules/index.ts';
import { rebuildAll, refreshDirty } from '../src/modules/leaderboards/aggregate.ts';
import { rulesOf } from '../src/modules/leaderboards/seed.ts';
import * as boardsRepo from '../src/modules/leaderboards/repo.ts';
import type { Db } from '../src/platform/db/tx.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv, startServerProcess, type GetFigures } from './support/server.ts';
import { printLoadTable, printTable } from './support/table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BOTS = Number(process.env.BENCH_BOTS ?? 10_000);
const FILLS = Number(process.env.BENCH_FILLS ?? 5);
const OWNERS = 50;
const CONNECTIONS = 32;
const DB_CONNECTIONS = 16;

const serverEnv = (databaseUrl: string, port: number) =>
  benchServerEnv(databaseUrl, port, DB_CONNECTIONS, {
    LEADERBOARD_PREVIEW_RATE_LIMIT_MAX: '100000000',
    // The boards are computed by the benchmark itself; the server only answers reads.
    RUN_WORKERS: 'false',
  });

/**
 * BENCH_BOTS paper bots over OWNERS owners, each with 91 daily equity snapshots ending today (a
 * random walk) and FILLS buy/sell round trips inside the last 30 days.
 */
async function seedBots(db: Db, ownerIds: readonly string[]): Promise<void> {
  await db.execute(sql`
    INSERT INTO bot_strategies (id, owner_id, name, kind, latest_version)
    SELECT gen_random_uuid(), o, 'bench', 'rules', 1 FROM unnest(${`{${ownerIds.join(',')}}`}::uuid[]) o`);
  await db.execute(sql`
    INSERT INTO bots (id, owner_id, name, strategy_id, strategy_version, mode, status, variant_ids, interval,
                      allocation, settings, created_at, started_at)
    SELECT gen_random_uuid(), s.owner_id, 'bench bot ' || g, s.id, 1, 'paper', 'running',
           ARRAY['00000000-0000-4000-8000-000000000001'::uuid], '1d', 1000000, '{}'::jsonb,
           now() - interval '91 days', now() - interval '91 days'
      FROM generate_series(1, ${BOTS}) g
      JOIN LATERAL (SELECT id, owner_id FROM bot_strategies ORDER BY id OFFSET (g % ${OWNERS}) LIMIT 1) s ON true`);
  await db.execute(sql`
    INSERT INTO bot_equity (bot_id, at, equity, cash)
    SELECT b.id, date_trunc('day', now()) - (d || ' days')::interval,
           (1000000 * (1 + 0.002 * (91 - d) * sin(hashtext(b.id::text) % 7 + 1) + 0.01 * sin(d + hashtext(b.id::text))))::bigint,
           1000000
      FROM bots b, generate_series(0, 90) d`);
  await db.execute(sql`
    INSERT INTO bot_orders (id, bot_id, variant_id, side, type, price, quantity, filled, status, created_at, updated_at)
    SELECT gen_random_uuid(), b.id, b.variant_ids[1], side, 'limit', 100, 1, 1, 'filled', now(), now()
      FROM bots b, generate_series(1, ${FILLS}) k, unnest(ARRAY['buy', 'sell']) side`);
  await db.execute(sql`
    INSERT INTO bot_fills (id, bot_id, order_id, variant_id, side, price, quantity, fee, at)
    SELECT gen_random_uuid(), o.bot_id, o.id, o.variant_id, o.side,
           CASE WHEN o.side = 'buy' THEN 100 ELSE 90 + abs(hashtext(o.id::text)) % 25 END, 1, 1,
           now() - ((row_number() OVER (PARTITION BY o.bot_id ORDER BY o.id) / 2 + 1) || ' days')::interval
             - CASE WHEN o.side = 'buy' THEN interval '1 hour' ELSE interval '0' END
      FROM bot_orders o`);
}

async function measure(base: string, target: string, path: string, headers: Record<string, string>, seconds: number) {
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ method: 'GET', path, headers }],
  });
  return {
    target,
    perSecond: result['2xx'] / seconds,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  } satisfies GetFigures;
}

async function main() {
  const scratch = await scratchDatabase('bench_leaderboards');
  const databaseUrl = scratch.url;
  let child: ChildProcess | undefined;
  const config = loadConfig({ ...serverEnv(databaseUrl, 0) });
  const setup = await createRuntime(config, {
    role: 'worker',
    modules,
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    const db = setup.ctx.db;
    const owners = [];
    for (let i = 0; i < OWNERS; i++) owners.push(await createUserForTest(setup.ctx));
    const seeding = performance.now();
    await seedBots(
      db,
      owners.map((o) => o.id),
    );
    const seedSeconds = (performance.now() - seeding) / 1000;

    const deps = { db, rules: rulesOf(config), mirror: undefined };
    const full = await rebuildAll(deps);
    const ranked = await db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM leaderboard_entries WHERE rank_return IS NOT NULL`,
    );
    const some = (await db.execute<{ id: string }>(sql`SELECT id FROM bots ORDER BY id LIMIT 100`)).rows;
    await boardsRepo.markDirty(
      db,
      some.map((r) => r.id),
    );
    const incremental = performance.now();
    await refreshDirty(deps);
    const incrementalMs = performance.now() - incremental;

    const server = await startServerProcess((port) => serverEnv(databaseUrl, port));
    child = server.child;
    const { base } = server;
    const auth = { authorization: `Bearer ${owners[0]?.accessToken}` };
    const targets: [string, string, Record<string, string>][] = [
      ['GET /health/live', '/health/live', {}],
      ['GET /api/auth/me (signed-in baseline)', '/api/auth/me', auth],
      ['GET /api/leaderboards/preview (cached)', '/api/leaderboards/preview', {}],
      ['GET /api/leaderboards paper 30d return, page 1', '/api/leaderboards?mode=paper&period=30d&metric=return', auth],
      [
        'GET /api/leaderboards … &minTrades=3 (filtered)',
        '/api/leaderboards?mode=paper&period=30d&metric=sharpe&minTrades=3',
        auth,
      ],
    ];
    for (const [target, path, headers] of targets) await measure(base, target, path, headers, 1);
    const rows: GetFigures[] = [];
    for (const [target, path, headers] of targets) rows.push(await measure(base, target, path, headers, SECONDS));
    const live = rows[0]?.perSecond ?? 1;

    console.log(
      `\nLeaderboards on PostgreSQL (${BOTS} paper bots × 91 daily equity snapshots and ${FILLS} round trips, ` +
        `inserted in ${seedSeconds.toFixed(1)} s; Redis ${process.env.REDIS_URL ? 'on' : 'off'}; Node ${process.version})\n`,
    );
    printTable(
      ['aggregation', 'bots', 'seconds', 'bots/s'],
      [
        [
          'full rebuild (4 periods, all boards)',
          String(full.bots),
          (full.ms / 1000).toFixed(2),
          (full.bots / (full.ms / 1000)).toFixed(0),
        ],
        [
          'incremental: 100 changed bots',
          '100',
          (incrementalMs / 1000).toFixed(2),
          (100 / (incrementalMs / 1000)).toFixed(0),
        ],
      ],
    );
    console.log(`\nranked entries on the return boards: ${ranked.rows[0]?.n ?? 0}\n`);
    console.log(`Reads: ${SECONDS} s per target, ${CONNECTIONS} connections, server pool ${DB_CONNECTIONS}\n`);
    printLoadTable(rows, live);
  } finally {
    child?.kill('SIGTERM');
    await setup.stop();
    await scratch.drop();
  }
}

await main();
// Nothing may keep the benchmark alive once the figures are printed.
process.exit(process.exitCode ?? 0);
