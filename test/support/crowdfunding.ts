// Test support of the crowdfunding module: an app, funded users, card holdings, request helpers.
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV, bearer, json } from '../helpers/http.ts';
import type { CreatedTestUser } from '../helpers/users.ts';
import type { Db } from '../../src/platform/db/tx.ts';
import { createVariant, giveCards, grantCoins } from './market.ts';
import { COIN, balances, reconcile, systemBalance } from '../../src/modules/ledger/index.ts';

export { grantCoins };
export const auth = (u: CreatedTestUser) => bearer(u.token);
export const DAY_MS = 86_400_000;

export function startCrowdfundingApp(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error', ...env } });
}

/** A new card `holder` owns `copies` of; returns its variant id and ledger asset. */
export async function cardsHeldBy(
  t: TestApp,
  admin: CreatedTestUser,
  holder: CreatedTestUser,
  code: string,
  copies: bigint,
) {
  const { cardId } = await createVariant(t, admin, code);
  return giveCards(t.runtime.ctx.db, holder.id, cardId, copies);
}

/** An account's total (available + held) of an asset. */
export async function total(db: Db, accountId: string, asset: string = COIN): Promise<bigint> {
  const [b] = await balances(db, accountId, asset);
  return b?.total ?? 0n;
}

export const feesTotal = (db: Db) => systemBalance(db, 'fees', COIN);

export async function expectBooksBalanced(db: Db): Promise<void> {
  const report = await reconcile(db);
  if (!report.ok) throw new Error(`ledger out of balance: ${JSON.stringify(report.violations.slice(0, 5))}`);
}

/** Row counts a refused request must leave as they were. */
export async function writes(db: Db) {
  const r = await db.execute<Record<string, number>>(sql`
    SELECT (SELECT count(*) FROM crowdfunding_campaigns)::int AS campaigns,
           (SELECT count(*) FROM crowdfunding_tiers)::int AS tiers,
           (SELECT count(*) FROM crowdfunding_pledges)::int AS pledges,
           (SELECT count(*) FROM crowdfunding_updates)::int AS updates,
           (SELECT coalesce(sum(claimed), 0)::int FROM crowdfunding_tiers) AS claimed,
           (SELECT coalesce(sum(pledged), 0)::text FROM crowdfunding_campaigns) AS pledged,
           (SELECT count(*) FROM ledger_transfers)::int AS transfers,
           (SELECT count(*) FROM notifications)::int AS notifications`);
  return r.rows[0];
}

/** Notifications of `type` a user has, newest first. */
export async function notificationsOf(db: Db, userId: string, type: string) {
  const r = await db.execute<{ title: string; body: string }>(
    sql`SELECT title, body FROM notifications WHERE user_id = ${userId} AND type = ${type} ORDER BY id DESC`,
  );
  return r.rows;
}

export interface CampaignReply {
  id: string;
  state: string;
  goal: number;
  pledged: number;
  backers: number;
  fee: number | null;
  payout: number | null;
  tiers: {
    id: string;
    remaining: number;
    claimed: number;
    minPledge: number;
    cards: { variantId: string; copies: number }[];
  }[];
}

export function campaignBody(overrides: Record<string, unknown> = {}, deadline = new Date(Date.now() + DAY_MS)) {
  return {
    title: 'A test campaign',
    description: 'Something worth backing.',
    goal: 100_000,
    deadline: deadline.toISOString(),
    tiers: [{ title: 'Supporter', description: 'Thanks in the credits', minPledge: 1_000, quantity: 10 }],
    ...overrides,
  };
}

export async function createCampaign(t: TestApp, user: CreatedTestUser, body: Record<string, unknown>) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/crowdfunding/create-campaign',
    headers: auth(user),
    payload: body,
  });
  expectStatus(res, 201);
  return json<CampaignReply>(res);
}

export function contribute(t: TestApp, user: CreatedTestUser, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/crowdfunding/contribute', headers: auth(user), payload });
}

export async function pledge(t: TestApp, user: CreatedTestUser, payload: Record<string, unknown>) {
  const res = await contribute(t, user, payload);
  expectStatus(res, 201);
  return json<{ id: string; amount: number; status: string }>(res);
}

export async function campaign(t: TestApp, id: string, user?: CreatedTestUser) {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/crowdfunding/campaigns/${id}`,
    headers: user ? auth(user) : {},
  });
  expectStatus(res, 200);
  return json<CampaignReply>(res);
}
