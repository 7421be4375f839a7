// Test support of the betting module: an app without workers, funded bettors, events, counts.
import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV, bearer, json } from '../helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';
import type { Db } from '../../src/platform/db/tx.ts';
import { grantCoins } from './market.ts';
import { COIN, balances, reconcile, walletAccountId } from '../../src/modules/betting/ports.ts';
import type { EventBody } from '../../src/modules/betting/schemas.ts';

export { grantCoins };
export const auth = (u: CreatedTestUser) => bearer(u.token);

export function startBettingApp(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error', ...env } });
}

export interface EventView {
  id: string;
  markets: {
    id: string;
    type: string;
    status: string;
    overroundBps: number;
    takeoutBps: number;
    totalStaked: number;
    outcomes: { id: string; label: string; odds: number | null; staked: number }[];
  }[];
  settlement: unknown;
}

/** A bettor: verified, funded, age confirmed. */
export async function bettor(t: TestApp, coins = 1_000_000n): Promise<CreatedTestUser> {
  const u = await createTestUser(t);
  await grantCoins(t.runtime.ctx.db, u.id, coins);
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/betting/age-confirmation',
    headers: auth(u),
    payload: { confirmed: true },
  });
  expectStatus(res, 200);
  return u;
}

export const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

export function twoMarkets(extra: Partial<EventBody> = {}): EventBody {
  return {
    title: 'Final',
    startsAt: inHours(24),
    markets: [
      { type: 'parimutuel', name: 'Pool', takeoutBps: 1000, outcomes: [{ label: 'Red' }, { label: 'Blue' }] },
      {
        type: 'fixed',
        name: 'Fixed',
        overroundBps: 500,
        outcomes: [
          { label: 'Red', weight: 1 },
          { label: 'Blue', weight: 1 },
        ],
      },
    ],
    ...extra,
  };
}

export async function createEvent(t: TestApp, admin: CreatedTestUser, body: EventBody = twoMarkets()) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/admin/betting/events',
    headers: auth(admin),
    payload: body,
  });
  expectStatus(res, 201);
  return json<EventView>(res);
}

export async function placeBet(
  t: TestApp,
  user: CreatedTestUser,
  event: EventView,
  market: number,
  outcome: number,
  stake: number,
  extra: Record<string, unknown> = {},
) {
  const m = event.markets[market];
  const o = m?.outcomes[outcome];
  return t.app.inject({
    method: 'POST',
    url: '/api/betting/place-bet',
    headers: auth(user),
    payload: {
      eventId: event.id,
      marketId: m?.id,
      outcomeId: o?.id,
      stake,
      ...(m?.type === 'fixed' && o?.odds ? { odds: o.odds } : {}),
      ...extra,
    },
  });
}

/** Moves an event's start into the past, as if time had passed (betting closes, settling may begin). */
export async function startEvent(db: Db, eventId: string): Promise<void> {
  await db.execute(sql`UPDATE betting_events SET opens_at = now() - interval '2 hours',
    starts_at = now() - interval '1 hour' WHERE id = ${eventId}`);
}

export async function coins(db: Db, accountId: string): Promise<bigint> {
  const [b] = await balances(db, accountId, COIN);
  return b?.total ?? 0n;
}

export const walletOf = (db: Db, u: CreatedTestUser) => coins(db, walletAccountId(u.id));

/** Rows a refused request must not write. */
export async function writes(db: Db) {
  const r = await db.execute<Record<string, number>>(sql`
    SELECT (SELECT count(*) FROM betting_events)::int AS events,
           (SELECT count(*) FROM betting_markets)::int AS markets,
           (SELECT count(*) FROM betting_bets)::int AS bets,
           (SELECT count(*) FROM betting_profiles)::int AS profiles,
           (SELECT count(*) FROM ledger_transfers)::int AS transfers,
           (SELECT coalesce(sum(total_staked), 0)::int FROM betting_markets) AS staked`);
  return r.rows[0];
}

export async function expectReconciled(db: Db): Promise<void> {
  const report = await reconcile(db);
  expect(report.violations).toEqual([]);
  expect(report.ok).toBe(true);
}

/** Ledger transfers of a kind that reference a bet or market. */
export async function transfersOf(db: Db, kind: string, reference: string): Promise<number> {
  const r = await db.execute<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM ledger_transfers WHERE kind = ${kind} AND reference = ${reference}`,
  );
  return r.rows[0]?.n ?? 0;
}
