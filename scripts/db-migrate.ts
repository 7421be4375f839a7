// Applies pending migrations to DATABASE_URL (or the embedded database in DATA_DIR).
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/client.ts';
import { runMigrations } from '../src/platform/db/migrate.ts';

const config = loadConfig();
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: path.join(config.DATA_DIR, 'pglite'),
  poolSize: 2,
});
try {
  await runMigrations(database.pool);
  process.stdout.write('migrations applied\n');
} finally {
  await database.close();
}
