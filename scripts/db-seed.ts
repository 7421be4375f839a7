// Runs every module's seeds that have not run yet (demo data unless SEED_DEMO=false or production).
import path from 'node:path';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/client.ts';
import { runMigrations } from '../src/platform/db/migrate.ts';
import { runSeeds } from '../src/platform/db/seed.ts';
import { modules } from '../src/modules/index.ts';

const config = loadConfig();
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: path.join(config.DATA_DIR, 'pglite'),
  poolSize: 2,
});
try {
  if (database.embedded) await runMigrations(database.pool);
  const applied = await runSeeds(
    database.db,
    modules.flatMap((m) => m.seeds ?? []),
    { demo: config.SEED_DEMO },
  );
  process.stdout.write(applied.length ? `seeds applied: ${applied.join(', ')}\n` : 'nothing to seed\n');
} finally {
  await database.close();
}
