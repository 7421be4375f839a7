/**
 * Cards on PostgreSQL: `GET /api/cards` (a filtered page) and `GET /api/cards/search` req/s and
 * p99 beside `/health/live`, in one run against one server process, each both as repeated
 * requests (served from the catalogue cache) and as ever-different ones (every request misses the
 * cache and runs its SQL); then pack draws per second of the pure draw function.
 *
 *   npm run bench:cards                          # 5 s per target
 *   BENCH_SECONDS=3 TEST_DATABASE_URL=postgres://… npm run bench:cards
 *
 * A scratch database with the demo catalogue (6 sets, 330 cards) is created on the server and
 * dropped afterwards. The server runs as `npm start` would, in its own process.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { drawPack } from '../src/modules/cards/draw.ts';
import { sampleDropTable } from '../src/modules/cards/sample-table.ts';
import { demoCatalogSeeder } from '../src/modules/cards/seed.ts';
import { modules } from '../src/modules/index.ts';
import { runSeeds } from '../src/platform/db/seed.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv, measureGets, startServerProcess, type GetFigures } from './support/server.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 32;
const DB_CONNECTIONS = 16;

const serverEnv = (databaseUrl: string, port: number) => benchServerEnv(databaseUrl, port, DB_CONNECTIONS);
const measure = (base: string, target: string, pathOf: (n: number) => string, seconds: number) =>
  measureGets(base, target, pathOf, seconds, CONNECTIONS);
const DRAWS = 20_000;

const FILTERED = '/api/cards?rarity=rare&rarity=epic&element=fire&sort=price&limit=20';
const SEARCHES = ['embr drak', 'frost wyrm', 'serpnt', 'shadow oracle', 'thunder titan', 'glacier', 'phoenx', 'golem'];

/** Every request a different page or query (the cache keys differ), so each one runs its SQL. */
const uncachedFilter = (n: number) => `${FILTERED}&priceMin=${n % 1_000_000}`;
const uncachedSearch = (n: number) => {
  // Trailing spaces change the cache key but not the search; the limit varies too.
  const q = `${SEARCHES[n % SEARCHES.length] ?? 'drake'}${' '.repeat(Math.floor(n / SEARCHES.length) % 80)}`;
  return `/api/cards/search?q=${encodeURIComponent(q)}&limit=${1 + (Math.floor(n / 640) % 50)}`;
};

function drawRate() {
  const table = sampleDropTable({ capped: { mythic: 1000 } });
  const supply = Object.fromEntries(table.pool.filter((c) => c.maxSupply !== null).map((c) => [c.cardId, 1000]));
  const seed = randomBytes(32).toString('hex');
  for (let i = 0; i < 2000; i++)
    drawPack({ serverSeed: seed, clientSeed: 'warm', nonce: i, table, pityCounter: 0, supply });
  const started = process.hrtime.bigint();
  let pulls = 0;
  for (let i = 0; i < DRAWS; i++) {
    pulls += drawPack({ serverSeed: seed, clientSeed: 'bench', nonce: i, table, pityCounter: i % 10, supply }).pulls
      .length;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { packsPerSecond: DRAWS / seconds, pullsPerSecond: pulls / seconds, usPerPack: (seconds / DRAWS) * 1e6 };
}

async function main() {
  const scratch = await scratchDatabase('bench_cards');
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
    const server = await startServerProcess((port) => serverEnv(databaseUrl, port));
    child = server.child;
    const { base } = server;

    const targets: [string, (n: number) => string][] = [
      ['GET /health/live', () => '/health/live'],
      ['GET /api/cards filtered, cached', () => FILTERED],
      ['GET /api/cards filtered, uncached', uncachedFilter],
      ['GET /api/cards/search, cached', (n) => `/api/cards/search?q=${encodeURIComponent(SEARCHES[n % 4] ?? '')}`],
      ['GET /api/cards/search, uncached', uncachedSearch],
    ];
    // Warm-up: JIT, connection pools, prepared plans.
    for (const [target, pathOf] of targets) await measure(base, target, pathOf, 1);
    const rows: GetFigures[] = [];
    for (const [target, pathOf] of targets) rows.push(await measure(base, target, pathOf, SECONDS));
    const draws = drawRate();

    process.stdout.write(
      `\nCards on PostgreSQL (demo catalogue: 330 cards; ${SECONDS} s per target, ${CONNECTIONS} connections, ` +
        `server pool ${DB_CONNECTIONS}, Node ${process.version})\n\n`,
    );
    process.stdout.write(
      `${'target'.padEnd(36)}${'req/s'.padStart(9)}${'p99 ms'.padStart(9)}${'failed'.padStart(9)}\n`,
    );
    for (const r of rows) {
      process.stdout.write(
        `${r.target.padEnd(36)}${r.perSecond.toFixed(0).padStart(9)}${String(r.p99).padStart(9)}` +
          `${String(r.failed).padStart(9)}\n`,
      );
    }
    process.stdout.write(
      `\nPack draws (pure drawPack, 5 slots, 146-card pool, pity rule, capped mythics; ${DRAWS} packs):\n` +
        `  ${draws.packsPerSecond.toFixed(0)} packs/s, ${draws.pullsPerSecond.toFixed(0)} pulls/s, ` +
        `${draws.usPerPack.toFixed(1)} µs per pack\n`,
    );
    if (rows.some((r) => r.failed > 0)) process.exitCode = 1;
  } finally {
    child?.kill('SIGTERM');
    await setup.stop();
    await scratch.drop();
  }
}

await main();
