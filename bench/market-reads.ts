/**
 * Market data reads on PostgreSQL: `GET /api/market/:cardId/ticker` and
 * `GET /api/market/:cardId/candles?interval=1h` over 7 days, req/s and p99 beside `/health/live`,
 * in one run against one server process. Each read is measured as repeated requests (served from
 * the market data cache) and as ever-different ones (every request misses the cache and runs its
 * SQL: the same ticker aggregate through `/api/market/tickers?cardIds=…&limit=n`, candles over a
 * range no earlier request asked for).
 *
 *   npm run bench:market:reads                      # 5 s per target
 *   BENCH_SECONDS=3 TEST_DATABASE_URL=postgres://… npm run bench:market:reads
 *
 * A scratch database gets the demo catalogue and one card with BENCH_TRADES trades spread over the
 * last 7 days, placed through the exchange (placeOrder), plus a few resting orders; it is dropped
 * afterwards. Traffic goes to 127.0.0.1 only.
 */
import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { demoCatalogSeeder } from '../src/modules/cards/seed.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { modules } from '../src/modules/index.ts';
import { COIN, SYSTEM_ACCOUNTS, ensureWallet, transfer } from '../src/modules/ledger/index.ts';
import { placeOrder } from '../src/modules/market/index.ts';
import { outboxStats } from '../src/platform/events/outbox.ts';
import { runSeeds } from '../src/platform/db/seed.ts';
import { withTransaction, type Db } from '../src/platform/db/tx.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv, measureGets, startServerProcess, type GetFigures } from './support/server.ts';
import { printLoadTable } from './support/table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const TRADES = Number(process.env.BENCH_TRADES ?? 400);
const CONNECTIONS = 32;
const DB_CONNECTIONS = 16;

const serverEnv = (databaseUrl: string, port: number) =>
  benchServerEnv(databaseUrl, port, DB_CONNECTIONS, { MARKET_DATA_RATE_LIMIT_MAX: '100000000' });
const measure = (base: string, target: string, pathOf: (n: number) => string, seconds: number) =>
  measureGets(base, target, pathOf, seconds, CONNECTIONS);
const DAY = 86_400_000;

async function grant(db: Db, userId: string, asset: string, amount: bigint, from: string) {
  const wallet = await ensureWallet(db, userId);
  await transfer(db, { kind: 'bench.grant', legs: [{ from, to: wallet, asset, amount }] });
}

/** One card with `TRADES` trades over the last 7 days and a few resting orders on both sides. */
async function seedMarket(db: Db, ctx: Parameters<typeof createUserForTest>[0]): Promise<string> {
  const r = await db.execute<{ id: string; asset: string }>(
    sql`SELECT id::text AS id, asset FROM cards_variants ORDER BY id LIMIT 1`,
  );
  const variant = r.rows[0];
  if (!variant) throw new Error('the demo catalogue has no variants');
  const [seller, buyer] = [await createUserForTest(ctx), await createUserForTest(ctx)];
  await grant(db, seller.id, variant.asset, BigInt(TRADES * 3 + 100), SYSTEM_ACCOUNTS.mint);
  await grant(db, buyer.id, COIN, 1_000_000_000n, SYSTEM_ACCOUNTS.gateway);
  const start = Date.now() - 7 * DAY;
  const place = (userId: string, side: 'buy' | 'sell', price: bigint, quantity: bigint, at?: Date) =>
    withTransaction(db, (tx) =>
      placeOrder(tx, { userId, variantId: variant.id, side, type: 'limit', timeInForce: 'GTC', price, quantity, at }),
    );
  for (let i = 0; i < TRADES; i++) {
    const at = new Date(start + Math.floor(((i + 0.5) * 7 * DAY) / TRADES));
    const price = BigInt(1000 + Math.round(80 * Math.sin(i / 17)) + (i % 7));
    const quantity = BigInt(1 + (i % 3));
    await place(seller.id, 'sell', price, quantity, at);
    await place(buyer.id, 'buy', price, quantity, at);
  }
  for (let i = 1; i <= 5; i++) {
    await place(seller.id, 'sell', BigInt(1100 + 10 * i), BigInt(i));
    await place(buyer.id, 'buy', BigInt(900 - 10 * i), BigInt(i));
  }
  return variant.id;
}

