/**
 * Rewards on PostgreSQL: (a) domain events processed per second through the rewards handlers (facts
 * recorded, achievements re-measured, rewards paid through the ledger) with BENCH_CONCURRENCY
 * concurrent deliveries, a fifth of them duplicates; (b) `POST /api/rewards/checkin` requests per
 * second (one check-in per user: each pays points through the ledger) beside `GET /health/live` on
 * the same server process. The ledger is reconciled at the end.
 *
 *   npm run bench:rewards
 *   BENCH_EVENTS=20000 BENCH_SECONDS=20 BENCH_CHECKINS=2000 npm run bench:rewards
 *
 * A scratch database is created and dropped afterwards; the run is bounded (a few seconds per part).
 */
import type { ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import pino from 'pino';
import { uuidv7 } from 'uuidv7';
import { loadConfig } from '../src/config.ts';
import { modules } from '../src/modules/index.ts';
import { reconcile } from '../src/modules/ledger/index.ts';
import { factsOf, recordFacts, syncCatalogue } from '../src/modules/rewards/index.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { createUserForTest } from '../test/support/identity.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv, measureGets, startServerProcess } from './support/server.ts';
import { printTable } from './support/table.ts';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 5000);
const CHECKINS = Number(process.env.BENCH_CHECKINS ?? 400);
/** Part (a) stops after this long even if events are left. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const USERS = 500;
const CONNECTIONS = 32;
const DB_CONNECTIONS = 16;
const LIVE_SECONDS = 3;

const serverEnv = (databaseUrl: string, port: number) => benchServerEnv(databaseUrl, port, DB_CONNECTIONS);

/** A history of pack openings and trades among USERS users, with a fifth redelivered. */
function history(n: number) {
  const users = Array.from({ length: USERS }, () => uuidv7());
  const at = new Date();
  const events: Parameters<typeof factsOf>[0][] = [];
  for (let i = 0; i < n; i += 1) {
    const u = users[i % USERS] ?? '';
    const v = users[(i * 7 + 1) % USERS] ?? '';
    if (i % 5 === 4) {
      const earlier = events[(i * 13) % events.length];
      if (earlier) events.push(earlier);
    } else if (i % 2 === 0) {
      const openingId = uuidv7();
      events.push({
        id: uuidv7(),
        type: 'cards.pack_opened',
        aggregateType: 'cards.opening',
        aggregateId: openingId,
        payload: { userId: u, openingId, packId: uuidv7(), cards: [] },
        createdAt: at,
      });
    } else {
      const offerId = uuidv7();
      events.push({
        id: uuidv7(),
        type: 'trades.completed',
        aggregateType: 'trade',
        aggregateId: offerId,
        payload: { offerId, proposerId: u, recipientId: u === v ? (users[(i + 2) % USERS] ?? '') : v },
        createdAt: at,
      });
    }
  }
  return events;
}

async function main() {
  const scratch = await scratchDatabase('bench_rewards');
  let child: ChildProcess | undefined;
  const setup = await createRuntime(loadConfig({ ...serverEnv(scratch.url, 0), RUN_WORKERS: 'false' }), {
    role: 'worker',
    modules,
    migrate: true,
    logger: pino({ level: 'warn' }),
  });
  try {
    const { ctx } = setup;
    const { db } = ctx;
    await syncCatalogue(db);

    // (a) Events through the handlers.
    const events = history(EVENTS);
    let next = 0;
    let processed = 0;
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (performance.now() < deadline) {
          const e = events[next++];
          if (!e) return;
          await recordFacts(db, factsOf(e));
          processed += 1;
        }
      }),
    );
    const eventsMs = performance.now() - started;

    // (b) Check-ins over HTTP beside /health/live.
    const users: Awaited<ReturnType<typeof createUserForTest>>[] = [];
    for (let i = 0; i < CHECKINS; i += 1) users.push(await createUserForTest(ctx, { username: `checker_${i}` }));
    const server = await startServerProcess((port) => serverEnv(scratch.url, port));
    child = server.child;
    const { base } = server;
    await measureGets(base, 'GET /health/live', () => '/health/live', 1, CONNECTIONS);
    const live = await measureGets(base, 'GET /health/live', () => '/health/live', LIVE_SECONDS, CONNECTIONS);
    let n = 0;
    const t0 = performance.now();
    const result = await autocannon({
      url: base,
      connections: CONNECTIONS,
      amount: users.length,
      requests: [
        {
          method: 'POST',
          path: '/api/rewards/checkin',
          setupRequest: (req) => ({
            ...req,
            headers: { authorization: `Bearer ${users[n++ % users.length]?.accessToken ?? ''}` },
          }),
        },
      ],
    });
    const checkinSeconds = (performance.now() - t0) / 1000;
    child.kill('SIGTERM');
    child = undefined;
    const checkins = {
      perSecond: result['2xx'] / checkinSeconds,
      p99: result.latency.p99,
      failed: result.non2xx + result.errors,
    };

    const report = await reconcile(db);
    console.log(
      `\nRewards on PostgreSQL (Node ${process.version}, ${new Date().toISOString()}, ` +
        `${CONNECTIONS} connections, server pool ${DB_CONNECTIONS})\n`,
    );
    console.log(
      `(a) ${processed} of ${events.length} events (a fifth of them duplicates, ${USERS} users) through the ` +
        `handlers, ${CONCURRENCY} concurrent: ${(eventsMs / 1000).toFixed(2)} s = ` +
        `${((processed / eventsMs) * 1000).toFixed(0)} events/s\n`,
    );
    printTable(
      ['target', 'req/s', 'p99 ms', 'failed', 'of /health/live'],
      [
        [
          `GET /health/live (${LIVE_SECONDS} s)`,
          live.perSecond.toFixed(0),
          String(live.p99),
          String(live.failed),
          '100 %',
        ],
        [
          `(b) POST /api/rewards/checkin (${users.length} users, ${checkinSeconds.toFixed(1)} s)`,
          checkins.perSecond.toFixed(0),
          String(checkins.p99),
          String(checkins.failed),
          `${((checkins.perSecond / live.perSecond) * 100).toFixed(1)} %`,
        ],
      ],
    );
    console.log(`\nledger reconciles: ${report.ok}`);
    if (!report.ok || checkins.failed > 0) process.exitCode = 1;
  } finally {
    child?.kill('SIGTERM');
    await setup.stop();
    await scratch.drop();
  }
}

await main();
