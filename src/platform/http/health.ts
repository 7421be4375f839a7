import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { JobQueue } from '../jobs/queue.ts';
import { pendingMigrationCount } from '../db/migrate.ts';
import { mayReadMetrics } from '../metrics/access.ts';
import type { Metrics } from '../metrics/metrics.ts';
import { AppError } from './errors.ts';

const Check = Type.Object({ ok: Type.Boolean(), detail: Type.Optional(Type.String()) });
const Readiness = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('fail')]),
  checks: Type.Record(Type.String(), Check),
});

export interface HealthOptions {
  pool: pg.Pool;
  jobs: JobQueue;
  redis: Redis | undefined;
  metrics: Metrics;
  /** Whether this process is expected to run the job queue. */
  expectJobs: boolean;
  /** The bearer token `/metrics` asks for; open when undefined. */
  metricsToken?: string | undefined;
}

async function check(fn: () => Promise<string | undefined>) {
  try {
    const problem = await fn();
    return problem ? { ok: false, detail: problem } : { ok: true };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : 'failed' };
  }
}

/** Liveness, readiness and Prometheus metrics; exempt from rate limiting. */
export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, opts) => {
  app.get(
    '/health/live',
    {
      config: { rateLimit: false, access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'The process is up',
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      config: { rateLimit: false, access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Dependencies are reachable: database and migrations, Redis when configured, job queue',
        response: { 200: Readiness, 503: Readiness },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, { ok: boolean; detail?: string }> = {
        database: await check(async () => {
          await opts.pool.query('SELECT 1');
          return undefined;
        }),
        migrations: await check(async () => {
          const pending = await pendingMigrationCount(opts.pool);
          return pending > 0 ? `${pending} migration(s) not applied` : undefined;
        }),
      };
      if (opts.redis) {
        const redis = opts.redis;
        checks.redis = await check(async () => ((await redis.ping()) === 'PONG' ? undefined : 'no PONG'));
      }
      if (opts.expectJobs) {
        checks.jobs = await check(async () => (opts.jobs.isRunning ? undefined : 'job queue is not running'));
      }
      const ok = Object.values(checks).every((c) => c.ok);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'fail', checks });
    },
  );

  app.get(
    '/metrics',
    {
      config: { rateLimit: false, access: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics',
        description: 'With METRICS_TOKEN configured (always in production), only for `Authorization: Bearer <token>`.',
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text exposition format' }) },
      },
    },
    async (request, reply) => {
      if (!mayReadMetrics(request.headers.authorization, opts.metricsToken)) {
        throw new AppError(
          'metrics_token_required',
          401,
          'Metrics need the configured bearer token',
          {},
          {
            'www-authenticate': 'Bearer realm="metrics"',
          },
        );
      }
      const body = await opts.metrics.registry.metrics();
      return reply.type(opts.metrics.registry.contentType).send(body);
    },
  );
};