async function main() {
  const scratch = await scratchDatabase('bench_market_reads');
  const databaseUrl = scratch.url;
  let child: ChildProcess | undefined;
  const setup = await createRuntime(loadConfig({ ...serverEnv(databaseUrl, 0), RUN_WORKERS: 'false' }), {
    role: 'worker',
    modules,
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    await runSeeds(setup.ctx.db, [demoCatalogSeeder], { demo: true });
    const seeding = Date.now();
    const cardId = await seedMarket(setup.ctx.db, setup.ctx);
    const seedSeconds = (Date.now() - seeding) / 1000;
    const server = await startServerProcess((port) => serverEnv(databaseUrl, port));
    child = server.child;
    const { base } = server;
    // The seeded trades' events (realtime messages, cache invalidations) are delivered by the server
    // first; measuring before that would count its catching up and the misses it causes.
    const drained = await waitForOutbox(setup.ctx.db);

    const to = Date.now();
    const from = to - 7 * DAY;
    const HOUR = 3_600_000;
    const candles = (fromMs: number, toMs = to) =>
      `/api/market/${cardId}/candles?interval=1h&from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`;
    // Equal ranges share a cache entry (by first bucket and length): the n-th uncached request asks for
    // a range no other request asks for, still holding all 7 days of trades (7 to 10+ days long).
    const uncachedCandles = (n: number) => candles(from - Math.floor(n / 50) * HOUR, to + (n % 50) * HOUR);
    const targets: [string, (n: number) => string][] = [
      ['GET /health/live', () => '/health/live'],
      ['GET ticker, cached', () => `/api/market/${cardId}/ticker`],
      // A second, never-traded id makes every request's cache key new; the reply is the card's ticker.
      ['GET ticker SQL, uncached', (n) => `/api/market/tickers?cardIds=${cardId}&cardIds=${absentId(n)}`],
      ['GET candles 1h × 7 d, cached', () => candles(from)],
      ['GET candles 1h × 7+ d, uncached', uncachedCandles],
    ];
    // Warm-up: JIT, connection pools, prepared plans.
    for (const [target, pathOf] of targets) await measure(base, target, pathOf, 1);
    const rows: GetFigures[] = [];
    for (const [target, pathOf] of targets) rows.push(await measure(base, target, pathOf, SECONDS));
    const live = rows[0]?.perSecond ?? 1;

    console.log(
      `\nMarket data reads on PostgreSQL (one card, ${TRADES} trades over 7 days seeded through the exchange in ` +
        `${seedSeconds.toFixed(1)} s, their events delivered in ${drained.toFixed(1)} s; ${SECONDS} s per target, ` +
        `${CONNECTIONS} connections, server pool ${DB_CONNECTIONS}, Node ${process.version})\n`,
    );
    printLoadTable(rows, live);
  } finally {
    child?.kill('SIGTERM');
    await setup.stop();
    await scratch.drop();
  }
}

/** A well-formed card variant id that no card has, different for every n. */
const absentId = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** Waits (at most 3 minutes) until no outbox event is pending; returns the seconds it took. */
async function waitForOutbox(db: Db): Promise<number> {
  const started = Date.now();
  while ((await outboxStats(db)).pending > 0) {
    if (Date.now() - started > 180_000) throw new Error('the outbox did not drain within 3 minutes');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return (Date.now() - started) / 1000;
}

await main();
// Nothing may keep the benchmark alive once the figures are printed.
process.exit(process.exitCode ?? 0);
