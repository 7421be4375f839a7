import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/client.ts';
import { runMigrations } from '../../src/platform/db/migrate.ts';
import type { Db } from '../../src/platform/db/tx.ts';
import { createTestApp } from '../helpers/app.ts';
import { TEST_DATABASE_URL, createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV } from '../helpers/http.ts';
import { createTestUser } from '../helpers/users.ts';
import { auth, createVariant, giveCards, grantCoins } from '../support/market.ts';

// The restore drill: data in, `npm run db:backup`, `npm run db:restore` into a fresh database,
// `npm run ledger:check` clean, and every table's row count and every balance the same.

const root = path.resolve(import.meta.dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');
const run = promisify(execFile);
const scratch: string[] = [];

afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

async function tempDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ece-backup-'));
  scratch.push(dir);
  return dir;
}

/** Runs one of the npm scripts' files with the given database settings; never throws. */
async function script(file: string, args: string[], env: { DATA_DIR?: string; DATABASE_URL?: string }) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env };
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
  try {
    const r = await run(tsx, [path.join(root, 'scripts', file), ...args], { cwd: root, env: childEnv });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every table's row count and every ledger balance: what a restore must give back unchanged. */
async function contents(db: Db) {
  const tables = await db.execute<{ name: string }>(sql`
    SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name FROM pg_tables
    WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`);
  const counts: Record<string, number> = {};
  for (const { name } of tables.rows) {
    const r = await db.execute<{ n: number }>(sql.raw(`SELECT count(*)::int AS n FROM ${name}`));
    counts[name] = r.rows[0]?.n ?? -1;
  }
  const balances = await db.execute<{ account: string; asset: string; available: string; held: string }>(sql`
    SELECT account_id::text AS account, asset, available::text AS available, held::text AS held
    FROM ledger_balances ORDER BY 1, 2`);
  return { counts, balances: balances.rows };
}

/** A small but complete world through the API: users, coins, cards, a transfer, orders and fills. */
async function loadFixture(database: TestDatabase) {
  const t = await createTestApp({ database, env: { ...QUIET_ENV, LOG_LEVEL: 'error' } });
  try {
    const db = t.runtime.ctx.db;
    const [admin, alice, bob] = [
      await createTestUser(t, { role: 'admin' }),
      await createTestUser(t),
      await createTestUser(t),
    ];
    const { cardId } = await createVariant(t, admin, 'BKP');
    const { variantId } = await giveCards(db, alice.id, cardId, 20n);
    await grantCoins(db, bob.id, 50_000n);
    const send = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/transfer',
      headers: auth(bob),
      payload: { to: alice.username, amount: 777 },
    });
    expectStatus(send, 201);
    for (const [user, side, price] of [
      [alice, 'sell', 100],
      [bob, 'buy', 110],
      [alice, 'sell', 105],
      [bob, 'buy', 90],
    ] as const) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/market/orders',
        headers: auth(user),
        payload: { cardId: variantId, side, type: 'limit', timeInForce: 'GTC', quantity: 2, price },
      });
      expectStatus(res, 201);
    }
    const before = await contents(db);
    expect(before.counts['public.market_trades']).toBeGreaterThan(0);
    expect(before.counts['public.ledger_entries']).toBeGreaterThan(0);
    return { t, before };
  } catch (err) {
    await t.close();
    throw err;
  }
}

function expectLedgerClean(check: { code: number; stdout: string; stderr: string }) {
  expect(check.code, check.stderr).toBe(0);
  expect(JSON.parse(check.stdout)).toMatchObject({ ok: true });
}

describe('backup and restore of the embedded database', () => {
  it('restores into a fresh data directory with the same rows and balances, and refuses while the service runs', async () => {
    const source = await tempDir();
    const target = await tempDir();
    const archive = path.join(await tempDir(), 'ece.tar.gz');
    const opened = await openDatabase({ dataDir: path.join(source, 'pglite'), poolSize: 4 });
    await runMigrations(opened.pool);
    const { t, before } = await loadFixture({ ...opened, destroy: () => opened.close() });

    const refused = await script('db-backup.ts', [archive], { DATA_DIR: source });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('needs the service stopped');
    await t.close();
    await opened.close();

    const backup = await script('db-backup.ts', [archive], { DATA_DIR: source });
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stdout.trim()).toBe(archive);
    const restore = await script('db-restore.ts', [archive], { DATA_DIR: target });
    expect(restore.code, restore.stderr).toBe(0);
    expectLedgerClean(await script('ledger-check.ts', [], { DATA_DIR: target }));

    const restored = await openDatabase({ dataDir: path.join(target, 'pglite'), poolSize: 2 });
    try {
      expect(await contents(restored.db)).toEqual(before);
    } finally {
      await restored.close();
    }
    // A second restore over the restored directory needs --clean.
    const again = await script('db-restore.ts', [archive], { DATA_DIR: target });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('not empty');
  }, 300_000);
});

describe.skipIf(!TEST_DATABASE_URL)('backup and restore on PostgreSQL', () => {
  it('restores a pg_dump into a new database with the same rows and balances', async () => {
    const source = await createTestDatabase();
    const name = `t_restore_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const url = new URL(TEST_DATABASE_URL as string);
    url.pathname = `/${name}`;
    try {
      const { t, before } = await loadFixture(source);
      await t.close();
      const dump = path.join(await tempDir(), 'ece.dump');
      const backup = await script('db-backup.ts', [dump], { DATABASE_URL: source.url });
      expect(backup.code, backup.stderr).toBe(0);

      await admin.query(`CREATE DATABASE ${name}`);
      const restore = await script('db-restore.ts', [dump], { DATABASE_URL: url.toString() });
      expect(restore.code, restore.stderr).toBe(0);
      expectLedgerClean(await script('ledger-check.ts', [], { DATABASE_URL: url.toString() }));
      const restored = await openDatabase({ url: url.toString(), poolSize: 2 });
      try {
        expect(await contents(restored.db)).toEqual(before);
      } finally {
        await restored.close();
      }
      const again = await script('db-restore.ts', [dump], { DATABASE_URL: url.toString() });
      expect(again.code).toBe(2);
      expect(again.stderr).toContain('already has tables');
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await source.destroy();
    }
  }, 300_000);
});
