import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from './postgres.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function waitUntilLive(base: string, child: ChildProcess) {
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const live = await fetch(`${base}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (live) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

/**
 * Starts the all-in-one service (`src/main.ts`) as its own process on a free loopback port, so the
 * load generator does not share its event loop; resolves once `/health/live` answers.
 */
export async function startServerProcess(
  env: (port: number) => NodeJS.ProcessEnv,
): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: env(port),
  });
  try {
    await waitUntilLive(base, child);
  } catch (err) {
    child.kill('SIGTERM');
    throw err;
  }
  return { base, child };
}

// One set of secrets per benchmark process: the set-up runtime signs tokens the server then checks.
const JWT_SECRET = randomBytes(32).toString('hex');
const WEBHOOK_SECRET = randomBytes(32).toString('hex');

/**
 * The environment a benchmark runs the service in: production mode on `databaseUrl`, loopback only,
 * quiet logs, the rate limits out of the way, no demo data, plus `extra` settings.
 */
export function benchServerEnv(
  databaseUrl: string,
  port: number,
  dbConnections: number,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    // The benchmark measures the product with its only payment provider, the sandbox.
    PAYMENT_SANDBOX_IN_PRODUCTION: 'true',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    JWT_SECRET,
    PAYMENT_WEBHOOK_SECRET: WEBHOOK_SECRET,
    METRICS_TOKEN: 'bench-metrics-token-0123456789',
    DATA_ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 'bench-data-key').toString('base64')}`,
    DB_POOL_SIZE: String(dbConnections),
    RATE_LIMIT_MAX: '100000000',
    SEED_DEMO: 'false',
    ...extra,
  };
}

export interface GetFigures {
  target: string;
  perSecond: number;
  p99: number;
  failed: number;
}

/** GET requests/s and p99 against `base` for `seconds`, the n-th request asking for `pathOf(n)`. */
export async function measureGets(
  base: string,
  target: string,
  pathOf: (n: number) => string,
  seconds: number,
  connections: number,
): Promise<GetFigures> {
  let n = 0;
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: pathOf(n++) }) }],
  });
  return {
    target,
    perSecond: result['2xx'] / seconds,
    p99: result.latency.p99,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

export interface PostFigures {
  perSecond: number;
  p99: number;
  failed: number;
}

/**
 * JSON POSTs/s and p99 to `path` for `seconds`; `requestOf(n)` gives the n-th request's bearer
 * token and body.
 */
export async function measurePosts(
  base: string,
  path: string,
  requestOf: (n: number) => { token: string; body: unknown },
  seconds: number,
  connections: number,
): Promise<PostFigures> {
  let n = 0;
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path,
        setupRequest: (req) => {
          const { token, body } = requestOf(n++);
          return {
            ...req,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify(body),
          };
        },
      },
    ],
  });
  return { perSecond: result['2xx'] / seconds, p99: result.latency.p99, failed: result.non2xx + result.errors };
}
