/**
 * Social on PostgreSQL: (a) trade-partner matching for BENCH_USERS collectors holding BENCH_COLLECTION
 * distinct cards each (about a third of them in duplicate) and wishing for BENCH_WISHES cards, out of
 * a catalogue of BENCH_CARDS cards: how long indexing every wallet takes, ms per user for a full
 * match computation (`POST /api/social/match`'s service, over a sample of users), and the
 * incremental cost when 100 users' collections change; (b) message send and conversation reads
 * beside `/health/live`, req/s and p99 in one run against one server process.
 *
 *   npm run bench:social                                  # 10 000 users × 300 cards, 20 wishes
 *   BENCH_USERS=2000 BENCH_SECONDS=3 npm run bench:social
 *
 * A scratch database gets the collections inserted in bulk (set-based SQL into the catalogue,
 * ledger balances and wishlists, as those modules hold them); it is dropped afterwards. Traffic
 * goes to 127.0.0.1 only.
 */
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { ensureWallets } from '../src/modules/ledger/index.ts';
import { modules } from '../src/modules/index.ts';
import { markDirty, matchNow, refreshDirty } from '../src/modules/social/match-service.ts';
import { refreshSpares } from '../src/modules/social/match-repo.ts';
import type { Db } from '../src/platform/db/tx.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { createUserForTest, type TestUser } from '../test/support/identity.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv, measureGets, measurePosts, startServerProcess, type GetFigures } from './support/server.ts';
import { printLoadTable, printTable } from './support/table.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const USERS = Number(process.env.BENCH_USERS ?? 10_000);
const COLLECTION = Number(process.env.BENCH_COLLECTION ?? 300);
const WISHES = Number(process.env.BENCH_WISHES ?? 20);
// A prime, so that each collector's stride through the catalogue visits distinct cards.
const CARDS = Number(process.env.BENCH_CARDS ?? 1499);
const SAMPLE = Number(process.env.BENCH_SAMPLE ?? 40);
const CHANGED = 100;
const TALKERS = 40;
const CONNECTIONS = 32;
const DB_CONNECTIONS = 16;

const serverEnv = (databaseUrl: string, port: number) =>
  benchServerEnv(databaseUrl, port, DB_CONNECTIONS, {
    SOCIAL_MESSAGE_RATE_LIMIT_MAX: '100000000',
    // The benchmark computes matches itself; the server answers requests.
    RUN_WORKERS: 'false',
  });

const ms = (from: number) => performance.now() - from;

/** A catalogue of CARDS cards (one variant each), USERS collectors with wallets, holdings and wishes. */
async function seed(db: Db): Promise<string[]> {
  await db.execute(sql`
    INSERT INTO cards_sets (id, code, name, release_date) VALUES (gen_random_uuid(), 'BENCH', 'Bench set', '2025-01-01')`);
  await db.execute(sql`
    INSERT INTO cards_cards (id, set_id, number, name, rarity, element, price, set_label)
    SELECT gen_random_uuid(), (SELECT id FROM cards_sets WHERE code = 'BENCH'), g, 'Card ' || g, 'common', 'fire',
           100 + (g * 37) % 5000, 'BENCH'
      FROM generate_series(1, ${CARDS}) g`);
  await db.execute(sql`
    WITH n AS MATERIALIZED (SELECT gen_random_uuid() AS vid, id FROM cards_cards)
    INSERT INTO cards_variants (id, card_id, level, asset) SELECT vid, id, 0, 'CARD:' || upper(vid::text) FROM n`);
  await db.execute(sql`INSERT INTO ledger_assets (code, kind) SELECT asset, 'card' FROM cards_variants`);
  await db.execute(sql`
    INSERT INTO identity_users (id, email, username, email_verified_at)
    SELECT gen_random_uuid(), 'c' || g || '@bench.example', 'collector' || g, now() FROM generate_series(1, ${USERS}) g`);
  const ids = (await db.execute<{ id: string }>(sql`SELECT id FROM identity_users ORDER BY id`)).rows.map((r) => r.id);
  for (let i = 0; i < ids.length; i += 2000) await ensureWallets(db, ids.slice(i, i + 2000));
  // Each collector walks the catalogue with their own stride a and start b (card number
  // 1 + (a·k + b) mod CARDS): COLLECTION distinct cards held, one copy of most and 2–3 copies of
  // about a third; the next WISHES cards of the walk are wished for.
  await db.execute(sql`
    WITH u AS (SELECT id, 1 + abs(hashtext(id::text)) % (${CARDS} - 1) AS a, abs(hashtext(reverse(id::text))) % ${CARDS} AS b,
                      row_number() OVER (ORDER BY id) AS n
                 FROM identity_users WHERE email LIKE '%@bench.example'),
         v AS (SELECT c.number, cv.asset FROM cards_cards c JOIN cards_variants cv ON cv.card_id = c.id)
    INSERT INTO ledger_balances (account_id, asset, available)
    SELECT u.id, v.asset, 1 + CASE WHEN (u.n * 7 + k) % 3 = 0 THEN 1 + (u.n + k) % 2 ELSE 0 END
      FROM u CROSS JOIN generate_series(0, ${COLLECTION - 1}) k
      JOIN v ON v.number = 1 + ((u.a * k + u.b) % ${CARDS})`);
  await db.execute(sql`
    WITH u AS (SELECT id, 1 + abs(hashtext(id::text)) % (${CARDS} - 1) AS a, abs(hashtext(reverse(id::text))) % ${CARDS} AS b
                 FROM identity_users WHERE email LIKE '%@bench.example')
    INSERT INTO cards_wishlist (user_id, card_id)
    SELECT u.id, c.id FROM u CROSS JOIN generate_series(0, ${WISHES - 1}) k
      JOIN cards_cards c ON c.number = 1 + ((u.a * (${COLLECTION} + k) + u.b) % ${CARDS})
    ON CONFLICT DO NOTHING`);
  await db.execute(sql`ANALYZE`);
  return ids;
}

