/**
 * Ledger throughput on PostgreSQL: transfers per second through `POST /api/wallet/transfer`
 * (a) between many distinct pairs of accounts and (b) out of one hot account, beside `pgbench`
 * running the same SQL statements a transfer executes (the database's own limit on this machine
 * for that work). The server runs as `npm start` would, in its own process; the load generator
 * runs here.
 *
 *   npm run bench:ledger                         # 10 s per measurement
 *   BENCH_SECONDS=3 TEST_DATABASE_URL=postgres://… npm run bench:ledger
 *
 * A scratch database is created on the server and dropped afterwards.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { COIN, SYSTEM_ACCOUNTS, ensureWallets, reconcile, transfer } from '../src/modules/ledger/index.ts';
import { modules } from '../src/modules/index.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv, startServerProcess } from './support/server.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const USERS = 200;
const HTTP_CONNECTIONS = 32;
const DB_CONNECTIONS = 16;
const serverEnv = (databaseUrl: string, port: number) =>
  benchServerEnv(databaseUrl, port, DB_CONNECTIONS, { LEDGER_DAILY_TRANSFER_LIMIT: String(Number.MAX_SAFE_INTEGER) });
const run = promisify(execFile);

/**
 * The statements one `POST /api/wallet/transfer` with an Idempotency-Key runs (see
 * runIdempotent, wallet-service sendCoins and the ledger repo), in the same order and shape;
 * values the server computes in code (balances after, hashes, the stored response) are stand-ins
 * of the same size. The first SELECT only maps pgbench's numbers to the bench users' ids.
 */
const PGBENCH_SCRIPT = `
\\set a random(1, :users)
\\if :hot
\\set a 1
\\endif
\\set off random(1, :users - 1)
\\set b ((:a - 1 + :off) % :users) + 1
\\set amt random(1, 9)
\\set k random(1, 9000000000000000000)
SELECT f.id AS src, t.id AS dst FROM bench_users f, bench_users t WHERE f.n = :a AND t.n = :b \\gset
BEGIN;
SELECT pg_try_advisory_xact_lock(hashtextextended(gen_random_uuid()::text, 0)) AS ok,
       k.request_hash, k.status_code, k.content_type, k.body
  FROM (SELECT 1) AS one
  LEFT JOIN platform_idempotency_keys k ON k.scope = :src::text || ' POST /api/wallet/transfer' AND k.key = 'bench-' || :k::text;
SELECT id, username, status, email_verified_at FROM identity_users WHERE id = :dst::uuid;
INSERT INTO platform_outbox_events (id, type, aggregate_type, aggregate_id, payload)
  VALUES (gen_random_uuid(), 'wallet.transfer_received', 'user', :dst::text,
          jsonb_build_object('userId', :dst::text, 'fromUserId', :src::text, 'transferId', gen_random_uuid()::text,
            'asset', 'COIN', 'amount', :amt::text, 'memo', NULL));
SELECT account_id, asset, available, held, may_go_negative FROM ledger_balances
  WHERE (account_id, asset) IN ((:src::uuid, 'COIN'::text), (:dst::uuid, 'COIN'::text))
  ORDER BY account_id, asset COLLATE "C" FOR UPDATE;
WITH ids AS (SELECT gen_random_uuid() AS id),
  t AS (INSERT INTO ledger_transfers (id, kind, reference, status, memo, actor_id, timeout_at)
        SELECT id, 'wallet.transfer', NULL, 'posted', NULL, :src::uuid, NULL FROM ids),
  l AS (INSERT INTO ledger_transfer_legs (transfer_id, idx, from_account, to_account, asset, amount)
        SELECT id, 0, :src::uuid, :dst::uuid, 'COIN', :amt::bigint FROM ids),
  a AS (INSERT INTO platform_audit_log
          (actor_type, actor_id, action, target_type, target_id, asset, amount, ip, user_agent, request_id, details)
        SELECT 'user', :src::text, 'wallet.transfer', 'transfer', id::text, 'COIN', :amt::bigint, '127.0.0.1',
          'pgbench', gen_random_uuid()::text,
          jsonb_build_object('legs', jsonb_build_array(jsonb_build_object('from', :src::text, 'to', :dst::text,
            'asset', 'COIN', 'amount', :amt::text)), 'reference', NULL) FROM ids),
  e AS (INSERT INTO ledger_entries (transfer_id, phase, account_id, asset, available_delta, held_delta, available_after, held_after)
        SELECT id, 'apply', :src::uuid, 'COIN', -:amt::bigint, 0, 0, 0 FROM ids
        UNION ALL SELECT id, 'apply', :dst::uuid, 'COIN', :amt::bigint, 0, 0, 0 FROM ids),
  b AS (UPDATE ledger_balances b SET available = b.available + v.available, held = b.held + v.held
        FROM (VALUES (:src::uuid, 'COIN'::text, -:amt::bigint, 0::bigint), (:dst::uuid, 'COIN'::text, :amt::bigint, 0::bigint))
          AS v(account_id, asset, available, held)
        WHERE b.account_id = v.account_id AND b.asset = v.asset)
SELECT now() AS now;
INSERT INTO ledger_daily_usage (account_id, kind, day, amount)
  VALUES (:src::uuid, 'transfer', (now() AT TIME ZONE 'UTC')::date, :amt::bigint)
  ON CONFLICT (account_id, kind, day) DO UPDATE SET amount = ledger_daily_usage.amount + EXCLUDED.amount
  RETURNING amount;
INSERT INTO platform_idempotency_keys (scope, key, request_hash, status_code, content_type, body)
  VALUES (:src::text || ' POST /api/wallet/transfer', 'bench-' || :k::text, encode(sha256(random()::text::bytea), 'hex'), 201,
          'application/json; charset=utf-8', repeat('x', 330));
END;
`;

