// `npm run db:backup [-- <file>]`: backs up the configured database.
// - PostgreSQL (DATABASE_URL): `pg_dump` in custom format, one consistent snapshot; safe while the
//   service runs. Default file: backups/ece-<time>.dump
// - Embedded (no DATABASE_URL): PGlite's own archive of DATA_DIR/pglite (`dumpDataDir`). The
//   service must be stopped: the data directory's lock refuses while it runs. Default file:
//   backups/ece-<time>.tar.gz
import { spawnSync } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DataDirInUseError, lockDataDir } from '../src/platform/db/data-dir-lock.ts';
import { fail, loadConfigOrExit, pgToolConnection } from './support/cli.ts';

const config = loadConfigOrExit();

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const embedded = !config.DATABASE_URL;
const file = path.resolve(process.argv[2] ?? path.join('backups', `ece-${stamp}.${embedded ? 'tar.gz' : 'dump'}`));
await mkdir(path.dirname(file), { recursive: true });

if (config.DATABASE_URL) {
  // No shell; the password travels in the child's environment, never on its command line.
  const { dbname, env } = pgToolConnection(config.DATABASE_URL);
  const run = spawnSync('pg_dump', ['--format=custom', '--compress=6', `--file=${file}`, `--dbname=${dbname}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  if (run.error) fail(`pg_dump could not run (${run.error.message}); install the PostgreSQL client tools`);
  if (run.status !== 0) fail(`pg_dump failed with exit code ${run.status}`);
} else {
  const dataDir = path.join(config.DATA_DIR, 'pglite');
  if (!(await stat(dataDir).catch(() => undefined))) fail(`No embedded database in ${dataDir}`);
  const unlock = await lockDataDir(dataDir).catch((err: unknown) => {
    if (err instanceof DataDirInUseError)
      fail(`${err.message}\nA backup of the embedded database needs the service stopped.`, 2);
    throw err;
  });
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
    const pglite = await PGlite.create(dataDir, { extensions: { pg_trgm } });
    try {
      const archive = await pglite.dumpDataDir('gzip');
      await writeFile(file, Buffer.from(await archive.arrayBuffer()));
    } finally {
      await pglite.close();
    }
  } finally {
    await unlock();
  }
}
const { size } = await stat(file);
process.stdout.write(`${file}\n`);
process.stderr.write(
  `backup written: ${file} (${size} bytes, ${embedded ? 'embedded data directory' : 'pg_dump custom format'})\n`,
);
