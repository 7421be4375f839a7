import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { fund } from '../../../test/support/ledger.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
const auth = (u: CreatedTestUser) => ({ authorization: `Bearer ${u.token}` });

beforeAll(async () => {
  t = await createTestApp({ env: { RUN_WORKERS: 'false', RATE_LIMIT_MAX: '10000' } });
  [admin, alice, bob] = await Promise.all([createTestUser(t, { role: 'admin' }), createTestUser(t), createTestUser(t)]);
  await fund(t.runtime.ctx.db, alice.id, 1000n);
});

afterAll(async () => {
  await t?.close();
});

const reconcileAs = (u: CreatedTestUser) => t.app.inject({ url: '/api/admin/ledger/reconcile', headers: auth(u) });

function ledgerCheck(databaseUrl: string) {
  return promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/ledger-check.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'test', LOG_LEVEL: 'silent' },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
  );
}

describe('audit', () => {
  it('records every value movement with actor, amount, address, user agent and request id', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/wallet/transfer',
      headers: { ...auth(alice), 'user-agent': 'cards-app/1.0', 'x-request-id': 'req-audit-1' },
      payload: { to: bob.username, amount: 25 },
    });
    expect(res.statusCode).toBe(201);
    const page = await t.app.inject({
      url: `/api/admin/audit?actor=${alice.id}&action=wallet.transfer&targetType=transfer&target=${res.json().id}`,
      headers: auth(admin),
    });
    expect(page.statusCode).toBe(200);
    expect(page.json().items).toEqual([
      expect.objectContaining({
        actorType: 'user',
        actorId: alice.id,
        action: 'wallet.transfer',
        targetId: res.json().id,
        asset: 'COIN',
        amount: 25,
        ip: '127.0.0.1',
        userAgent: 'cards-app/1.0',
        requestId: 'req-audit-1',
      }),
    ]);
  });

  it('pages, filters by time, and audits its own readers', async () => {
    const first = await t.app.inject({ url: '/api/admin/audit?limit=1', headers: auth(admin) });
    expect(first.json().items).toHaveLength(1);
    const next = await t.app.inject({
      url: `/api/admin/audit?limit=1&cursor=${first.json().nextCursor}`,
      headers: auth(admin),
    });
    expect(BigInt(next.json().items[0].id)).toBeLessThan(BigInt(first.json().items[0].id));
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await t.app.inject({ url: `/api/admin/audit?from=${future}`, headers: auth(admin) })).json().items).toEqual(
      [],
    );
    const reads = await t.app.inject({
      url: `/api/admin/audit?action=admin.audit.read&actor=${admin.id}`,
      headers: auth(admin),
    });
    expect(reads.json().items.length).toBeGreaterThanOrEqual(3);
  });

  it('is for auditors only', async () => {
    expect((await t.app.inject({ url: '/api/admin/audit', headers: auth(alice) })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/admin/audit' })).statusCode).toBe(401);
  });
});

describe('GET /api/admin/ledger/reconcile', () => {
  it('is for auditors only', async () => {
    expect((await reconcileAs(alice)).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/admin/ledger/reconcile' })).statusCode).toBe(401);
  });

  it.skipIf(!onPostgres)('is what npm run ledger:check reports', async () => {
    const run = await ledgerCheck(t.database.url);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
  });

  // Last: it breaks the books of this file's database on purpose.
  it('finds a balance changed behind the ledger, and the gauge shows it', async () => {
    const healthy = await reconcileAs(admin);
    expect(healthy.json()).toMatchObject({ ok: true, violations: [] });
    await t.runtime.ctx.db.execute(
      sql`UPDATE ledger_balances SET available = available + 5 WHERE account_id = ${bob.id}`,
    );
    const report = (await reconcileAs(admin)).json();
    expect(report.ok).toBe(false);
    expect(report.counts).toMatchObject({ asset_not_zero: 1, balance_vs_entries: 1 });
    expect(report.violations).toContainEqual(
      expect.objectContaining({ check: 'balance_vs_entries', accountId: bob.id, asset: 'COIN' }),
    );
    const metrics = await t.app.inject({ url: '/metrics' });
    expect(metrics.body).toMatch(/ledger_reconciliation_violations\{check="balance_vs_entries"\} 1/);
    expect(metrics.body).toMatch(/ledger_reconciliation_violations\{check="negative_balance"\} 0/);
    if (onPostgres) expect((await ledgerCheck(t.database.url)).code).toBe(1);
  });
});
