import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { buildApp } from '../app.ts';
import { createTokenService, resolveSigningSecret } from './auth/tokens.ts';
import { MemoryCache } from './cache/memory.ts';
import { RedisCache } from './cache/redis.ts';
import { openDatabase, type Database } from './db/client.ts';
import { runMigrations } from './db/migrate.ts';
import { runSeeds } from './db/seed.ts';
import { EventRegistry, OutboxDispatcher } from './events/dispatcher.ts';
import { listenForOutboxCommits } from './events/listener.ts';
import { OUTBOX_PURGE_JOB, onEventsCommitted, purgeDelivered } from './events/outbox.ts';
import { JobQueue } from './jobs/queue.ts';
import { createLogger } from './logger.ts';
import { Metrics, serveMetrics } from './metrics/metrics.ts';
import type { ModuleDefinition, PlatformContext } from './module.ts';
import { MemoryHub } from './realtime/memory.ts';
import { RedisHub } from './realtime/redis.ts';
import { privateUserChannel } from './realtime/ws.ts';

export interface RuntimeOptions {
  /** `all`: API and workers in one process; `api`: HTTP only; `worker`: jobs and outbox only. */
  role: 'all' | 'api' | 'worker';
  modules: readonly ModuleDefinition[];
  /** Apply pending migrations at start (always on for the embedded database). */
  migrate?: boolean;
  /** Run module seeds at start (demo ones only when config.SEED_DEMO). */
  seed?: boolean;
  /** Use this database instead of opening one from the config (tests); the runtime won't close it. */
  database?: Database;
  logger?: Logger;
  /** Secret for access tokens when JWT_SECRET is unset (tests share one between instances). */
  signingSecret?: string;
}

export interface Runtime {
  ctx: PlatformContext;
  database: Database;
  app: FastifyInstance | undefined;
  dispatcher: OutboxDispatcher;
  /** Starts serving HTTP (when this role has an API) on config HOST:PORT; returns the address. */
  listen(): Promise<string | undefined>;
  /** Graceful stop: no new requests, in-flight requests and jobs finish, then connections close. */
  stop(): Promise<void>;
}

/** Wires config, adapters and modules into one process of the given role. */
export async function createRuntime(config: Config, opts: RuntimeOptions): Promise<Runtime> {
  const logger = opts.logger ?? createLogger(config);
  const ownsDatabase = !opts.database;
  const database =
    opts.database ??
    (await openDatabase({
      url: config.DATABASE_URL,
      dataDir: path.join(config.DATA_DIR, 'pglite'),
      poolSize: config.DB_POOL_SIZE,
      logger,
    }));
  const cleanup: (() => Promise<unknown>)[] = [];
  if (ownsDatabase) cleanup.push(() => database.close());
  try {
    if (database.embedded || opts.migrate) await runMigrations(database.pool);

    const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { maxRetriesPerRequest: 3 }) : undefined;
    if (redis) cleanup.unshift(async () => redis.disconnect());
    const hubOptions = {
      onError: (err: unknown, channel?: string) => logger.error({ err, channel }, 'realtime hub error'),
    };
    const realtime = config.REDIS_URL ? new RedisHub(config.REDIS_URL, 'rt:', hubOptions) : new MemoryHub(hubOptions);
    cleanup.unshift(() => realtime.close());
    const cache = redis ? new RedisCache(redis) : new MemoryCache();
    const jobs = new JobQueue({ url: database.url, logger });
    const secret = opts.signingSecret ?? (await resolveSigningSecret(config, database.embedded));

    const ctx: PlatformContext = {
      config,
      logger,
      db: database.db,
      pool: database.pool,
      redis,
      cache,
      realtime,
      jobs,
      events: new EventRegistry(),
      tokens: createTokenService(config, secret),
      metrics: new Metrics({ pool: database.pool, db: database.db, jobs }),
      principalChecks: [],
      channelPolicies: [privateUserChannel],
      stateChannels: [],
    };
    for (const mod of opts.modules) await mod.setup?.(ctx);
    ctx.jobs.define(OUTBOX_PURGE_JOB, async () => {
      let purged = 0;
      for (let n = 1; n > 0; purged += n) n = await purgeDelivered(ctx.db, config.OUTBOX_RETENTION_DAYS);
      if (purged > 0) logger.info({ purged }, 'purged delivered outbox events');
    });
    ctx.jobs.every(OUTBOX_PURGE_JOB, 3600);

    if (opts.seed) {
      await runSeeds(
        database.db,
        opts.modules.flatMap((m) => m.seeds ?? []),
        { demo: config.SEED_DEMO, logger },
      );
    }

    const works = opts.role !== 'api' && config.RUN_WORKERS;
    await jobs.start({ work: works });
    cleanup.unshift(() => jobs.stop(config.SHUTDOWN_TIMEOUT_MS));
    const dispatcher = new OutboxDispatcher({
      db: database.db,
      registry: ctx.events,
      logger,
      pollMs: config.OUTBOX_POLL_MS,
      maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
    });
    if (works) {
      dispatcher.start();
      // Delivery starts on commit, not at the next poll: commits of this process directly, other
      // processes' through PostgreSQL NOTIFY (the embedded database has only this process).
      const forget = onEventsCommitted(() => dispatcher.nudge());
      cleanup.unshift(async () => forget());
      if (!database.embedded) {
        const stopListening = listenForOutboxCommits({ url: database.url, logger, onCommit: () => dispatcher.nudge() });
        cleanup.unshift(stopListening);
      }
    }
    cleanup.unshift(() => dispatcher.stop());
    for (const mod of opts.modules) {
      const stop = works ? mod.work?.(ctx) : undefined;
      if (stop) cleanup.unshift(stop);
    }

    const app = opts.role === 'worker' ? undefined : await buildApp({ ctx, modules: opts.modules, runsJobs: works });
    if (app) cleanup.unshift(() => app.close());
    else if (config.METRICS_PORT !== undefined) {
      const server = await serveMetrics(ctx.metrics, config.HOST, config.METRICS_PORT, config.METRICS_TOKEN);
      cleanup.unshift(server.close);
      logger.info({ address: server.address }, 'worker metrics at /metrics');
    }

    let stopping: Promise<void> | undefined;
    return {
      ctx,
      database,
      app,
      dispatcher,
      async listen() {
        if (!app) return undefined;
        return app.listen({ host: config.HOST, port: config.PORT });
      },
      stop() {
        stopping ??= runCleanup(cleanup, logger);
        return stopping;
      },
    };
  } catch (err) {
    await runCleanup(cleanup, logger);
    throw err;
  }
}

async function runCleanup(steps: (() => Promise<unknown>)[], logger: Logger) {
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      logger.error({ err }, 'error during shutdown');
    }
  }
}
