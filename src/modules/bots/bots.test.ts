import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { STRATEGY_TEMPLATES } from './templates.ts';
import { auth, cardHeldBy, startBotsApp } from '../../../test/support/bots.ts';

/*
 * The bots API as its users meet it: strategies and their versions, bots and their states, and the
 * refusals: invalid documents and code, unknown cards, other users' bots, the wrong role, limits.
 */

let t: TestApp;
let admin: CreatedTestUser;
let moderator: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let card: string;
const sma = STRATEGY_TEMPLATES.find((x) => x.id === 'sma-crossover');

beforeAll(async () => {
  t = await startBotsApp({ BOTS_MAX_PER_USER: '3' });
  admin = await createTestUser(t, { role: 'admin' });
  moderator = await createTestUser(t, { role: 'moderator' });
  alice = await createTestUser(t);
  bob = await createTestUser(t);
  card = await cardHeldBy(t, admin, bob, 'BOT1');
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const db = () => t.runtime.ctx.db;
async function counts() {
  const r = await db().execute<{ strategies: number; versions: number; bots: number }>(sql`
    SELECT (SELECT count(*) FROM bot_strategies)::int AS strategies,
           (SELECT count(*) FROM bot_strategy_versions)::int AS versions,
           (SELECT count(*) FROM bots)::int AS bots`);
  return r.rows[0];
}

async function createStrategy(user: CreatedTestUser, body: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/api/strategies', headers: auth(user), payload: body });
}

async function rulesStrategyOf(user: CreatedTestUser): Promise<string> {
  const res = await createStrategy(user, {
    name: 'SMA',
    kind: 'rules',
    document: sma?.kind === 'rules' ? sma.document : null,
  });
  expectStatus(res, 201);
  return json<{ id: string }>(res).id;
}

async function createBot(user: CreatedTestUser, strategyId: string, extra: Record<string, unknown> = {}) {
  return t.app.inject({
    method: 'POST',
    url: '/api/bots',
    headers: auth(user),
    payload: {
      name: 'bot',
      strategyId,
      mode: 'paper',
      variantIds: [card],
      interval: '1h',
      allocation: 100_000,
      ...extra,
    },
  });
}

describe('strategies', () => {
  it('lists the built-in templates', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/strategies/templates', headers: auth(alice) });
    expectStatus(res, 200);
    const ids = json<{ items: { id: string }[] }>(res).items.map((x) => x.id);
    expect(ids).toEqual(
      expect.arrayContaining(['sma-crossover', 'rsi-mean-reversion', 'bollinger-breakout', 'dca', 'grid']),
    );
  });

  it('stores a valid rules document as version 1 and an edit as version 2', async () => {
    const id = await rulesStrategyOf(alice);
    const edited = await t.app.inject({
      method: 'POST',
      url: `/api/strategies/${id}/versions`,
      headers: auth(alice),
      payload: { document: sma?.kind === 'rules' ? { ...sma.document, cooldownCandles: 3 } : null },
    });
    expectStatus(edited, 201);
    expect(json(edited)).toMatchObject({ id, latestVersion: 2, document: { cooldownCandles: 3 } });
    const read = await t.app.inject({ method: 'GET', url: `/api/strategies/${id}`, headers: auth(alice) });
    expect(json(read)).toMatchObject({ latestVersion: 2 });
  });

  it('refuses an invalid rules document naming the place inside it, writing nothing', async () => {
    const before = await counts();
    const res = await createStrategy(alice, {
      name: 'broken',
      kind: 'rules',
      document: {
        version: 1,
        entry: {
          when: { cross: 'above', left: { indicator: 'sma', period: 0 }, right: { indicator: 'sma', period: 20 } },
          size: { kind: 'fixed', quantity: 1 },
        },
      },
    });
    expectProblem(res, 400, 'validation_failed');
    const fields = json<{ errors: { field: string }[] }>(res).errors.map((e) => e.field);
    expect(fields.some((f) => f.startsWith('body.document/entry/when/left'))).toBe(true);
    expect(await counts()).toEqual(before);
  });

  it('refuses code that does not compile, naming the source', async () => {
    const before = await counts();
    const res = await createStrategy(alice, {
      name: 'bad',
      kind: 'code',
      source: 'function decide(input) { return [ }',
    });
    expectProblem(res, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(res).errors[0]?.field).toBe('body.source');
    expect(await counts()).toEqual(before);
  });

  it('accepts code that compiles', async () => {
    const res = await createStrategy(alice, {
      name: 'noop',
      kind: 'code',
      source: 'function decide(input) { return { intents: [] }; }',
    });
    expectStatus(res, 201);
    expect(json(res)).toMatchObject({ kind: 'code', latestVersion: 1 });
  });

  it("hides another user's strategy", async () => {
    const id = await rulesStrategyOf(alice);
    const read = await t.app.inject({ method: 'GET', url: `/api/strategies/${id}`, headers: auth(bob) });
    expectProblem(read, 404, 'not_found');
    const edit = await t.app.inject({
      method: 'POST',
      url: `/api/strategies/${id}/versions`,
      headers: auth(bob),
      payload: { document: {} },
    });
    expectProblem(edit, 404, 'not_found');
    const list = await t.app.inject({ method: 'GET', url: '/api/strategies', headers: auth(bob) });
    expect(json<{ items: unknown[] }>(list).items).toHaveLength(0);
  });

  it('needs a signed-in caller on every route', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, url] of [
      ['GET', '/api/strategies'],
      ['POST', '/api/strategies'],
      ['GET', '/api/strategies/templates'],
      ['GET', `/api/strategies/${id}`],
      ['GET', '/api/bots'],
      ['POST', '/api/bots'],
      ['GET', `/api/bots/${id}/runs`],
      ['GET', `/api/bots/${id}/parity`],
      ['POST', `/api/bots/${id}/stop`],
      ['POST', `/api/admin/bots/${id}/pause`],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expectProblem(res, 401, 'unauthorized');
    }
  });
});

