// `npm run ledger:check`: reconciles the ledger of the configured database and exits 1 when any
// invariant is broken. Prints the report as JSON (amounts as strings).
import { configOrExit, openScriptDatabase } from './support.ts';
import { reconcile } from '../src/modules/ledger/index.ts';

const config = configOrExit();
const database = await openScriptDatabase(config);
try {
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
