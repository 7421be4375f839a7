/**
 * Identity benchmark, in one run:
 * - `GET /api/auth/me` with a valid access token (token verification, the cached session/ban
 *   check, one account read) beside `GET /health/live` (the same stack without auth);
 * - password sign-ins per second at the configured argon2id parameters (the deliberate cost),
 *   and the bare hash verification rate for comparison.
 * autocannon fires from a worker thread; every phase has a fixed duration, so the run ends alone.
 *
 *   npm run bench:auth                       # 10 s per HTTP target, 10 s of sign-ins
 *   BENCH_SECONDS=3 npm run bench:auth
 *   DATABASE_URL=postgres://… npm run bench:auth   # on PostgreSQL instead of the embedded database
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.ts';
import { identityModule, PasswordHasher } from '../src/modules/identity/index.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { notificationsModule } from '../src/modules/notifications/index.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { printTable } from './support/table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
// Sign-ins are CPU-bound in the hashing thread pool; more connections only queue.
const LOGIN_CONNECTIONS = 8;

interface Figures {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function measure(
  name: string,
  opts: { url: string; connections: number; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string },
): Promise<Figures> {
  const base = { workers: 1, ...opts };
  // Warm-up: JIT, connection pools and caches stay out of the measured window.
  await autocannon({ ...base, duration: 1 });
  const result = await autocannon({ ...base, duration: SECONDS });
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function printFigures(rows: Figures[]) {
  printTable(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'],
    rows.map((r) => [
      r.name,
      r.requestsPerSecond.toFixed(0),
      r.p50Ms.toFixed(1),
      r.p99Ms.toFixed(1),
      String(r.non2xx),
      String(r.errors),
    ]),
  );
}

/** Sequential verifications on one thread for `seconds`: the per-core cost of one sign-in's hash. */
async function verifyRate(hasher: PasswordHasher, seconds: number) {
  const stored = await hasher.hash('Bench-Password-Quartz-71');
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    await hasher.verify(stored, 'Bench-Password-Quartz-71');
    n++;
  }
  return n / seconds;
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'ece-bench-auth-'));
const config = loadConfig({
  ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  JWT_SECRET: 'bench-signing-secret-that-is-long-enough-0123456789',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'silent',
  DATA_DIR: dataDir,
  RATE_LIMIT_MAX: '1000000000',
  SEED_DEMO: 'false',
});
const runtime = await createRuntime(config, {
  role: 'all',
  modules: [identityModule, notificationsModule],
  migrate: true,
});
let exitCode = 0;
try {
  const base = await runtime.listen();
  const user = await createUserForTest(runtime.ctx);
  const argon = `argon2id m=${config.ARGON2_MEMORY_KIB} KiB t=${config.ARGON2_TIME_COST} p=${config.ARGON2_PARALLELISM}`;
  console.log(
    `Identity benchmark: ${SECONDS} s per target, Node ${process.version}, ${availableParallelism()} CPUs, ` +
      `${config.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}${config.REDIS_URL ? ' + Redis cache' : ''}, ${argon}\n`,
  );
  const rows = [
    await measure('GET /health/live', { url: `${base}/health/live`, connections: CONNECTIONS }),
    await measure('GET /api/auth/me (valid token)', {
      url: `${base}/api/auth/me`,
      connections: CONNECTIONS,
      headers: { authorization: `Bearer ${user.accessToken}` },
    }),
    await measure(`POST /api/auth/login (${LOGIN_CONNECTIONS} conns)`, {
      url: `${base}/api/auth/login`,
      connections: LOGIN_CONNECTIONS,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    }),
  ];
  printFigures(rows);
  const perThread = await verifyRate(new PasswordHasher(config), Math.min(SECONDS, 5));
  console.log(
    `\nargon2id verifications on one thread: ${perThread.toFixed(1)}/s (${(1000 / perThread).toFixed(1)} ms each)`,
  );
  const [live, me] = rows;
  if (live && me)
    console.log(
      `/api/auth/me vs /health/live throughput: ${((me.requestsPerSecond / live.requestsPerSecond) * 100).toFixed(0)} %`,
    );
  if (rows.some((r) => r.non2xx + r.errors > 0)) {
    console.error('some requests failed; the figures are not valid');
    exitCode = 1;
  }
} finally {
  await runtime.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
