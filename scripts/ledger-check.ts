// `npm run ledger:check`: reconciles the ledger of the configured database and exits 1 when any
// invariant is broken. Prints the report as JSON (amounts as strings).
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/client.ts';
import { DataDirInUseError } from '../src/platform/db/data-dir-lock.ts';
import { runMigrations } from '../src/platform/db/migrate.ts';
import { reconcile } from '../src/modules/ledger/index.ts';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

// On PostgreSQL the check reads one consistent snapshot and is safe while the service runs. The
// embedded database belongs to one process: with the service running, its lock refuses the check.
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: path.join(config.DATA_DIR, 'pglite'),
  poolSize: 2,
}).catch((err: unknown) => {
  if (!(err instanceof DataDirInUseError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
});
try {
  // The embedded database may be brand new: give it its tables before checking them.
  if (database.embedded) await runMigrations(database.pool);
  const report = await reconcile(database.db);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(
    report.ok
      ? `ledger balanced: ${report.size.transfers} transfers, ${report.size.entries} entries, ${report.size.balances} balances\n`
      : `ledger OUT OF BALANCE: ${report.violations.length} violation(s)\n`,
  );
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await database.close();
}
