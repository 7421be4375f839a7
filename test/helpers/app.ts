import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config.ts';
import type { ModuleDefinition } from '../../src/platform/module.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/platform/runtime.ts';
import { REDIS_URL, createTestDatabase, type TestDatabase } from './db.ts';

export const TEST_SIGNING_SECRET = 'test-signing-secret-that-is-long-enough-0123456789';

/** Test config: quiet, fast polling, Redis when REDIS_URL is set; `env` overrides anything. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    OUTBOX_POLL_MS: '50',
    JWT_SECRET: TEST_SIGNING_SECRET,
    SEED_DEMO: 'false',
    // Every injected request comes from 127.0.0.1; with Redis all test files would share one budget.
    RATE_LIMIT_MAX: '1000000',
    ...(REDIS_URL ? { REDIS_URL } : {}),
    ...env,
  });
}

export interface TestApp {
  app: FastifyInstance;
  runtime: Runtime;
  database: TestDatabase;
  config: Config;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  modules?: readonly ModuleDefinition[];
  role?: RuntimeOptions['role'];
  /** Share a database between several app instances (multi-process scenarios). */
  database?: TestDatabase;
  logger?: pino.Logger;
  seed?: boolean;
}

/**
 * A full application on its own database (unless one is passed), ready for `app.inject`.
 * Modules default to the product's own list.
 */
export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const config = testConfig(opts.env);
  const ownsDatabase = !opts.database;
  const database = opts.database ?? (await createTestDatabase());
  const { modules } = await import('../../src/modules/index.ts');
  const runtime = await createRuntime(config, {
    role: opts.role ?? 'all',
    modules: opts.modules ?? modules,
    database,
    logger: opts.logger ?? pino({ level: 'silent' }),
    signingSecret: TEST_SIGNING_SECRET,
    seed: opts.seed ?? false,
  });
  const app = runtime.app;
  if (!app) throw new Error('createTestApp needs a role with an API');
  await app.ready();
  return {
    app,
    runtime,
    database,
    config,
    async close() {
      await runtime.stop();
      if (ownsDatabase) await database.destroy();
    },
  };
}
