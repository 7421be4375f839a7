import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { Logger } from 'pino';
import { lockDataDir } from './data-dir-lock.ts';
import type { Db } from './tx.ts';

/** A connected database: a `pg` pool plus the drizzle client over it, whichever backend serves it. */
export interface Database {
  readonly db: Db;
  readonly pool: pg.Pool;
  /** Connection string other `pg` users (the job queue) connect with. */
  readonly url: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; when absent an embedded PGlite database is started. */
  url?: string | undefined;
  /** Directory for embedded data; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  poolSize: number;
  /** Extra connections the embedded server accepts beyond the pool (job queue, migrator). */
  extraConnections?: number;
  logger?: Logger;
}

// Postgres `bigint` (int8) arrives as a JS bigint, never a lossy number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => BigInt(v));

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.url) return connect(opts.url, opts.poolSize, false, async () => {}, opts.logger);
  const embedded = await startEmbedded(opts.dataDir ?? 'memory://', opts.poolSize + (opts.extraConnections ?? 8));
  return connect(embedded.url, opts.poolSize, true, embedded.stop, opts.logger);
}

function connect(
  url: string,
  poolSize: number,
  embedded: boolean,
  stopServer: () => Promise<void>,
  logger?: Logger,
): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000 });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', (err) => logger?.error({ err }, 'idle database client error'));
  const db = drizzle({ client: pool });
  let closed = false;
  return {
    db,
    pool,
    url,
    embedded,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
      await stopServer();
    },
  };
}

/**
 * Starts PGlite (PostgreSQL compiled to WASM) behind an in-process wire-protocol server on a
 * random loopback port, so the application, the migrator and the job queue all use `pg`.
 */
export async function startEmbedded(dataDir: string, maxConnections: number) {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(path.resolve(dataDir), { recursive: true });
  const unlock = inMemory ? async () => {} : await lockDataDir(dataDir);
  let pglite;
  try {
    pglite = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  } catch (err) {
    await unlock();
    throw err;
  }
  const server = new PGLiteSocketServer({
    db: keepBatchesTogether(pglite),
    host: '127.0.0.1',
    port: 0,
    maxConnections,
  });
  await server.start().catch(async (err: unknown) => {
    await pglite.close();
    await unlock();
    throw err;
  });
  const url = `postgres://postgres@${server.getServerConn()}/postgres`;
  return {
    url,
    async stop() {
      await server.stop();
      await pglite.close();
      await unlock();
    },
  };
}

// Frontend message types: Parse, Bind, Describe, Execute, Close and Flush leave an extended-query
// batch open; Sync and a simple Query end it with ReadyForQuery.
const OPENS_BATCH = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const ENDS_BATCH = new Set(['S', 'Q'].map((c) => c.charCodeAt(0)));

/**
 * pglite-socket (0.2.17) queues messages from all connections into one PGlite session and keeps a
 * connection's messages together only inside an SQL transaction. Between a Parse and its Sync
 * another connection's Parse can replace the unnamed statement, so concurrent queries fail with
 * "bind message supplies 1 parameters…" or hang the queue (electric-sql/pglite#1046). Reporting
 * "in transaction" while a batch is open makes the queue keep each batch on its connection.
 */
function keepBatchesTogether<T extends { isInTransaction(): boolean }>(pglite: T): T {
  let batchOpen = false;
  return new Proxy(pglite, {
    get(target, prop) {
      if (prop === 'isInTransaction') return () => batchOpen || target.isInTransaction();
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'execProtocolRawStream') {
        return (message: Uint8Array, ...rest: unknown[]) => {
          const type = message[0] ?? 0;
          if (OPENS_BATCH.has(type)) batchOpen = true;
          else if (ENDS_BATCH.has(type)) batchOpen = false;
          return value.call(target, message, ...rest);
        };
      }
      // The socket server's rollback after a client vanished mid-batch ends that batch too.
      if (prop === 'exec') {
        return (...args: unknown[]) => {
          batchOpen = false;
          return value.apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
}