async function main() {
  const scratch = await scratchDatabase('bench_social');
  const databaseUrl = scratch.url;
  let child: ChildProcess | undefined;
  const config = loadConfig({ ...serverEnv(databaseUrl, 0) });
  const setup = await createRuntime(config, {
    role: 'worker',
    modules,
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    const db = setup.ctx.db;
    let t = performance.now();
    const ids = await seed(db);
    const seedSeconds = ms(t) / 1000;

    t = performance.now();
    for (let i = 0; i < ids.length; i += 1000) await refreshSpares(db, ids.slice(i, i + 1000));
    const indexMs = ms(t);
    const spares = (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM social_spares`)).rows[0]?.n;

    const sample = ids.filter((_, i) => i % Math.max(1, Math.floor(ids.length / SAMPLE)) === 0).slice(0, SAMPLE);
    let found = 0;
    t = performance.now();
    for (const id of sample) found += (await matchNow(db, id, {})).items.length;
    const perUserMs = ms(t) / sample.length;

    const changed = ids.slice(0, CHANGED);
    // A collection change: one more copy of a card for each changed user (then queued as dirty).
    await db.execute(sql`
      UPDATE ledger_balances SET available = available + 1
       WHERE (account_id, asset) IN (SELECT DISTINCT ON (account_id) account_id, asset FROM ledger_balances
                                      WHERE account_id = ANY(${`{${changed.join(',')}}`}::uuid[]) ORDER BY account_id, asset)`);
    await markDirty(db, changed);
    t = performance.now();
    let refreshed = 0;
    for (let n = await refreshDirty(db, CHANGED); n > 0; n = await refreshDirty(db, CHANGED)) refreshed += n;
    const incrementalMs = ms(t);
    const stored = (await db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM social_matches`)).rows[0]?.n;

    // Messages: TALKERS signed-in users write to each other and read their conversations.
    const talkers: TestUser[] = [];
    for (let i = 0; i < TALKERS; i++) talkers.push(await createUserForTest(setup.ctx));
    const server = await startServerProcess((port) => serverEnv(databaseUrl, port));
    child = server.child;
    const { base } = server;
    const pair = (n: number) => {
      const from = talkers[n % TALKERS];
      const to = talkers[(n + 1) % TALKERS];
      if (!from || !to) throw new Error('no talkers');
      return { from, to };
    };
    await measurePosts(
      base,
      '/api/social/message',
      (n) => ({ token: pair(n).from.accessToken, body: { to: pair(n).to.username, body: `warm-up ${n}` } }),
      1,
      CONNECTIONS,
    );
    const live = await measureGets(base, 'GET /health/live', () => '/health/live', SECONDS, CONNECTIONS);
    const send = await measurePosts(
      base,
      '/api/social/message',
      (n) => ({ token: pair(n).from.accessToken, body: { to: pair(n).to.username, body: `message ${n}` } }),
      SECONDS,
      CONNECTIONS,
    );
    // Autocannon GETs carry no per-request token: each read target uses one reader's conversations.
    const reader = talkers[1];
    const partner = talkers[0];
    if (!reader || !partner) throw new Error('no talkers');
    const readTarget = async (target: string, path: string): Promise<GetFigures> => {
      const result = await autocannon({
        url: base,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [{ method: 'GET', path, headers: { authorization: `Bearer ${reader.accessToken}` } }],
      });
      return {
        target,
        perSecond: result['2xx'] / SECONDS,
        p99: result.latency.p99,
        failed: result.non2xx + result.errors + result.timeouts,
      };
    };
    const conversation = await readTarget(
      'GET /api/social/messages?with=… (a conversation, page 1)',
      `/api/social/messages?with=${partner.username}`,
    );
    const inbox = await readTarget('GET /api/social/messages (conversations, unread)', '/api/social/messages');
    const rows: GetFigures[] = [live, { target: 'POST /api/social/message', ...send }, conversation, inbox];

    console.log(
      `\nSocial on PostgreSQL (${USERS} collectors × ${COLLECTION} cards of ${CARDS}, ${WISHES} wishes each, ` +
        `inserted in ${seedSeconds.toFixed(1)} s; Redis ${process.env.REDIS_URL ? 'on' : 'off'}; Node ${process.version})\n`,
    );
    printTable(
      ['matching', 'users', 'total ms', 'ms per user'],
      [
        [
          'index every wallet (spares: ' + String(spares) + ' rows)',
          String(ids.length),
          indexMs.toFixed(0),
          (indexMs / ids.length).toFixed(2),
        ],
        [
          `full match computation, sample (${found} matches kept)`,
          String(sample.length),
          (perUserMs * sample.length).toFixed(0),
          perUserMs.toFixed(1),
        ],
        [
          `incremental: ${CHANGED} changed collections`,
          String(refreshed),
          incrementalMs.toFixed(0),
          (incrementalMs / Math.max(1, refreshed)).toFixed(1),
        ],
      ],
    );
    console.log(
      `\nstored matches after the incremental step: ${stored}; all ${USERS} users at this rate: ${((perUserMs * USERS) / 1000).toFixed(0)} s of one connection\n`,
    );
    console.log(`HTTP: ${SECONDS} s per target, ${CONNECTIONS} connections, server pool ${DB_CONNECTIONS}\n`);
    printLoadTable(rows, live.perSecond);
  } finally {
    child?.kill('SIGTERM');
    await setup.stop();
    await scratch.drop();
  }
}

await main();
// Nothing may keep the benchmark alive once the figures are printed.
process.exit(process.exitCode ?? 0);
