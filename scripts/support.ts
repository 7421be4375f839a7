// What the command-line scripts share: the configuration, or exit 2 naming what is wrong; and the
// configured database, migrated when it is the embedded one.
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/client.ts';
import { DataDirInUseError } from '../src/platform/db/data-dir-lock.ts';
import { runMigrations } from '../src/platform/db/migrate.ts';

export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * The configured database. On PostgreSQL a script runs beside the service; the embedded database
 * belongs to one process, so with the service running its lock refuses the script (exit 2). A brand
 * new embedded database gets its tables first.
 */
export async function openScriptDatabase(config: Config) {
  const database = await openDatabase({
    url: config.DATABASE_URL,
    dataDir: path.join(config.DATA_DIR, 'pglite'),
    poolSize: 2,
  }).catch((err: unknown) => {
    if (!(err instanceof DataDirInUseError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  });
  if (database.embedded) await runMigrations(database.pool);
  return database;
}
