/**
 * Community reads under load: the shared-bot list (newest, by likes, searched), one bot's page and a
 * follower's feed, over BENCH_SHARED (default 300) public strategies each running one paper bot,
 * with likes, follows and feed rows. autocannon fires from a worker thread for BENCH_SECONDS
 * (default 5) per target after a one-second warm-up.
 *
 *   npm run bench:community
 *   BENCH_SHARED=1000 BENCH_SECONDS=3 npm run bench:community
 *   DATABASE_URL=postgres://… npm run bench:community   # on PostgreSQL instead of the embedded database
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { uuidv7 } from 'uuidv7';
import { loadConfig } from '../src/config.ts';
import * as botsRepo from '../src/modules/bots/repo.ts';
import { STRATEGY_TEMPLATES } from '../src/modules/bots/templates.ts';
import { newLinkToken } from '../src/modules/community/access.ts';
import { announceSharedBots } from '../src/modules/community/feed-service.ts';
import * as communityRepo from '../src/modules/community/repo.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { modules } from '../src/modules/index.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { printTable } from './support/table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SHARED = Number(process.env.BENCH_SHARED ?? 300);
const AUTHORS = 20;
const CONNECTIONS = 20;

const template = STRATEGY_TEMPLATES.find((t) => t.id === 'sma-crossover');
if (template?.kind !== 'rules') throw new Error('the sma-crossover template must be a rules document');

async function measure(name: string, url: string, headers: Record<string, string> = {}) {
  const base = { url, connections: CONNECTIONS, headers, workers: 1 };
  await autocannon({ ...base, duration: 1 });
  const r = await autocannon({ ...base, duration: SECONDS });
  return {
    name,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.non2xx + r.errors + r.timeouts,
  };
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'ece-bench-community-'));
const config = loadConfig({
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  JWT_SECRET: 'bench-signing-secret-that-is-long-enough-0123456789',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'silent',
  DATA_DIR: dataDir,
  RATE_LIMIT_MAX: '1000000000',
  RUN_WORKERS: 'false',
  SEED_DEMO: 'false',
});
const runtime = await createRuntime(config, { role: 'all', modules, migrate: true });
let exitCode = 0;
try {
  const base = await runtime.listen();
  const db = runtime.ctx.db;
  const authors = [];
  for (let i = 0; i < AUTHORS; i += 1) authors.push(await createUserForTest(runtime.ctx));
  const reader = await createUserForTest(runtime.ctx);
  const botIds: string[] = [];
  for (let i = 0; i < SHARED; i += 1) {
    const owner = authors[i % AUTHORS];
    if (!owner) continue;
    const strategy = await botsRepo.insertStrategy(
      db,
      { id: uuidv7(), ownerId: owner.id, name: `Trend ${i}`, kind: 'rules', latestVersion: 1 },
      { document: template.document, source: null },
    );
    const bot = await botsRepo.insertBot(db, {
      id: uuidv7(),
      ownerId: owner.id,
      name: `Bench bot ${i}`,
      strategyId: strategy.id,
      strategyVersion: 1,
      mode: 'paper',
      variantIds: [uuidv7()],
      interval: '1h',
      allocation: 100_000n,
      settings: {},
    });
    await communityRepo.upsertSharing(
      db,
      {
        strategyId: strategy.id,
        ownerId: owner.id,
        visibility: 'public',
        mode: i % 2 === 0 ? 'open' : 'protected',
        description: `Shared strategy number ${i}`,
        linkToken: newLinkToken(),
        announcedVersion: 1,
      },
      false,
    );
    await announceSharedBots(db, { ...strategy }, [{ ...bot }]);
    if (i % 3 === 0) await communityRepo.like(db, bot.id, reader.id);
    botIds.push(bot.id);
  }
  for (const a of authors.slice(0, 5)) await communityRepo.follow(db, reader.id, 'user', a.id);
  const auth = { authorization: `Bearer ${reader.accessToken}` };
  console.log(
    `Community benchmark: ${SHARED} shared bots by ${AUTHORS} authors, ${SECONDS} s per target, ${CONNECTIONS} ` +
      `connections, Node ${process.version}, ${availableParallelism()} CPUs, ` +
      `${config.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}\n`,
  );
  const rows = [
    await measure('GET /api/community/bots (newest, 20)', `${base}/api/community/bots`),
    await measure('GET /api/community/bots?sort=likes', `${base}/api/community/bots?sort=likes`),
    await measure('GET /api/community/bots?q=number 7', `${base}/api/community/bots?q=number%207`),
    await measure('GET /api/community/bots/:id', `${base}/api/community/bots/${botIds[0]}`, auth),
    await measure('GET /api/community/feed (20)', `${base}/api/community/feed`, auth),
  ];
  printTable(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'failed'],
    rows.map((r) => [r.name, r.rps.toFixed(0), r.p50.toFixed(1), r.p99.toFixed(1), String(r.bad)]),
  );
  if (rows.some((r) => r.bad > 0)) {
    console.error('some requests failed; the figures are not valid');
    exitCode = 1;
  }
} finally {
  await runtime.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
