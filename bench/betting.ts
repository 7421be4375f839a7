/**
 * Betting on PostgreSQL: (1) `POST /api/betting/place-bet` per second and p99, (a) all on one hot
 * parimutuel market (every bet takes that market's row lock: the serialised case) and (b) spread
 * over 32 markets, beside `GET /health/live` on the same server in the same run; (2) settlement
 * time of one market holding N bets (inserted in bulk through the ledger's batch API), processed by
 * the settlement job's own code in chunks.
 *
 *   npm run bench:betting                                   # 5 s per measurement, N = 100 000
 *   BENCH_SECONDS=3 BENCH_SETTLE_BETS=20000 TEST_DATABASE_URL=postgres://… npm run bench:betting
 *
 * A scratch database is created on the server and dropped afterwards; the server runs as
 * `npm start` would, in its own process, on 127.0.0.1. Afterwards the ledger is reconciled.
 */
import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { confirmAge, createEvent, importBets, processMarket, requestSettlement } from '../src/modules/betting/index.ts';
import type { MarketDefaults } from '../src/modules/betting/index.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { modules } from '../src/modules/index.ts';
import { COIN, SYSTEM_ACCOUNTS, ensureWallets, reconcile, transfer } from '../src/modules/ledger/index.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv, measureGets, measurePosts, startServerProcess, type PostFigures } from './support/server.ts';
import { printTable } from './support/table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SETTLE_BETS = Number(process.env.BENCH_SETTLE_BETS ?? 100_000);
const SETTLE_BATCH = Number(process.env.BENCH_SETTLE_BATCH ?? 1000);
const USERS = 64;
const MARKETS = 32;
const CONNECTIONS = 32;
const DB_CONNECTIONS = 16;
const IMPORT_CHUNK = 5000;

const LIMITS: MarketDefaults = {
  minStake: 1n,
  maxStake: 1_000_000n,
  maxPayout: 1_000_000_000n,
  userLiabilityCap: 1_000_000_000n,
  outcomeLiabilityCap: 1_000_000_000n,
  suspendExposure: 1_000_000_000_000n,
  priceMinTrades: 0,
};

const serverEnv = (databaseUrl: string, port: number) => benchServerEnv(databaseUrl, port, DB_CONNECTIONS);

interface Target {
  eventId: string;
  marketId: string;
  outcomes: string[];
}

function measureBets(base: string, tokens: string[], targets: Target[], seconds: number): Promise<PostFigures> {
  return measurePosts(
    base,
    '/api/betting/place-bet',
    (n) => {
      const target = targets[n % targets.length] as Target;
      return {
        token: tokens[n % tokens.length] as string,
        body: {
          eventId: target.eventId,
          marketId: target.marketId,
          outcomeId: target.outcomes[n % target.outcomes.length],
          stake: 100 + (n % 50),
        },
      };
    },
    seconds,
    CONNECTIONS,
  );
}

