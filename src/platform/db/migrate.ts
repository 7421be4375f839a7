import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';

export const MIGRATIONS_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

// Any constant shared by every process: it serialises migrators across API and worker processes.
const MIGRATION_LOCK = 727_274_001;

/** Applies every pending migration under `drizzle/`, one process at a time. */
export async function runMigrations(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await migrate(drizzle({ client }), { migrationsFolder: MIGRATIONS_FOLDER });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Migrations shipped with this build that the database has not applied yet (0 when current). */
export async function pendingMigrationCount(pool: pg.Pool): Promise<number> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as {
    entries: unknown[];
  };
  const applied = await pool
    .query<{ n: number }>('SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations')
    .then((r) => r.rows[0]?.n ?? 0)
    // A database that never ran a migration has no journal table yet; any other failure is real.
    .catch((err: unknown) => {
      if ((err as { code?: string }).code === '42P01' || (err as { code?: string }).code === '3F000') return 0;
      throw err;
    });
  return Math.max(0, journal.entries.length - applied);
}