interface Sender {
  id: string;
  token: string;
}

/** HTTP transfers/s; `pick(n)` chooses the n-th request's sender and recipient. */
async function httpRate(base: string, pick: (n: number) => [Sender, Sender], seconds: number) {
  let n = 0;
  const result = await autocannon({
    url: base,
    connections: HTTP_CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/api/wallet/transfer',
        setupRequest: (req) => {
          const [from, to] = pick(n);
          n += 1;
          return {
            ...req,
            headers: {
              authorization: `Bearer ${from.token}`,
              'content-type': 'application/json',
              'idempotency-key': `bench-${n}-${randomBytes(4).toString('hex')}`,
            },
            body: JSON.stringify({ to: to.id, amount: 1 + (n % 9) }),
          };
        },
      },
    ],
  });
  return {
    perSecond: result['2xx'] / seconds,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    p99: result.latency.p99,
  };
}

async function pgbenchRate(databaseUrl: string, hot: boolean, seconds: number) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ledger-bench-'));
  try {
    const file = path.join(dir, 'transfer.sql');
    await writeFile(file, PGBENCH_SCRIPT);
    const { stdout } = await run(
      'pgbench',
      [
        '-n',
        '-M',
        'extended',
        '-c',
        String(DB_CONNECTIONS),
        '-j',
        '2',
        '-T',
        String(seconds),
        '-f',
        file,
        '-D',
        `users=${USERS}`,
        '-D',
        `hot=${hot ? 1 : 0}`,
        databaseUrl,
      ],
      { maxBuffer: 1 << 24 },
    );
    const tps = /tps = ([0-9.]+)/.exec(stdout);
    const failed = /number of failed transactions: ([0-9]+)/.exec(stdout);
    return { perSecond: tps ? Number(tps[1]) : Number.NaN, failed: failed ? Number(failed[1]) : 0 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main() {
  const pgbenchFound = await run('pgbench', ['--version']).then(
    () => true,
    () => false,
  );
  const scratch = await scratchDatabase('bench_ledger');
  const databaseUrl = scratch.url;
  let child: ChildProcess | undefined;
  const setup = await createRuntime(loadConfig({ ...serverEnv(databaseUrl, 0), RUN_WORKERS: 'false' }), {
    role: 'worker',
    modules,
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    const { ctx } = setup;
    // Users with sessions and tokens, generously funded, and a numbering pgbench can use.
    const senders: Sender[] = [];
    for (let i = 0; i < USERS; i += 1) {
      const u = await createUserForTest(ctx, { username: `bench_${i}` });
      senders.push({ id: u.id, token: u.accessToken });
    }
    await ensureWallets(
      ctx.db,
      senders.map((s) => s.id),
    );
    for (const s of senders) {
      await transfer(ctx.db, {
        kind: 'bench.fund',
        legs: [{ from: SYSTEM_ACCOUNTS.gateway, to: s.id, asset: COIN, amount: 1_000_000_000_000n }],
      });
    }
    await ctx.db.execute(sql`CREATE TABLE bench_users (n int PRIMARY KEY, id uuid NOT NULL)`);
    await ctx.db.execute(
      sql`INSERT INTO bench_users (n, id) VALUES ${sql.join(
        senders.map((s, i) => sql`(${i + 1}, ${s.id}::uuid)`),
        sql`, `,
      )}`,
    );

    const server = await startServerProcess((port) => serverEnv(databaseUrl, port));
    child = server.child;
    const { base } = server;

    const half = USERS / 2;
    const distinct = (n: number): [Sender, Sender] => {
      const i = n % USERS;
      return [senders[i] as Sender, senders[(i + half) % USERS] as Sender];
    };
    const hot = (n: number): [Sender, Sender] => [senders[0] as Sender, senders[1 + (n % (USERS - 1))] as Sender];

    // Warm-up: JIT, pools, caches of every sender's session.
    await httpRate(base, distinct, 2);
    const httpDistinct = await httpRate(base, distinct, SECONDS);
    const httpHot = await httpRate(base, hot, SECONDS);
    const dbDistinct = pgbenchFound ? await pgbenchRate(databaseUrl, false, SECONDS) : undefined;
    const dbHot = pgbenchFound ? await pgbenchRate(databaseUrl, true, SECONDS) : undefined;
    const report = await reconcile(ctx.db);

    const rows = [
      ['(a) distinct pairs', httpDistinct, dbDistinct],
      ['(b) one hot source', httpHot, dbHot],
    ] as const;
    process.stdout.write(
      `\nLedger transfers on PostgreSQL (${SECONDS} s each; HTTP: ${HTTP_CONNECTIONS} connections, ` +
        `server pool ${DB_CONNECTIONS}; pgbench: ${DB_CONNECTIONS} clients, same statements)\n\n`,
    );
    process.stdout.write(
      `${'scenario'.padEnd(22)}${'HTTP tx/s'.padStart(11)}${'p99 ms'.padStart(9)}${'non-2xx'.padStart(9)}` +
        `${'pgbench tx/s'.padStart(14)}${'HTTP/pgbench'.padStart(14)}\n`,
    );
    for (const [label, http, db] of rows) {
      const ratio = db ? `${((http.perSecond / db.perSecond) * 100).toFixed(0)} %` : 'n/a';
      process.stdout.write(
        `${label.padEnd(22)}${http.perSecond.toFixed(0).padStart(11)}${String(http.p99).padStart(9)}` +
          `${String(http.non2xx + http.errors).padStart(9)}${(db ? db.perSecond.toFixed(0) : 'n/a').padStart(14)}` +
          `${ratio.padStart(14)}\n`,
      );
    }
    if (!pgbenchFound) process.stdout.write('\npgbench was not found on PATH: database figures skipped.\n');
    process.stdout.write(
      `\nreconciliation after the run: ${report.ok ? 'balanced' : 'OUT OF BALANCE'} ` +
        `(${report.size.transfers} transfers, ${report.size.entries} entries)\n`,
    );
  } finally {
    child?.kill('SIGTERM');
    await setup.stop();
    await scratch.drop();
  }
}

await main();
