import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/platform/db/client.ts';
import { runMigrations } from '../../src/platform/db/migrate.ts';

/** Set in CI: suites then run on real PostgreSQL instead of the embedded database. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const REDIS_URL = process.env.REDIS_URL || undefined;
export const onPostgres = Boolean(TEST_DATABASE_URL);

export interface TestDatabase extends Database {
  /** Closes the connections and drops the database. */
  destroy(): Promise<void>;
}

function withDatabase(url: string, name: string) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * A fresh, migrated database for one test file: a new database on the PostgreSQL server when
 * TEST_DATABASE_URL is set, otherwise a new in-memory PGlite. Files never share data, so they
 * run in parallel.
 */
export async function createTestDatabase(opts: { poolSize?: number; migrate?: boolean } = {}): Promise<TestDatabase> {
  const poolSize = opts.poolSize ?? 10;
  let database: Database;
  let drop = async () => {};
  if (TEST_DATABASE_URL) {
    const name = `t_${randomBytes(8).toString('hex')}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    database = await openDatabase({ url: withDatabase(TEST_DATABASE_URL, name), poolSize });
    drop = async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  } else {
    database = await openDatabase({ dataDir: 'memory://', poolSize });
  }
  if (opts.migrate !== false) await runMigrations(database.pool);
  return {
    ...database,
    async destroy() {
      await database.close();
      await drop();
    },
  };
}
