import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_SIGNING_SECRET, createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { REDIS_URL, createTestDatabase, onPostgres, type TestDatabase } from '../../../test/helpers/db.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { reconcile } from './reconcile.ts';
import { coins, fund } from '../../../test/support/ledger.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** The real server, as `npm start` runs it, in its own process on the test's database. */
function startServer(databaseUrl: string, port: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    stdio: 'ignore',
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      JWT_SECRET: TEST_SIGNING_SECRET,
      SEED_DEMO: 'false',
      RATE_LIMIT_MAX: '1000000',
      LEDGER_DAILY_TRANSFER_LIMIT: '1000000000',
      ...(REDIS_URL ? { REDIS_URL } : {}),
    },
  });
}

async function waitUntilLive(base: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await fetch(`${base}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

interface Sent {
  key: string;
  from: CreatedTestUser;
  to: CreatedTestUser;
  amount: number;
  /** The transfer id when the server acknowledged with 2xx; undefined when the outcome is unknown. */
  transferId?: string;
  status?: number;
}

function transfer(base: string, s: Sent) {
  return fetch(`${base}/api/wallet/transfer`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.from.token}`, 'content-type': 'application/json', 'idempotency-key': s.key },
    body: JSON.stringify({ to: s.to.id, amount: s.amount }),
  });
}

describe.skipIf(!onPostgres)('a server killed in the middle of a transfer load', () => {
  let database: TestDatabase | undefined;
  let helper: TestApp | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    child?.kill('SIGKILL');
    await helper?.close();
    await database?.destroy();
  });

  it('loses no acknowledged transfer and half-writes nothing', async () => {
    database = await createTestDatabase();
    // An in-process app on the same database creates the users (with sessions) and reads the books.
    helper = await createTestApp({ database, env: { RUN_WORKERS: 'false' } });
    const db = helper.runtime.ctx.db;
    const users = await Promise.all(Array.from({ length: 6 }, () => createTestUser(helper as TestApp)));
    const admin = await createTestUser(helper, { role: 'admin' });
    for (const u of users) await fund(db, u.id, 1_000_000n);

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = startServer(database.url, port);
    await waitUntilLive(base, child);

    const sent: Sent[] = [];
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; !stop; i += 1) {
        const from = users[(w + i) % users.length] as CreatedTestUser;
        const to = users[(w + 2 * i + 1) % users.length] as CreatedTestUser;
        if (from === to) continue;
        const s: Sent = { key: `w${w}-${i}`, from, to, amount: 1 + ((w * 31 + i) % 97) };
        sent.push(s);
        try {
          const res = await transfer(base, s);
          s.status = res.status;
          const body = (await res.json()) as { id?: string };
          if (res.ok) s.transferId = body.id;
        } catch {
          // Connection cut by the kill: the outcome is unknown until the retry below.
        }
      }
    };
    const load = Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
    // Kill once the load is well under way, whatever the machine's speed.
    while (sent.filter((s) => s.transferId).length < 300) {
      if (sent.some((s) => s.status !== undefined && s.status !== 201)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    stop = true;
    await load;
    await exited;

    const acknowledged = sent.filter((s) => s.transferId);
    const unknown = sent.filter((s) => s.status === undefined);
    // Requests were in flight when the process died.
    expect(unknown.length).toBeGreaterThan(0);
    expect(sent.every((s) => s.status === undefined || s.status === 201)).toBe(true);

    // Every acknowledged transfer is in the books exactly as acknowledged.
    const rows = await db.execute<{
      id: string;
      status: string;
      from_account: string;
      to_account: string;
      amount: bigint;
    }>(sql`
      SELECT t.id, t.status, l.from_account, l.to_account, l.amount
      FROM ledger_transfers t JOIN ledger_transfer_legs l ON l.transfer_id = t.id
      WHERE t.kind = 'wallet.transfer'`);
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    for (const s of acknowledged) {
      expect(byId.get(s.transferId as string)).toMatchObject({
        status: 'posted',
        from_account: s.from.id,
        to_account: s.to.id,
        amount: BigInt(s.amount),
      });
    }
    expect((await reconcile(db)).violations).toEqual([]);

    // Restarted, the server reconciles clean, and retrying every unanswered request with its key
    // applies each one exactly once.
    child = startServer(database.url, port);
    await waitUntilLive(base, child);
    const report = await fetch(`${base}/api/admin/ledger/reconcile`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(await report.json()).toMatchObject({ ok: true });
    for (const s of unknown) {
      const res = await transfer(base, s);
      expect(res.status).toBe(201);
      s.transferId = ((await res.json()) as { id: string }).id;
    }
    const count = await db.execute<{ n: number; audited: number }>(sql`
      SELECT (SELECT count(*) FROM ledger_transfers WHERE kind = 'wallet.transfer')::int AS n,
             (SELECT count(*) FROM platform_audit_log WHERE action = 'wallet.transfer')::int AS audited`);
    expect(count.rows[0]).toEqual({ n: sent.length, audited: sent.length });
    expect(new Set(sent.map((s) => s.transferId)).size).toBe(sent.length);
    let total = 0n;
    for (const u of users) total += (await coins(db, u.id)).total;
    expect(total).toBe(6_000_000n);
    expect((await reconcile(db)).violations).toEqual([]);
  }, 180_000);
});