describe('bots', () => {
  it('creates a stopped bot and lists it', async () => {
    const strategyId = await rulesStrategyOf(bob);
    const res = await createBot(bob, strategyId);
    expectStatus(res, 201);
    expect(json(res)).toMatchObject({ status: 'stopped', mode: 'paper', strategyVersion: 1, variantIds: [card] });
    const list = await t.app.inject({ method: 'GET', url: '/api/bots?limit=1', headers: auth(bob) });
    expect(json<{ items: unknown[] }>(list).items).toHaveLength(1);
  });

  it('refuses unknown cards and another user’s strategy, writing nothing', async () => {
    const strategyId = await rulesStrategyOf(alice);
    const before = await counts();
    const unknown = await createBot(alice, strategyId, { variantIds: [card, '00000000-0000-4000-8000-000000000001'] });
    expectProblem(unknown, 400, 'validation_failed');
    expect(json<{ errors: { field: string }[] }>(unknown).errors.map((e) => e.field)).toEqual(['body.variantIds/1']);
    const foreign = await createBot(bob, strategyId);
    expectProblem(foreign, 404, 'not_found');
    const badVersion = await createBot(alice, strategyId, { strategyVersion: 9 });
    expectProblem(badVersion, 400, 'validation_failed');
    const badInterval = await createBot(alice, strategyId, { interval: '2m' });
    expectProblem(badInterval, 400, 'validation_failed');
    expect(await counts()).toEqual(before);
  });

  it('keeps another user out of a bot and admins-only actions from other roles', async () => {
    const strategyId = await rulesStrategyOf(alice);
    const bot = json<{ id: string }>(await createBot(alice, strategyId));
    for (const [method, url] of [
      ['GET', `/api/bots/${bot.id}`],
      ['GET', `/api/bots/${bot.id}/runs`],
      ['GET', `/api/bots/${bot.id}/orders`],
      ['GET', `/api/bots/${bot.id}/performance`],
      ['GET', `/api/bots/${bot.id}/parity`],
      ['POST', `/api/bots/${bot.id}/start`],
      ['DELETE', `/api/bots/${bot.id}`],
    ] as const) {
      const res = await t.app.inject({ method, url, headers: auth(bob) });
      expectProblem(res, 404, 'not_found');
    }
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/bots/${bot.id}`,
      headers: auth(bob),
      payload: { name: 'mine' },
    });
    expectProblem(patch, 404, 'not_found');
    for (const user of [bob, moderator]) {
      const res = await t.app.inject({ method: 'POST', url: `/api/admin/bots/${bot.id}/pause`, headers: auth(user) });
      expectProblem(res, 403, 'forbidden');
    }
  });

  it('starts, pauses (also by an admin), resumes and stops a paper bot', async () => {
    const strategyId = await rulesStrategyOf(alice);
    const bot = json<{ id: string }>(await createBot(alice, strategyId));
    const act = (action: string, user = alice) =>
      t.app.inject({ method: 'POST', url: `/api/bots/${bot.id}/${action}`, headers: auth(user) });
    const started = await act('start');
    expectStatus(started, 200);
    expect(json(started)).toMatchObject({ status: 'running', pauseReason: null });
    expect(json<{ nextRunAt: string }>(started).nextRunAt).not.toBeNull();
    expectProblem(await act('start'), 409, 'bot_state');
    const edit = await t.app.inject({
      method: 'PATCH',
      url: `/api/bots/${bot.id}`,
      headers: auth(alice),
      payload: { interval: '5m' },
    });
    expectProblem(edit, 409, 'bot_state');
    const paused = await t.app.inject({ method: 'POST', url: `/api/admin/bots/${bot.id}/pause`, headers: auth(admin) });
    expect(json(paused)).toMatchObject({ status: 'paused', pauseReason: 'paused by an admin', nextRunAt: null });
    expect(json(await act('start'))).toMatchObject({ status: 'running' });
    expect(json(await act('stop'))).toMatchObject({ status: 'stopped' });
    const renamed = await t.app.inject({
      method: 'PATCH',
      url: `/api/bots/${bot.id}`,
      headers: auth(alice),
      payload: { name: 'renamed', interval: '5m', settings: { maxDrawdownPct: 20 } },
    });
    expect(json(renamed)).toMatchObject({ name: 'renamed', interval: '5m', settings: { maxDrawdownPct: 20 } });
    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/bots/${bot.id}`, headers: auth(alice) });
    expectStatus(deleted, 204);
    expectProblem(
      await t.app.inject({ method: 'GET', url: `/api/bots/${bot.id}`, headers: auth(alice) }),
      404,
      'not_found',
    );
  });

  it('refuses a running bot’s deletion and a bot beyond the per-user limit', async () => {
    const carol = await createTestUser(t);
    const strategyId = await rulesStrategyOf(carol);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push(json<{ id: string }>(await createBot(carol, strategyId)).id);
    expectProblem(await createBot(carol, strategyId), 409, 'bot_limit');
    await t.app.inject({ method: 'POST', url: `/api/bots/${ids[0]}/start`, headers: auth(carol) });
    expectProblem(
      await t.app.inject({ method: 'DELETE', url: `/api/bots/${ids[0]}`, headers: auth(carol) }),
      409,
      'bot_state',
    );
  });

  it('needs a verified email to create a bot', async () => {
    const unverified = await createTestUser(t, { verified: false });
    const strategyId = await rulesStrategyOf(unverified);
    const res = await createBot(unverified, strategyId);
    expect(res.statusCode).toBe(403);
  });
});
