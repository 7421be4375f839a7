/**
 * Crowdfunding on PostgreSQL, in process: (a) pledges per second through the service (campaign row,
 * tier claim, pledge row, ledger transfer and the creator's notification in one transaction) with
 * BENCH_CONCURRENCY concurrent backers, all on one campaign (every pledge serialises on its row) and
 * spread over as many campaigns as there are workers; (b) how long the deadline's settlement takes
 * for BENCH_PLEDGES pledges, paid out (with a card reward per pledge) and refunded. The ledger is
 * reconciled at the end.
 *
 *   npm run bench:crowdfunding
 *   BENCH_PLEDGES=5000 BENCH_CONCURRENCY=32 npm run bench:crowdfunding
 *
 * A scratch database is created and dropped afterwards. Backers are wallets without accounts
 * (notifications to them are skipped by the notifications module, as for deleted users).
 */
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { uuidv7 } from 'uuidv7';
import { loadConfig } from '../src/config.ts';
import { addMinted, cardsModule } from '../src/modules/cards/index.ts';
import { contribute, createCampaign } from '../src/modules/crowdfunding/service.ts';
import { settleDue } from '../src/modules/crowdfunding/settle.ts';
import { modules } from '../src/modules/index.ts';
import { COIN, SYSTEM_ACCOUNTS, ensureWallets, reconcile, transfer } from '../src/modules/ledger/index.ts';
import { runSeeds } from '../src/platform/db/seed.ts';
import type { Db } from '../src/platform/db/tx.ts';
import { createRuntime } from '../src/platform/runtime.ts';
import { scratchDatabase } from './support/postgres.ts';
import { benchServerEnv } from './support/server.ts';
import { printTable } from './support/table.ts';

const PLEDGES = Number(process.env.BENCH_PLEDGES ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DAY_MS = 86_400_000;
const settings = { requireApproval: false, maxDays: 90 };

async function fund(db: Db, ids: string[]) {
  await ensureWallets(db, ids);
  for (let i = 0; i < ids.length; i += 64) {
    await transfer(db, {
      kind: 'bench.fund',
      legs: ids
        .slice(i, i + 64)
        .map((id) => ({ from: SYSTEM_ACCOUNTS.gateway, to: id, asset: COIN, amount: 1_000_000_000n })),
    });
  }
}

/** Copies of an uncapped card's base variant for the creator, from the demo catalogue; returns its id. */
async function rewardCard(db: Db, creatorId: string, copies: bigint): Promise<string> {
  await runSeeds(db, (cardsModule.seeds ?? []).slice(0, 1), { demo: true });
  const found = await db.execute<{ id: string; asset: string }>(sql`
    SELECT v.id, v.asset FROM cards_variants v JOIN cards_cards c ON c.id = v.card_id
    WHERE v.level = 0 AND c.max_supply IS NULL ORDER BY v.id LIMIT 1`);
  const variant = found.rows[0];
  if (!variant) throw new Error('no uncapped card in the catalogue');
  if (!(await addMinted(db, variant.id, copies))) throw new Error('print run exhausted');
  await transfer(db, {
    kind: 'bench.fund',
    legs: [{ from: SYSTEM_ACCOUNTS.mint, to: creatorId, asset: variant.asset, amount: copies }],
  });
  return variant.id;
}

interface Target {
  campaignId: string;
  tierId?: string;
}

async function pledgeRun(db: Db, backers: string[], targets: Target[], deadline: Date) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      for (;;) {
        const i = next++;
        if (i >= backers.length) return;
        const target = targets[(w + i) % targets.length] as Target;
        await contribute(
          db,
          backers[i] as string,
          { ...target, amount: 100 + (i % 50) },
          new Date(deadline.getTime() - DAY_MS),
        );
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

async function main() {
  const scratch = await scratchDatabase('bench_crowdfunding');
  const runtime = await createRuntime(
    loadConfig({ ...benchServerEnv(scratch.url, 0, CONCURRENCY + 2), RUN_WORKERS: 'false', SEED_DEMO: 'false' }),
    { role: 'worker', modules, migrate: true, logger: pino({ level: 'warn' }) },
  );
  try {
    const db = runtime.ctx.db;
    const creator = uuidv7();
    const backers = Array.from({ length: PLEDGES }, () => uuidv7());
    await fund(db, [creator, ...backers]);
    const variantId = await rewardCard(db, creator, BigInt(PLEDGES));
    const now = Date.now();
    const deadline = new Date(now + 30 * DAY_MS);
    const body = (goal: number, cards: boolean) => ({
      title: 'Bench campaign',
      description: 'Benchmark',
      goal,
      deadline: deadline.toISOString(),
      tiers: cards
        ? [{ title: 'Card', description: '', minPledge: 1, quantity: PLEDGES, cards: [{ variantId, copies: 1 }] }]
        : [],
    });
    const opened = new Date(now - DAY_MS);

    // (a) one hot campaign whose pledges each take a card tier unit (goal met: paid out, a card per
    // pledge delivered), then as many campaigns as workers (goal missed: refunded).
    const hot = await createCampaign(db, creator, body(1, true), settings, opened);
    const hotSeconds = await pledgeRun(db, backers, [{ campaignId: hot.id, tierId: hot.tiers[0]?.id }], deadline);
    const spread: Target[] = [];
    for (let i = 0; i < CONCURRENCY; i += 1) {
      spread.push({ campaignId: (await createCampaign(db, creator, body(1_000_000_000, false), settings, opened)).id });
    }
    const spreadSeconds = await pledgeRun(db, backers, spread, deadline);

    // (b) settlement at the deadline.
    const t0 = performance.now();
    await settleDue(db, { now: new Date(deadline.getTime() + 1000), feeBps: 500, limit: 1 });
    const payoutSeconds = (performance.now() - t0) / 1000;
    const t1 = performance.now();
    await settleDue(db, { now: new Date(deadline.getTime() + 1000), feeBps: 500 });
    const refundSeconds = (performance.now() - t1) / 1000;
    const states = await db.execute<{ state: string; n: number }>(
      sql`SELECT state, count(*)::int AS n FROM crowdfunding_campaigns GROUP BY state ORDER BY state`,
    );
    const report = await reconcile(db);

    printTable(
      ['measure', 'pledges', 'seconds', 'per second'],
      [
        [
          `pledge, one campaign (${CONCURRENCY} concurrent)`,
          String(PLEDGES),
          hotSeconds.toFixed(2),
          (PLEDGES / hotSeconds).toFixed(0),
        ],
        [
          `pledge, ${CONCURRENCY} campaigns (${CONCURRENCY} concurrent)`,
          String(PLEDGES),
          spreadSeconds.toFixed(2),
          (PLEDGES / spreadSeconds).toFixed(0),
        ],
        [
          'settle: payout (one campaign)',
          String(PLEDGES),
          payoutSeconds.toFixed(2),
          (PLEDGES / payoutSeconds).toFixed(0),
        ],
        [
          `settle: refunds (${CONCURRENCY} campaigns)`,
          String(PLEDGES),
          refundSeconds.toFixed(2),
          (PLEDGES / refundSeconds).toFixed(0),
        ],
      ],
    );
    console.log(
      `campaigns: ${states.rows.map((r) => `${r.state} ${r.n}`).join(', ')}; ledger reconciles: ${report.ok}`,
    );
    if (!report.ok) process.exitCode = 1;
  } finally {
    await runtime.stop();
    await scratch.drop();
  }
}

await main();