async function main() {
  const scratch = await scratchDatabase('bench_betting');
  let child: ChildProcess | undefined;
  const setup = await createRuntime(loadConfig({ ...serverEnv(scratch.url, 0), RUN_WORKERS: 'false' }), {
    role: 'worker',
    modules,
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    const { ctx } = setup;
    const { db } = ctx;
    const admin = await createUserForTest(ctx, { username: 'bench_admin', role: 'admin' });
    const users: Awaited<ReturnType<typeof createUserForTest>>[] = [];
    for (let i = 0; i < USERS; i += 1) users.push(await createUserForTest(ctx, { username: `bettor_${i}` }));
    await ensureWallets(
      db,
      users.map((u) => u.id),
    );
    for (const u of users) {
      await confirmAge(db, u.id);
      await transfer(db, {
        kind: 'bench.fund',
        legs: [{ from: SYSTEM_ACCOUNTS.gateway, to: u.id, asset: COIN, amount: 100_000_000_000n }],
      });
    }
    const startsAt = new Date(Date.now() + 86_400_000).toISOString();
    const targets: Target[] = [];
    for (let i = 0; i < MARKETS; i += 1) {
      const e = await createEvent(
        db,
        admin.id,
        {
          title: `Bench event ${i}`,
          startsAt,
          markets: [{ type: 'parimutuel', name: 'Pool', outcomes: [{ label: 'A' }, { label: 'B' }, { label: 'C' }] }],
        },
        LIMITS,
      );
      const m = e.markets[0];
      if (m) targets.push({ eventId: e.id, marketId: m.id, outcomes: m.outcomes.map((o) => o.id) });
    }

    const server = await startServerProcess((port) => serverEnv(scratch.url, port));
    child = server.child;
    const { base } = server;
    const tokens = users.map((u) => u.accessToken);
    const measureLive = (seconds: number) =>
      measureGets(base, 'GET /health/live', () => '/health/live', seconds, CONNECTIONS);

    await measureBets(base, tokens, targets, 2);
    await measureLive(1);
    const live = await measureLive(SECONDS);
    const hot = await measureBets(base, tokens, targets.slice(0, 1), SECONDS);
    const spread = await measureBets(base, tokens, targets, SECONDS);
    child.kill('SIGTERM');
    child = undefined;

    // Settlement of one market holding SETTLE_BETS bets.
    const big = await createEvent(
      db,
      admin.id,
      {
        title: 'Bench settlement',
        startsAt,
        markets: [{ type: 'parimutuel', name: 'Pool', outcomes: [{ label: 'A' }, { label: 'B' }] }],
      },
      LIMITS,
    );
    const market = big.markets[0];
    if (!market) throw new Error('no market');
    const outcomes = market.outcomes.map((o) => o.id);
    const importStart = performance.now();
    for (let done = 0; done < SETTLE_BETS; done += IMPORT_CHUNK) {
      const size = Math.min(IMPORT_CHUNK, SETTLE_BETS - done);
      await importBets(
        db,
        market.id,
        Array.from({ length: size }, (_, k) => ({
          userId: users[(done + k) % USERS]?.id ?? '',
          outcomeId: outcomes[(done + k) % 2] ?? '',
          stake: BigInt(100 + ((done + k) % 97)),
        })),
      );
    }
    const importMs = performance.now() - importStart;
    await db.execute(sql`UPDATE betting_events SET opens_at = now() - interval '2 hours',
      starts_at = now() - interval '1 hour' WHERE id = ${big.id}`);
    const settleStart = performance.now();
    await requestSettlement(
      db,
      { actor: { type: 'system', id: 'bench' } },
      market.id,
      outcomes[0] ?? '',
      async () => {},
    );
    const status = await processMarket(db, market.id, { batch: SETTLE_BATCH });
    const settleMs = performance.now() - settleStart;

    const counts = await db.execute<{ bets: number; transfers: number }>(sql`
      SELECT (SELECT count(*)::int FROM betting_bets) AS bets,
             (SELECT count(*)::int FROM ledger_transfers WHERE kind LIKE 'betting.%') AS transfers`);
    const report = await reconcile(db);
    const c = counts.rows[0];

    console.log(
      `\nBetting on PostgreSQL (${SECONDS} s each, ${CONNECTIONS} connections, server pool ${DB_CONNECTIONS}, ` +
        `${USERS} bettors, Node ${process.version}, ${new Date().toISOString()})\n`,
    );
    const row = (label: string, f: PostFigures) => [
      label,
      f.perSecond.toFixed(0),
      String(f.p99),
      String(f.failed),
      `${((f.perSecond / live.perSecond) * 100).toFixed(1)} %`,
    ];
    printTable(
      ['target', 'req/s', 'p99 ms', 'failed', 'of /health/live'],
      [
        row('GET /health/live', live),
        row('(a) POST /api/betting/place-bet, 1 market', hot),
        row(`(b) POST /api/betting/place-bet, ${MARKETS} markets`, spread),
      ],
    );
    console.log(
      `\nSettlement of one parimutuel market with ${SETTLE_BETS} bets (chunks of ${SETTLE_BATCH}): ` +
        `${(settleMs / 1000).toFixed(2)} s (${((SETTLE_BETS / settleMs) * 1000).toFixed(0)} bets/s), status ${status}; ` +
        `bulk import ${(importMs / 1000).toFixed(2)} s`,
    );
    console.log(`${c?.bets ?? 0} bets, ${c?.transfers ?? 0} betting transfers; ledger reconciles: ${report.ok}`);
    if (!report.ok || hot.failed + spread.failed > 0 || status !== 'settled') process.exitCode = 1;
  } finally {
    child?.kill('SIGTERM');
    await setup.stop();
    await scratch.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
