// Creates an admin account, or promotes the account with this email to admin. Flags only, so it
// runs in CI and scripts:
//   npm run admin:create -- --email ada@example.com --username ada --password 'a long passphrase'
// The password may come from ADMIN_PASSWORD instead, which keeps it out of shell history.
// With the embedded database, stop the server first: one process at a time may open ./data.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/platform/db/client.ts';
import { runMigrations } from '../src/platform/db/migrate.ts';
import { AppError } from '../src/platform/http/errors.ts';
import { createOrPromoteAdmin, PasswordHasher } from '../src/modules/identity/index.ts';

const { values } = parseArgs({
  options: {
    email: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
  },
  strict: true,
});

if (!values.email) {
  process.stderr.write('usage: npm run admin:create -- --email <email> [--username <name> --password <password>]\n');
  process.exit(2);
}

const config = loadConfig();
const database = await openDatabase({
  url: config.DATABASE_URL,
  dataDir: path.join(config.DATA_DIR, 'pglite'),
  poolSize: 2,
});
try {
  if (database.embedded) await runMigrations(database.pool);
  const outcome = await createOrPromoteAdmin(database.db, new PasswordHasher(config), {
    email: values.email,
    username: values.username,
    password: values.password ?? process.env.ADMIN_PASSWORD,
  });
  const said = { created: 'created admin', promoted: 'promoted to admin', unchanged: 'already an admin' };
  process.stdout.write(`${said[outcome]}: ${values.email.trim().toLowerCase()}\n`);
} catch (err) {
  const detail = err instanceof AppError || err instanceof Error ? err.message : String(err);
  process.stderr.write(`admin:create failed: ${detail}\n`);
  process.exitCode = 1;
} finally {
  await database.close();
}
