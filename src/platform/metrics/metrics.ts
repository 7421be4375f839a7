import { createServer } from 'node:http';
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import type { Db } from '../db/tx.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { outboxStats } from '../events/outbox.ts';
import { mayReadMetrics } from './access.ts';

/** Calls made while one is running get its result instead of starting another. */
function shareInFlight<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () =>
    (running ??= fn().finally(() => {
      running = undefined;
    }));
}

/**
 * Business counters. They live once per process (services count through them without being handed
 * a registry) and every application instance's registry exposes them; tests compare values before
 * and after an action. Services count after their transaction commits (`afterCommit`).
 */
export const business = {
  orders: new client.Counter({
    name: 'market_orders_total',
    help: 'Exchange orders accepted, by side and type',
    labelNames: ['side', 'type'] as const,
    registers: [],
  }),
  fills: new client.Counter({ name: 'market_fills_total', help: 'Exchange fills (trades) settled', registers: [] }),
  tradedQuantity: new client.Counter({
    name: 'market_traded_quantity_total',
    help: 'Cards changing hands on the exchange',
    registers: [],
  }),
  tradedValue: new client.Counter({
    name: 'market_traded_value_minor_units_total',
    help: 'Exchange volume: price times quantity of every fill, in coin minor units',
    registers: [],
  }),
  transfers: new client.Counter({
    name: 'wallet_transfers_total',
    help: 'Coin transfers between users',
    registers: [],
  }),
  transferredValue: new client.Counter({
    name: 'wallet_transferred_minor_units_total',
    help: 'Coins sent between users, in minor units',
    registers: [],
  }),
  deposits: new client.Counter({
    name: 'payments_deposits_total',
    help: 'Deposits settled by the payment provider, by result',
    labelNames: ['result'] as const,
    registers: [],
  }),
  depositedValue: new client.Counter({
    name: 'payments_deposited_minor_units_total',
    help: 'Coins credited by successful deposits, in minor units',
    registers: [],
  }),
  webhooks: new client.Counter({
    name: 'payment_webhooks_total',
    help: 'Payment provider callbacks, by provider and outcome (applied, duplicate, ignored, rejected, error)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [],
  }),
  packOpenings: new client.Counter({
    name: 'card_pack_openings_total',
    help: 'Card packs opened',
    registers: [],
  }),
  fraudFlags: new client.Counter({
    name: 'fraud_flags_total',
    help: 'Fraud flags raised, by rule and severity',
    labelNames: ['rule', 'severity'] as const,
    registers: [],
  }),
  botTicks: new client.Counter({
    name: 'bot_ticks_total',
    help: 'Scheduled bot ticks, by outcome (ran, failed, paused, not_due, taken, retry)',
    labelNames: ['outcome'] as const,
    registers: [],
  }),
  botScheduleLag: new client.Histogram({
    name: 'bot_schedule_lag_seconds',
    help: 'How late a due bot tick was claimed, after its scheduled time',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [],
  }),
  realtimeConnections: new client.Gauge({
    name: 'realtime_connections',
    help: 'Open websocket connections on this process',
    registers: [],
  }),
} as const;

/** Adds a count to a business counter (numbers above 2^53 lose precision, which is fine for rates). */
export function countValue(counter: client.Counter, amount: bigint): void {
  if (amount > 0n) counter.inc(Number(amount));
}

/** One registry per application instance, so several instances can live in one process (tests). */
export class Metrics {
  readonly registry = new client.Registry();
  readonly httpDuration: client.Histogram<'method' | 'route' | 'status_code'>;
  readonly inFlight: client.Gauge;

  constructor(sources: { pool: pg.Pool; db: Db; jobs: JobQueue }) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 });
    this.httpDuration = new client.Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route, method and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.inFlight = new client.Gauge({ name: 'http_requests_in_flight', help: 'Requests being served', registers });
    for (const metric of Object.values(business)) this.registry.registerMetric(metric);
    new client.Gauge({
      name: 'db_pool_max_connections',
      help: 'Connections the database pool may open',
      registers,
    }).set(sources.pool.options.max ?? 10);
    new client.Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'in_use' }, sources.pool.totalCount - sources.pool.idleCount);
        this.set({ state: 'idle' }, sources.pool.idleCount);
        this.set({ state: 'waiting' }, sources.pool.waitingCount);
      },
    });
    // Each pair of gauges below comes from one query. prom-client collects a scrape's metrics
    // concurrently, so both collectors of a pair share the query in flight; filling one gauge from
    // the other's collector would publish the previous scrape's value.
    const queueStats = shareInFlight(() => sources.jobs.stats(sources.db).catch(() => []));
    new client.Gauge({
      name: 'job_queue_depth',
      help: 'Jobs ready to run, by queue',
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const s of await queueStats()) this.set({ queue: s.name }, s.ready);
      },
    });
    new client.Gauge({
      name: 'job_queue_oldest_age_seconds',
      help: 'Age of the oldest ready job, by queue (job lag)',
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const s of await queueStats()) this.set({ queue: s.name }, s.oldestAgeSeconds);
      },
    });
    const outbox = shareInFlight(() => outboxStats(sources.db).catch(() => undefined));
    new client.Gauge({
      name: 'outbox_events_parked',
      help: 'Events parked after failing',
      registers,
      async collect() {
        const s = await outbox();
        if (s) this.set(s.parked);
      },
    });
    new client.Gauge({
      name: 'outbox_events_pending',
      help: 'Committed events not yet delivered',
      registers,
      async collect() {
        const s = await outbox();
        if (s) this.set(s.pending);
      },
    });
  }
}

/**
 * A bare `/metrics` endpoint for processes without the HTTP API (workers), so Prometheus scrapes
 * them too. Returns its address and how to close it.
 */
export async function serveMetrics(
  metrics: Metrics,
  host: string,
  port: number,
  token?: string,
): Promise<{ address: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (!mayReadMetrics(req.headers.authorization, token)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="metrics"' }).end();
      return;
    }
    metrics.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const address = typeof bound === 'object' && bound ? `http://${host}:${bound.port}` : String(bound);
  return {
    address,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Times every request by its route pattern (never the raw URL, which would explode the labels). */
export const metricsPlugin = fp<{ metrics: Metrics }>(
  async (app: FastifyInstance, { metrics }) => {
    const started = new WeakMap<object, bigint>();
    app.addHook('onRequest', async (request) => {
      started.set(request, process.hrtime.bigint());
      metrics.inFlight.inc();
    });
    app.addHook('onResponse', async (request, reply) => {
      metrics.inFlight.dec();
      const t0 = started.get(request);
      if (t0 === undefined) return;
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      metrics.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
        seconds,
      );
    });
  },
  { name: 'platform-metrics' },
);
