/**
 * Order placement through HTTP on PostgreSQL: `POST /api/market/orders` per second and p99, (a) all
 * on one card (every order waits for that book's lock: the serialised case) and (b) spread over 32
 * cards (books match in parallel), beside `GET /health/live` on the same server in the same run.
 * Orders are limit buys and sells around one price, so about half of them trade (escrow, match,
 * ledger settlement, trade, candles and outbox events in one transaction).
 *
 *   npm run bench:market:orders                  # 10 s per measurement
 *   BENCH_SECONDS=3 TEST_DATABASE_URL=postgres://… npm run bench:market:orders
 *
 * A scratch database is created on the server and dropped afterwards. The server runs as
 * `npm start` would, in its own process; the load generator runs here. Afterwards the ledger is
 * reconciled and every book is checked to be uncrossed.
 */
import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { addMinted, tradableBaseVariants } from '../src/modules/cards/index.ts';
import { demoCatalogSeeder } from '../src/modules/cards/seed.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { modules } from '../src/modules/index.ts';
import { COIN, SYSTEM_ACCOUNTS, ensureWallets, reconcile, transfer, type Leg } from '../src/modules/ledger/index.ts';
import { runSeeds } from '../src/platform/db/seed.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv, measureGets, measurePosts, startServerProcess, type PostFigures } from './support/server.ts';
import { printTable } from './support/table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const USERS = 64;
const BOOKS = 32;
const CONNECTIONS = 32;
const DB_CONNECTIONS = 16;

const serverEnv = (databaseUrl: string, port: number) => benchServerEnv(databaseUrl, port, DB_CONNECTIONS);
const measureLive = (base: string, seconds: number) =>
  measureGets(base, 'GET /health/live', () => '/health/live', seconds, CONNECTIONS);

interface Book {
  variantId: string;
  /** Catalogue price: the centre of the price band before the first trade. */
  price: number;
}

/** A deterministic order stream: user, book, side and a price within ±5 of the card's price. */
function orderBody(n: number, books: readonly Book[]) {
  const side = n % 2 === 0 ? 'buy' : 'sell';
  const book = books[Math.floor(n / 2) % books.length] as Book;
  const price = book.price + ((n * 7919) % 11) - 5;
  return {
    cardId: book.variantId,
    side,
    type: 'limit',
    timeInForce: 'GTC',
    quantity: 1 + (n % 3),
    price,
  };
}

function measureOrders(base: string, tokens: string[], books: Book[], seconds: number): Promise<PostFigures> {
  const requestOf = (n: number) => ({ token: tokens[n % tokens.length] as string, body: orderBody(n, books) });
  return measurePosts(base, '/api/market/orders', requestOf, seconds, CONNECTIONS);
}

async function main() {
  const scratch = await scratchDatabase('bench_market_orders');
  let child: ChildProcess | undefined;
  const setup = await createRuntime(loadConfig({ ...serverEnv(scratch.url, 0), RUN_WORKERS: 'false' }), {
    role: 'worker',
    modules,
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    const { ctx } = setup;
    await runSeeds(ctx.db, [demoCatalogSeeder], { demo: true });
    const books = (await tradableBaseVariants(ctx.db)).slice(0, BOOKS);
    const users = [];
    for (let i = 0; i < USERS; i += 1) users.push(await createUserForTest(ctx, { username: `trader_${i}` }));
    await ensureWallets(
      ctx.db,
      users.map((u) => u.id),
    );
    // Enough coins and copies of every bench card that no order is refused for funds.
    for (const u of users) {
      const legs: Leg[] = [{ from: SYSTEM_ACCOUNTS.gateway, to: u.id, asset: COIN, amount: 10_000_000_000n }];
      for (const b of books) {
        await addMinted(ctx.db, b.variantId, 1_000_000n);
        legs.push({ from: SYSTEM_ACCOUNTS.mint, to: u.id, asset: b.asset, amount: 1_000_000n });
      }
      await transfer(ctx.db, { kind: 'bench.fund', legs });
    }

    const server = await startServerProcess((port) => serverEnv(scratch.url, port));
    child = server.child;
    const { base } = server;
    const tokens = users.map((u) => u.accessToken);
    const many = books.map((b) => ({ variantId: b.variantId, price: Math.max(10, Number(b.price)) }));
    const one = many.slice(0, 1);

    // Warm-up: JIT, pools, prepared plans, every user's session.
    await measureOrders(base, tokens, many, 2);
    await measureLive(base, 1);
    const live = await measureLive(base, SECONDS);
    const hot = await measureOrders(base, tokens, one, SECONDS);
    const spread = await measureOrders(base, tokens, many, SECONDS);

    const counts = await ctx.db.execute<{ orders: number; trades: number; crossed: number }>(sql`
      SELECT (SELECT count(*)::int FROM market_orders) AS orders,
             (SELECT count(*)::int FROM market_trades) AS trades,
             (SELECT count(*)::int FROM (
                SELECT variant_id FROM market_orders WHERE status = 'open' GROUP BY variant_id
                HAVING max(price) FILTER (WHERE side = 'buy') >= min(price) FILTER (WHERE side = 'sell')) x) AS crossed`);
    const report = await reconcile(ctx.db);
    const c = counts.rows[0];

    console.log(
      `\nOrder placement on PostgreSQL (${SECONDS} s each, ${CONNECTIONS} connections, server pool ` +
        `${DB_CONNECTIONS}, ${USERS} traders, Node ${process.version}, ${new Date().toISOString()})\n`,
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
        row('(a) POST /api/market/orders, 1 book', hot),
        row(`(b) POST /api/market/orders, ${BOOKS} books`, spread),
      ],
    );
    console.log(
      `\n${c?.orders ?? 0} orders, ${c?.trades ?? 0} trades; crossed books: ${c?.crossed ?? '?'}; ` +
        `ledger reconciles: ${report.ok}`,
    );
    if (!report.ok || (c?.crossed ?? 1) > 0 || hot.failed + spread.failed > 0) process.exitCode = 1;
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
