import client from 'prom-client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type pg from 'pg';
import type { Db } from '../db/tx.ts';
import type { JobQueue } from '../jobs/queue.ts';
import { outboxStats } from '../events/outbox.ts';

/** Calls made while one is running get its result instead of starting another. */
function shareInFlight<T>(fn: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () =>
    (running ??= fn().finally(() => {
      running = undefined;
    }));
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
