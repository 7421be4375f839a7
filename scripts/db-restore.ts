// `npm run db:restore -- <file> [--clean]`: restores a backup made by `npm run db:backup`.
// - PostgreSQL (DATABASE_URL): `pg_restore` into that database, which must be empty (create it
//   first) unless --clean is given (the dump's objects are dropped first). Owners and grants of the
//   source are not carried over: the connecting role owns what it restores.
// - Embedded (no DATABASE_URL): unpacks the archive into DATA_DIR/pglite, which must be empty
//   unless --clean is given (the old directory is kept beside it). The service must be stopped.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { DataDirInUseError, lockDataDir } from '../src/platform/db/data-dir-lock.ts';
import { fail, loadConfigOrExit, pgToolConnection } from './support/cli.ts';

const config = loadConfigOrExit();

const args = process.argv.slice(2);
const clean = args.includes('--clean');
const fileArg = args.find((a) => !a.startsWith('--'));
if (!fileArg) fail('Usage: npm run db:restore -- <backup file> [--clean]', 2);
const file = path.resolve(fileArg);
if (!(await stat(file).catch(() => undefined))) fail(`No backup file ${file}`, 2);

if (config.DATABASE_URL) {
  if (!clean) {
    const client = new pg.Client({ connectionString: config.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
      );
      if ((rows[0]?.n ?? 0) > 0) {
        fail('The target database already has tables: restore into a new, empty database, or pass --clean.', 2);
      }
    } finally {
      await client.end();
    }
  }
  // No shell; the password travels in the child's environment, never on its command line.
  const { dbname, env } = pgToolConnection(config.DATABASE_URL);
  const run = spawnSync(
    'pg_restore',
    [
      '--no-owner',
      '--no-privileges',
      '--exit-on-error',
      '--single-transaction',
      ...(clean ? ['--clean', '--if-exists'] : []),
      `--dbname=${dbname}`,
      file,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env },
  );
  if (run.error) fail(`pg_restore could not run (${run.error.message}); install the PostgreSQL client tools`);
  if (run.status !== 0) fail(`pg_restore failed with exit code ${run.status}; nothing was restored`);
} else {
  const dataDir = path.resolve(config.DATA_DIR, 'pglite');
  await mkdir(path.dirname(dataDir), { recursive: true });
  const unlock = await lockDataDir(dataDir).catch((err: unknown) => {
    if (err instanceof DataDirInUseError)
      fail(`${err.message}\nA restore of the embedded database needs the service stopped.`, 2);
    throw err;
  });
  try {
    const existing = await readdir(dataDir).catch(() => []);
    if (existing.length > 0) {
      if (!clean) fail(`${dataDir} is not empty: restore into an empty DATA_DIR, or pass --clean.`, 2);
      const kept = `${dataDir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(dataDir, kept);
      process.stderr.write(`previous data directory kept as ${kept}\n`);
    }
    const { PGlite } = await import('@electric-sql/pglite');
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
    const archive = new Blob([await readFile(file)]);
    const pglite = await PGlite.create(dataDir, { extensions: { pg_trgm }, loadDataDir: archive });
    // A query proves the restored directory opens as a database.
    await pglite.query('SELECT 1');
    await pglite.close();
  } finally {
    await unlock();
  }
}
process.stderr.write(
  `restored ${file} into ${config.DATABASE_URL ? 'the PostgreSQL database' : 'the embedded data directory'}\n`,
);
