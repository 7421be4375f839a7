/**
 * HTTP baseline: what the full platform stack (request ids, helmet, CORS, auth, rate limiter,
 * metrics, response serialisation) costs on `GET /health/live` against a bare `node:http` server
 * answering the same JSON. Both run in this process; autocannon fires from a worker thread so the load generator does
 * not share their event loop.
 *
 *   npx tsx bench/http-baseline.ts            # 10 s per target
 *   BENCH_SECONDS=3 npx tsx bench/http-baseline.ts
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.ts';
import { modules } from '../src/modules/index.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { printTable } from './support/table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
// The same shape of answer as the service's liveness route.
const HELLO = { status: 'ok' };

async function startRaw(): Promise<{ url: string; server: Server }> {
  const body = JSON.stringify(HELLO);
  const server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, server };
}

interface Figures {
  name: string;
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function measure(name: string, url: string): Promise<Figures> {
  // Warm-up: JIT, connection pools and lazy compilation stay out of the measured window.
  await autocannon({ url, connections: CONNECTIONS, duration: 1, workers: 1 });
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, workers: 1 });
  return {
    name,
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function printFigures(rows: Figures[]) {
  printTable(
    ['target', 'req/s', 'p99 ms', 'non-2xx', 'errors'],
    rows.map((r) => [r.name, r.requestsPerSecond.toFixed(0), r.p99Ms.toFixed(1), String(r.non2xx), String(r.errors)]),
  );
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'ece-bench-'));
const raw = await startRaw();
const config = loadConfig({
  JWT_SECRET: 'bench-signing-secret-that-is-long-enough-0123456789',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'silent',
  DATA_DIR: dataDir,
  RATE_LIMIT_MAX: '1000000000',
  SEED_DEMO: 'false',
});
const runtime = await createRuntime(config, { role: 'all', modules, migrate: true });
let exitCode = 0;
try {
  const serviceUrl = `${await runtime.listen()}/health/live`;
  console.log(`HTTP baseline: ${SECONDS} s per target, ${CONNECTIONS} connections, Node ${process.version}\n`);
  const rawFigures = await measure('raw node:http', raw.url);
  const serviceFigures = await measure('service GET /health/live', serviceUrl);
  printFigures([rawFigures, serviceFigures]);
  const ratio = serviceFigures.requestsPerSecond / rawFigures.requestsPerSecond;
  console.log(`\nservice/raw throughput: ${ratio.toFixed(2)} (${(ratio * 100).toFixed(0)} %)`);
  if (serviceFigures.non2xx + serviceFigures.errors > 0) {
    console.error('the service answered with errors; the figures are not a baseline');
    exitCode = 1;
  }
} finally {
  await runtime.stop();
  await new Promise((resolve) => raw.server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
