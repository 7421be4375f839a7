/**
 * Realtime at scale: trades placed over HTTP at a steady rate on one card while N WebSocket
 * subscribers follow that card's `market.trades.<id>` or `market.book.<id>` channel. Measures
 * change → subscriber latency (from the moment the order was sent), delivery, order placement p99
 * while the fan-out runs (beside a run without subscribers) and the API processes' CPU per
 * delivered message.
 *
 *   npm run bench:realtime                                   # embedded database, one process
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… npm run bench:realtime          # api + worker
 *   DATABASE_URL=… REDIS_URL=… REALTIME_API_PROCESSES=2 npm run bench:realtime    # 2 API processes
 *
 * Settings (environment): REALTIME_SUBSCRIBERS (default 1000,5000,10000), REALTIME_CHANNELS
 * (trades,book), REALTIME_SECONDS (30), REALTIME_TRADES_PER_SECOND (5), REALTIME_CLIENT_PROCESSES
 * (2 load-client processes). On PostgreSQL a scratch database is created on DATABASE_URL's server
 * and dropped afterwards; the embedded run uses a scratch data directory.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { addMinted, tradableBaseVariants } from '../src/modules/cards/index.ts';
import { demoCatalogSeeder } from '../src/modules/cards/seed.ts';
import { modules } from '../src/modules/index.ts';
import { COIN, SYSTEM_ACCOUNTS, ensureWallets, transfer, type Leg } from '../src/modules/ledger/index.ts';
import { runSeeds } from '../src/platform/db/seed.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { freePort } from './support/postgres.ts';
import { benchServerEnv } from './support/server.ts';
import { printTable } from './support/table.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.REALTIME_SECONDS ?? 30);
const RATE = Number(process.env.REALTIME_TRADES_PER_SECOND ?? 5);
const SUBSCRIBERS = (process.env.REALTIME_SUBSCRIBERS ?? '1000,5000,10000').split(',').map(Number);
const CHANNELS = (process.env.REALTIME_CHANNELS ?? 'trades,book').split(',') as ('trades' | 'book')[];
const API_PROCESSES = Number(process.env.REALTIME_API_PROCESSES ?? 1);
const CLIENT_PROCESSES = Number(process.env.REALTIME_CLIENT_PROCESSES ?? 2);
const DATABASE_URL = process.env.DATABASE_URL || undefined;
const REDIS_URL = process.env.REDIS_URL || undefined;
const SCALE_OUT = Boolean(DATABASE_URL);
const STEPS = Math.round(SECONDS * RATE);
const CLK_TCK = 100;

interface Run {
  channel: 'trades' | 'book';
  subscribers: number;
  p50: number;
  p99: number;
  delivered: number;
  orderP99: number;
  orderFailed: number;
  cpuUsPerMessage: number;
  apiCpuPercent: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number);

/** User + system CPU seconds a process has used so far (Linux /proc). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function adminQuery(url: string, statement: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

async function waitUntilLive(base: string, child: ChildProcess) {
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (
      await fetch(`${base}/health/live`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

function startProcess(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
}

async function post(base: string, token: string, body: unknown) {
  const started = performance.now();
  const r = await fetch(`${base}/api/market/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  await r.arrayBuffer();
  return { ok: r.status === 201, status: r.status, ms: performance.now() - started };
}

interface Client {
  child: ChildProcess;
  next<T>(op: string): Promise<T>;
}

function startClient(): Client {
  const child = fork(path.join(ROOT, 'bench/support/realtime-client.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, (msg: unknown) => void>();
  child.on('message', (msg: { op: string }) => waiting.get(msg.op)?.(msg));
  return {
    child,
    next: <T>(op: string) => new Promise<T>((resolve) => waiting.set(op, (m) => resolve(m as T))),
  };
}

async function main() {
  const label = SCALE_OUT
    ? `PostgreSQL${REDIS_URL ? ' + Redis' : ''}, ${API_PROCESSES} API process(es) + 1 worker`
    : 'embedded';
  if (!SCALE_OUT && API_PROCESSES > 1) throw new Error('REALTIME_API_PROCESSES > 1 needs DATABASE_URL and REDIS_URL');
  const scratchName = `bench_realtime_${Date.now().toString(36)}`;
  const dataDir = SCALE_OUT ? undefined : await mkdtemp(path.join(os.tmpdir(), 'bench-realtime-'));
  let dbUrl: string | undefined;
  if (DATABASE_URL) {
    await adminQuery(DATABASE_URL, `CREATE DATABASE ${scratchName}`);
    const u = new URL(DATABASE_URL);
    u.pathname = `/${scratchName}`;
    dbUrl = u.toString();
  }
  const children: ChildProcess[] = [];
  try {
    const env = (port: number): NodeJS.ProcessEnv => {
      const e = benchServerEnv(dbUrl ?? 'postgres://unused@127.0.0.1/unused', port, 8, {
        WS_MAX_CONNECTIONS_PER_ADDRESS: '100000',
      });
      if (!dbUrl) {
        delete e.DATABASE_URL;
        delete e.REDIS_URL;
        e.DATA_DIR = dataDir;
      } else if (REDIS_URL) e.REDIS_URL = REDIS_URL;
      else delete e.REDIS_URL;
      return e;
    };

    // Set-up: catalogue, a buyer with coins and a seller with copies of every card the runs use.
    const runs = CHANNELS.length * SUBSCRIBERS.length + 1;
    const setup = await createRuntime(loadConfig({ ...env(0), RUN_WORKERS: 'false' }), {
      role: 'worker',
      modules,
      migrate: true,
      logger: pino({ level: 'warn' }),
    });
    let books: { variantId: string; price: number }[];
    let buyer: string;
    let seller: string;
    try {
      const { ctx } = setup;
      await runSeeds(ctx.db, [demoCatalogSeeder], { demo: true });
      const variants = (await tradableBaseVariants(ctx.db)).slice(0, runs);
      if (variants.length < runs) throw new Error(`the catalogue has only ${variants.length} tradable cards`);
      const [b, s] = [
        await createUserForTest(ctx, { username: 'rt_buyer' }),
        await createUserForTest(ctx, { username: 'rt_seller' }),
      ];
      await ensureWallets(ctx.db, [b.id, s.id]);
      const legs: Leg[] = [{ from: SYSTEM_ACCOUNTS.gateway, to: b.id, asset: COIN, amount: 1_000_000_000_000n }];
      for (const v of variants) {
        await addMinted(ctx.db, v.variantId, 1_000_000n);
        legs.push({ from: SYSTEM_ACCOUNTS.mint, to: s.id, asset: v.asset, amount: 1_000_000n });
      }
      await transfer(ctx.db, { kind: 'bench.fund', legs });
      books = variants.map((v) => ({ variantId: v.variantId, price: Math.max(10, Number(v.price)) }));
      [buyer, seller] = [b.accessToken, s.accessToken];
    } finally {
      await setup.stop();
    }

    // The service: all-in-one on the embedded database; API processes + one worker on PostgreSQL.
    const apis: { base: string; child: ChildProcess }[] = [];
    for (let i = 0; i < (SCALE_OUT ? API_PROCESSES : 1); i += 1) {
      const port = await freePort();
      const child = startProcess(SCALE_OUT ? 'src/api.ts' : 'src/main.ts', env(port));
      children.push(child);
      apis.push({ base: `http://127.0.0.1:${port}`, child });
    }
    if (SCALE_OUT) children.push(startProcess('src/worker.ts', env(await freePort())));
    for (const api of apis) await waitUntilLive(api.base, api.child);
    const wsUrls = apis.map((a) => `${a.base.replace(/^http/, 'ws')}/api/ws`);
    const base = (apis[0] as { base: string }).base;

    const results: Run[] = [];
    let bookIndex = 0;
    const measure = async (channel: 'trades' | 'book', subscribers: number): Promise<Run> => {
      const book = books[bookIndex++] as { variantId: string; price: number };
      const initial = STEPS + 10;
      const ask = await post(base, seller, {
        cardId: book.variantId,
        side: 'sell',
        type: 'limit',
        timeInForce: 'GTC',
        quantity: initial,
        price: book.price,
      });
      if (!ask.ok) throw new Error(`the resting sell order was refused (${ask.status})`);
      await new Promise((r) => setTimeout(r, 1000));
      const share = Math.ceil(subscribers / CLIENT_PROCESSES);
      const clients = subscribers === 0 ? [] : Array.from({ length: CLIENT_PROCESSES }, startClient);
      await Promise.all(
        clients.map((c, i) => {
          const ready = c.next('ready');
          c.child.send({
            op: 'open',
            // Each client process spreads its subscribers over the API processes.
            urls: wsUrls,
            count: Math.min(share, subscribers - i * share),
            channel: `market.${channel}.${book.variantId}`,
            kind: channel,
            marker: { price: book.price, initial },
            maxSteps: STEPS,
          });
          return ready;
        }),
      );
      const cpuBefore = await Promise.all(apis.map((a) => cpuSeconds(a.child.pid ?? 0)));
      const startedAt = performance.now();
      const sentAt: number[] = [];
      const orders: Promise<{ ok: boolean; ms: number }>[] = [];
      for (let s = 0; s < STEPS; s += 1) {
        const due = startedAt + (s * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sentAt.push(performance.timeOrigin + performance.now());
        orders.push(
          post(base, buyer, {
            cardId: book.variantId,
            side: 'buy',
            type: 'limit',
            timeInForce: 'IOC',
            quantity: 1,
            price: book.price,
          }),
        );
      }
      const placed = await Promise.all(orders);
      const elapsed = (performance.now() - startedAt) / 1000;
      // Let the last change reach everyone.
      await new Promise((r) => setTimeout(r, 3000));
      const cpuAfter = await Promise.all(apis.map((a) => cpuSeconds(a.child.pid ?? 0)));
      const cpu = cpuAfter.reduce((sum, c, i) => sum + c - (cpuBefore[i] as number), 0);
      const reports = await Promise.all(
        clients.map((c) => {
          const result = c.next<{ latencies: number[]; missed: number }>('result');
          c.child.send({ op: 'finish', sentAt, steps: STEPS });
          return result;
        }),
      );
      const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
      const missed = reports.reduce((n, r) => n + r.missed, 0);
      const orderMs = placed.map((p) => p.ms).sort((a, b) => a - b);
      const delivered = latencies.length;
      return {
        channel,
        subscribers,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        delivered: subscribers === 0 ? 100 : (delivered / (delivered + missed)) * 100,
        orderP99: percentile(orderMs, 99),
        orderFailed: placed.filter((p) => !p.ok).length,
        cpuUsPerMessage: delivered > 0 ? (cpu * 1e6) / delivered : Number.NaN,
        apiCpuPercent: (cpu / (elapsed + 3)) * 100,
      };
    };

    const quiet = await measure('trades', 0);
    for (const channel of CHANNELS) for (const n of SUBSCRIBERS) results.push(await measure(channel, n));

    console.log(
      `\nRealtime fan-out, ${label} (${SECONDS} s per run, ${RATE} trades/s over HTTP, ${CLIENT_PROCESSES} ` +
        `load-client processes, ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()})\n`,
    );
    const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');
    printTable(
      ['channel', 'subscribers', 'p50 ms', 'p99 ms', 'delivered', 'order p99 ms', 'API CPU', 'µs/message'],
      [quiet, ...results].map((r) => [
        r.channel,
        String(r.subscribers),
        f(r.p50),
        f(r.p99),
        `${f(r.delivered, 2)} %`,
        `${f(r.orderP99)}${r.orderFailed ? ` (${r.orderFailed} failed)` : ''}`,
        `${f(r.apiCpuPercent, 0)} %`,
        f(r.cpuUsPerMessage, 2),
      ]),
    );
    console.log(`\norder placement p99 without subscribers: ${f(quiet.orderP99)} ms\n`);
    for (const r of results) {
      console.log(
        `realtime channel=${r.channel} subscribers=${r.subscribers} p50_ms=${f(r.p50)} p99_ms=${f(r.p99)} ` +
          `delivered=${f(r.delivered, 2)}% order_p99_ms=${f(r.orderP99)}`,
      );
    }
    if (results.some((r) => r.orderFailed > 0)) process.exitCode = 1;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    if (DATABASE_URL) await adminQuery(DATABASE_URL, `DROP DATABASE IF EXISTS ${scratchName} WITH (FORCE)`);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
