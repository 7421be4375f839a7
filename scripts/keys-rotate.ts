// `npm run keys:rotate`: brings every sealed column under the first key of DATA_ENCRYPTION_KEYS
// and seals values still held in clear. Safe while the service runs on PostgreSQL; running it
// again changes nothing. Exits 1 when a value is under a key that is no longer configured.
import { configOrExit, openScriptDatabase } from './support.ts';
import { keyringOf } from '../src/platform/crypto/envelope.ts';
import { RotationError, rotateSealedColumns } from '../src/platform/crypto/rotation.ts';

const config = configOrExit();
const keyring = keyringOf(config);
if (!config.DATA_ENCRYPTION_KEYS) process.stderr.write('DATA_ENCRYPTION_KEYS is not set: using the development key\n');

const database = await openScriptDatabase(config);
try {
  const results = await rotateSealedColumns(database.pool, keyring);
  for (const r of results) {
    process.stdout.write(`${r.column}: ${r.rotated} rotated, ${r.sealed} sealed, ${r.skipped} changed meanwhile\n`);
  }
  const skipped = results.reduce((n, r) => n + r.skipped, 0);
  process.stdout.write(
    skipped === 0
      ? `every sealed value is under key "${keyring.currentKeyId}"\n`
      : `${skipped} value(s) changed while this ran: run it again to confirm nothing is left\n`,
  );
} catch (err) {
  if (!(err instanceof RotationError)) throw err;
  process.stderr.write(
    `rotation stopped: ${err.message}. Add that key back to DATA_ENCRYPTION_KEYS (after the current one) and run again.\n`,
  );
  process.exitCode = 1;
} finally {
  await database.close();
}
