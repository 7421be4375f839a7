// Test support of the rewards module: an app with the catalogue, generated domain events, ledger checks.
import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { QUIET_ENV, bearer } from '../helpers/http.ts';
import type { CreatedTestUser } from '../helpers/users.ts';
import type { Db } from '../../src/platform/db/tx.ts';
import { COIN, POINTS, balances, reconcile, walletAccountId } from '../../src/modules/ledger/index.ts';
import { syncCatalogue } from '../../src/modules/rewards/service.ts';
import type { DomainEvent } from '../../src/platform/events/index.ts';

export const auth = (u: CreatedTestUser) => bearer(u.token);

/** An app with workers off and the product catalogue in place. */
export async function startRewardsApp(
  env: Record<string, string> = {},
  database?: TestApp['database'],
): Promise<TestApp> {
  const t = await createTestApp({
    env: { ...QUIET_ENV, LOG_LEVEL: 'error', ...env },
    ...(database ? { database } : {}),
  });
  await syncCatalogue(t.runtime.ctx.db);
  return t;
}

type Ev = Pick<DomainEvent, 'id' | 'type' | 'aggregateType' | 'aggregateId' | 'payload' | 'createdAt'>;

const at = (day = 0) => new Date(Date.UTC(2026, 0, 1 + day, 12));

export const packOpened = (userId: string, openingId = uuidv7(), day = 0): Ev => ({
  id: uuidv7(),
  type: 'cards.pack_opened',
  aggregateType: 'cards.opening',
  aggregateId: openingId,
  payload: { userId, openingId, packId: '00000000-0000-4000-8000-0000000000aa', cards: [] },
  createdAt: at(day),
});

export const tradeCompleted = (proposerId: string, recipientId: string, offerId = uuidv7(), day = 0): Ev => ({
  id: uuidv7(),
  type: 'trades.completed',
  aggregateType: 'trade',
  aggregateId: offerId,
  payload: { offerId, proposerId, recipientId },
  createdAt: at(day),
});

export const backtestDone = (userId: string, backtestId = uuidv7(), day = 0): Ev => ({
  id: uuidv7(),
  type: 'bots.publish',
  aggregateType: 'backtest',
  aggregateId: backtestId,
  payload: { userId, message: { topic: `backtests.${backtestId}`, kind: 'backtest.progress', status: 'done' } },
  createdAt: at(day),
});

/** A user's total of an asset in their wallet. */
export async function holding(db: Db, userId: string, asset: string): Promise<bigint> {
  const [b] = await balances(db, walletAccountId(userId), asset);
  return b?.total ?? 0n;
}
export const pointsOf = (db: Db, userId: string) => holding(db, userId, POINTS);
export const coinsOf = (db: Db, userId: string) => holding(db, userId, COIN);

export async function expectBooksBalanced(db: Db): Promise<void> {
  const report = await reconcile(db);
  if (!report.ok) throw new Error(`ledger out of balance: ${JSON.stringify(report.violations.slice(0, 5))}`);
}

/** Ledger transfers of kind `rewards.payout` per (user, source) among `userIds`. */
export async function payoutCounts(db: Db, userIds: readonly string[]): Promise<Map<string, number>> {
  if (userIds.length === 0) return new Map();
  const r = await db.execute<{ user_id: string; reference: string; n: number }>(sql`
    SELECT l.to_account AS user_id, t.reference, count(DISTINCT t.id)::int AS n
    FROM ledger_transfers t JOIN ledger_transfer_legs l ON l.transfer_id = t.id
    WHERE t.kind = 'rewards.payout' AND l.to_account = ANY(${sql.param([...userIds])}::uuid[])
    GROUP BY l.to_account, t.reference`);
  return new Map(r.rows.map((row) => [`${row.user_id}:${row.reference}`, row.n]));
}

/** Row counts a refused rewards request must leave as they were. */
export async function rewardsWrites(db: Db) {
  const r = await db.execute<Record<string, number>>(sql`
    SELECT (SELECT count(*) FROM rewards_achievements)::int AS achievements,
           (SELECT count(*) FROM rewards_facts)::int AS facts,
           (SELECT count(*) FROM rewards_progress)::int AS progress,
           (SELECT count(*) FROM rewards_checkins)::int AS checkins,
           (SELECT count(*) FROM rewards_payouts)::int AS payouts,
           (SELECT count(*) FROM ledger_transfers)::int AS transfers`);
  return r.rows[0];
}
