import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type pg from 'pg';
import type { Config } from '../config.ts';
import type { TokenService } from './auth/tokens.ts';
import type { Cache } from './cache/cache.ts';
import type { Db } from './db/tx.ts';
import type { Seeder } from './db/seed.ts';
import type { EventRegistry } from './events/dispatcher.ts';
import type { PrincipalCheck } from './http/auth.ts';
import type { JobQueue } from './jobs/queue.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { RealtimeHub } from './realtime/hub.ts';
import type { ChannelPolicy } from './realtime/ws.ts';

/** Everything a module may use: explicit dependencies, no global singletons. */
export interface PlatformContext {
  config: Config;
  logger: Logger;
  db: Db;
  pool: pg.Pool;
  redis: Redis | undefined;
  cache: Cache;
  realtime: RealtimeHub;
  jobs: JobQueue;
  events: EventRegistry;
  tokens: TokenService;
  metrics: Metrics;
  /** Run after a token verifies on every request (session revocation, bans). */
  principalChecks: PrincipalCheck[];
  /** Who may subscribe to which realtime channel. */
  channelPolicies: ChannelPolicy[];
  /**
   * Realtime channels that carry a state (a book's depth, a ticker): published with `publishState`,
   * served as a snapshot on subscribe and then numbered, conflated deltas.
   */
  stateChannels: ((channel: string) => boolean)[];
}

/** A business capability: its routes, start-up wiring and seed data. */
export interface ModuleDefinition {
  name: string;
  /** Registers event handlers, jobs, channel policies and principal checks; runs once at start. */
  setup?(ctx: PlatformContext): void | Promise<void>;
  /**
   * Starts the module's long-running work (poll loops) in processes that run workers; returns how
   * to stop it, which shutdown awaits before connections close.
   */
  work?(ctx: PlatformContext): () => Promise<void>;
  routes?: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }>;
  seeds?: Seeder[];
}
