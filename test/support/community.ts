// Test support of the community module: an app, users with strategies and bots, and row counts.
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV, bearer, json } from '../helpers/http.ts';
import type { CreatedTestUser } from '../helpers/users.ts';
import { createVariant, giveCards } from './market.ts';
import { STRATEGY_TEMPLATES } from '../../src/modules/bots/index.ts';

export const auth = (u: CreatedTestUser) => bearer(u.token);

export function startCommunityApp(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error', ...env } });
}

/** A tradable card variant for bots to run on. */
export async function botCard(t: TestApp, admin: CreatedTestUser, holder: CreatedTestUser, code: string) {
  const { cardId } = await createVariant(t, admin, code);
  const { variantId } = await giveCards(t.runtime.ctx.db, holder.id, cardId, 10n);
  return variantId;
}

const sma = STRATEGY_TEMPLATES.find((x) => x.id === 'sma-crossover');
export const RULES = sma?.kind === 'rules' ? sma.document : null;
export const SOURCE = 'function decide(input) { /* secret-edge-42 */ return { intents: [] }; }';

/** A strategy of `user` (rules by default, or code) through the bots API; returns its id. */
export async function strategyOf(t: TestApp, user: CreatedTestUser, kind: 'rules' | 'code' = 'rules') {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/strategies',
    headers: auth(user),
    payload:
      kind === 'rules'
        ? { name: `Trend ${user.username}`, kind, document: RULES }
        : { name: `Code ${user.username}`, kind, source: SOURCE },
  });
  expectStatus(res, 201);
  return json<{ id: string }>(res).id;
}

/** A bot of `user` on `strategyId` through the bots API; returns its id. */
export async function botOf(
  t: TestApp,
  user: CreatedTestUser,
  strategyId: string,
  card: string,
  mode: 'paper' | 'live' = 'paper',
) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/bots',
    headers: auth(user),
    payload: { name: `Bot of ${user.username}`, strategyId, mode, variantIds: [card], interval: '1h', allocation: 0 },
  });
  expectStatus(res, 201);
  return json<{ id: string }>(res).id;
}

export async function share(
  t: TestApp,
  user: CreatedTestUser,
  strategyId: string,
  body: Record<string, unknown>,
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'PUT',
    url: `/api/community/strategies/${strategyId}/sharing`,
    headers: auth(user),
    payload: body,
  });
}

/** Rows of every community table and of the bots' strategies and bots, to prove nothing was written. */
export async function communityCounts(t: TestApp) {
  const r = await t.runtime.ctx.db.execute<Record<string, number>>(sql`
    SELECT (SELECT count(*) FROM community_sharing)::int AS sharing,
           (SELECT count(*) FROM community_forks)::int AS forks,
           (SELECT count(*) FROM community_comments)::int AS comments,
           (SELECT count(*) FROM community_likes)::int AS likes,
           (SELECT count(*) FROM community_follows)::int AS follows,
           (SELECT count(*) FROM community_feed)::int AS feed,
           (SELECT count(*) FROM community_reports)::int AS reports,
           (SELECT count(*) FROM community_hidden)::int AS hidden,
           (SELECT count(*) FROM bot_strategies)::int AS strategies,
           (SELECT count(*) FROM bots)::int AS bots`);
  return r.rows[0];
}

/** Asserts that no reply body anywhere contains the code (source or a rules document's marker). */
export function expectNoCode(res: LightMyRequestResponse) {
  expect(res.body).not.toContain('secret-edge-42');
  expect(res.body).not.toContain('"source"');
  expect(res.body).not.toContain('"document"');
}
