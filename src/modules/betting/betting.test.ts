import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import {
  auth,
  bettor,
  coins,
  createEvent,
  expectReconciled,
  inHours,
  placeBet,
  startBettingApp,
  startEvent,
  twoMarkets,
  walletOf,
  writes,
  type EventView,
} from '../../../test/support/betting.ts';

/*
 * The betting API as its users meet it: events with both market types and their odds, placing and
 * cancelling bets, the refusals (moved odds, closed events, unknown outcomes, limits, bad input,
 * with nothing written), my bets with profit and ROI, and who may call what.
 */

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let event: EventView;
const db = () => t.runtime.ctx.db;

beforeAll(async () => {
  t = await startBettingApp();
  admin = await createTestUser(t, { role: 'admin' });
  alice = await bettor(t);
  bob = await bettor(t);
  event = await createEvent(t, admin);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function freshEvent(): Promise<EventView> {
  return createEvent(t, admin);
}

describe('events', () => {
  it('lists open events with each market’s outcomes, odds, takeout or overround and limits', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/betting/events?status=open' });
    expectStatus(res, 200);
    const page = json<{ items: (EventView & { bettingOpen: boolean })[] }>(res);
    const found = page.items.find((e) => e.id === event.id);
    expect(found?.bettingOpen).toBe(true);
    const [pool, fixed] = found?.markets ?? [];
    expect(pool?.takeoutBps).toBe(1000);
    expect(pool?.outcomes.map((o) => o.odds)).toEqual([null, null]);
    // Even weights, 5% margin: 1 / (0.5 × 1.05) = 1.904 → 1.90 each; the overround shown is what the prices carry.
    expect(fixed?.outcomes.map((o) => o.odds)).toEqual([1900, 1900]);
    expect(fixed?.overroundBps).toBe(526);
    expect(fixed).toHaveProperty('limits.minStake', 100);
  });

  it('filters by kind and status and pages with the platform cursor', async () => {
    await freshEvent();
    const first = await t.app.inject({ method: 'GET', url: '/api/betting/events?kind=admin&limit=1' });
    expectStatus(first, 200);
    const page = json<{ items: EventView[]; nextCursor: string | null }>(first);
    expect(page.items).toHaveLength(1);
    expect(page.nextCursor).not.toBeNull();
    const next = await t.app.inject({
      method: 'GET',
      url: `/api/betting/events?kind=admin&limit=1&cursor=${page.nextCursor}`,
    });
    expect(json<{ items: EventView[] }>(next).items[0]?.id).not.toBe(page.items[0]?.id);
    const none = await t.app.inject({ method: 'GET', url: '/api/betting/events?kind=card_price' });
    expect(json<{ items: EventView[] }>(none).items).toEqual([]);
    const bad = await t.app.inject({ method: 'GET', url: '/api/betting/events?cursor=nope' });
    expectProblem(bad, 400, 'validation_failed');
  });

  it('shows one event; an unknown id answers 404', async () => {
    expectStatus(await t.app.inject({ method: 'GET', url: `/api/betting/events/${event.id}` }), 200);
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/betting/events/0190a0a0-0000-7000-8000-000000000000',
    });
    expectProblem(res, 404, 'not_found');
  });
});

describe('placing bets', () => {
  it('escrows the stake and moves the parimutuel odds with the pool', async () => {
    const e = await freshEvent();
    const before = await walletOf(db(), alice);
    const res = await placeBet(t, alice, e, 0, 0, 1000);
    expectStatus(res, 201);
    expect(json(res)).toMatchObject({ stake: 1000, status: 'open', cancellable: true, marketType: 'parimutuel' });
    expectStatus(await placeBet(t, bob, e, 0, 1, 3000), 201);
    expect(await walletOf(db(), alice)).toBe(before - 1000n);
    const view = json<EventView>(await t.app.inject({ method: 'GET', url: `/api/betting/events/${e.id}` }));
    // pool 4000, takeout 400: Red 3600/1000 = 3.6, Blue 3600/3000 = 1.2
    expect(view.markets[0]?.outcomes.map((o) => o.odds)).toEqual([3600, 1200]);
    await expectReconciled(db());
  });

  it('takes fixed odds at the price shown and shortens them as liability builds', async () => {
    const e = await freshEvent();
    const whale = await bettor(t, 2_000_000n);
    const res = await placeBet(t, whale, e, 1, 0, 1_000_000);
    expectStatus(res, 201);
    expect(json(res)).toMatchObject({ odds: 1900, potentialPayout: 1_900_000, cancellable: false });
    const view = json<EventView>(await t.app.inject({ method: 'GET', url: `/api/betting/events/${e.id}` }));
    expect(view.markets[1]?.outcomes[0]?.odds).toBeLessThan(1900);
    expect(view.markets[1]?.outcomes[1]?.odds).toBe(1900);
  });

  it('refuses with 409 and the new odds when they moved beyond the accepted change; nothing is written', async () => {
    const e = await freshEvent();
    expectStatus(await placeBet(t, bob, e, 1, 0, 500_000), 201);
    const before = await writes(db());
    const wallet = await walletOf(db(), alice);
    const res = await placeBet(t, alice, e, 1, 0, 1000, { odds: 1900 });
    expectProblem(res, 409, 'odds_changed');
    const body = json<{ currentOdds: number; seenOdds: number }>(res);
    expect(body.seenOdds).toBe(1900);
    expect(body.currentOdds).toBeLessThan(1900);
    expect(await writes(db())).toEqual(before);
    expect(await walletOf(db(), alice)).toBe(wallet);
    // Within a wide enough tolerance the bet stands, at the current odds.
    const ok = await placeBet(t, alice, e, 1, 0, 1000, { odds: 1900, oddsTolerance: 5000 });
    expectStatus(ok, 201);
    expect(json(ok)).toMatchObject({ odds: body.currentOdds });
  });

  it('refuses bad input with a 4xx naming the field and writes nothing', async () => {
    const e = await freshEvent();
    const other = await freshEvent();
    const pool = e.markets[0];
    const cases: [Record<string, unknown>, number, string, string][] = [
      [{ stake: -5 }, 400, 'validation_failed', 'stake'],
      [{ stake: 0 }, 400, 'validation_failed', 'stake'],
      [{ stake: 1.5 }, 400, 'validation_failed', 'stake'],
      [{ stake: 50 }, 422, 'stake_too_small', 'body.stake'],
      [{ stake: 2_000_000 }, 422, 'stake_too_large', 'body.stake'],
      [{ outcomeId: other.markets[0]?.outcomes[0]?.id }, 400, 'validation_failed', 'body.outcomeId'],
      [{ eventId: other.id }, 400, 'validation_failed', 'body.eventId'],
      [{ marketId: '0190a0a0-0000-7000-8000-000000000000' }, 400, 'validation_failed', 'body.marketId'],
      [{ extra: 1 }, 400, 'validation_failed', 'extra'],
      [{ stake: '100' }, 400, 'validation_failed', 'stake'],
    ];
    for (const [patch, status, code, field] of cases) {
      const before = await writes(db());
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/betting/place-bet',
        headers: auth(alice),
        payload: { eventId: e.id, marketId: pool?.id, outcomeId: pool?.outcomes[0]?.id, stake: 1000, ...patch },
      });
      expectProblem(res, status, code);
      expect(res.body).toContain(field);
      expect(await writes(db())).toEqual(before);
    }
    // Fixed odds need the odds the user saw.
    const fixed = e.markets[1];
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/betting/place-bet',
      headers: auth(alice),
      payload: { eventId: e.id, marketId: fixed?.id, outcomeId: fixed?.outcomes[0]?.id, stake: 1000 },
    });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body).toContain('body.odds');
  });

  it('closes betting when the event starts', async () => {
    const e = await freshEvent();
    await startEvent(db(), e.id);
    const before = await writes(db());
    expectProblem(await placeBet(t, alice, e, 0, 0, 1000), 409, 'market_closed');
    expect(await writes(db())).toEqual(before);
  });

  it('refuses a stake the wallet cannot cover', async () => {
    const poor = await bettor(t, 500n);
    const e = await freshEvent();
    const before = await writes(db());
    const res = await placeBet(t, poor, e, 0, 0, 1000);
    expectProblem(res, 422, 'insufficient_funds');
    expect(res.body).toContain('body.stake');
    expect(await writes(db())).toEqual(before);
    // A user who never held coins has no wallet: the same refusal, nothing written.
    const empty = await createTestUser(t);
    await t.app.inject({
      method: 'POST',
      url: '/api/betting/age-confirmation',
      headers: auth(empty),
      payload: { confirmed: true },
    });
    const mid = await writes(db());
    expectProblem(await placeBet(t, empty, e, 0, 0, 1000), 422, 'insufficient_funds');
    expect(await writes(db())).toEqual(mid);
  });

  it('enforces the per-user, per-outcome and payout caps, and suspends a market past its exposure limit', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/admin/betting/events',
      headers: auth(admin),
      payload: twoMarkets({
        markets: [
          {
            type: 'fixed',
            name: 'Capped',
            overroundBps: 0,
            outcomes: [
              { label: 'A', weight: 1 },
              { label: 'B', weight: 1 },
            ],
            limits: {
              maxPayout: 50_000,
              userLiabilityCap: 60_000,
              outcomeLiabilityCap: 100_000,
              suspendExposure: 70_000,
            },
          },
        ],
      }),
    });
    expectStatus(res, 201);
    const e = json<EventView>(res);
    const fresh = async () =>
      json<EventView>(await t.app.inject({ method: 'GET', url: `/api/betting/events/${e.id}` }));
    // Even odds 2.00: a 30 000 stake would win 60 000, over the 50 000 payout cap.
    expectProblem(await placeBet(t, alice, await fresh(), 0, 0, 30_000), 422, 'max_payout');
    expectStatus(await placeBet(t, alice, await fresh(), 0, 0, 20_000), 201);
    // 40 000 owed to alice already; another 15 000 at the shortened price passes her 60 000 cap.
    expectProblem(await placeBet(t, alice, await fresh(), 0, 0, 15_000), 422, 'user_liability');
    expectStatus(await placeBet(t, bob, await fresh(), 0, 0, 20_000), 201);
    const carol = await bettor(t);
    const third = await placeBet(t, carol, await fresh(), 0, 0, 20_000);
    expectProblem(third, 422, 'outcome_liability');
    expect(third.body).toContain('body.outcomeId');
    expect((await fresh()).markets[0]?.status).toBe('open');
  });

  it('suspends a market automatically when its exposure passes the limit; an operator resumes it', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/admin/betting/events',
      headers: auth(admin),
      payload: twoMarkets({
        markets: [
          {
            type: 'fixed',
            name: 'Hot',
            overroundBps: 0,
            outcomes: [
              { label: 'A', weight: 1 },
              { label: 'B', weight: 1 },
            ],
            limits: { suspendExposure: 5_000 },
          },
        ],
      }),
    });
    const e = json<EventView>(res);
    expectStatus(await placeBet(t, alice, e, 0, 0, 10_000), 201);
    const view = json<EventView>(await t.app.inject({ method: 'GET', url: `/api/betting/events/${e.id}` }));
    expect(view.markets[0]?.status).toBe('suspended');
    expectProblem(await placeBet(t, bob, view, 0, 1, 1000), 409, 'market_closed');
    const resume = await t.app.inject({
      method: 'POST',
      url: `/api/admin/betting/markets/${e.markets[0]?.id}/resume`,
      headers: auth(admin),
    });
    expectStatus(resume, 200);
    expect(json<EventView>(resume).markets[0]?.status).toBe('open');
  });
});

describe('cancelling and my bets', () => {
  it('cancels a parimutuel bet before the start, refunding the stake; fixed-odds bets never', async () => {
    const e = await freshEvent();
    const wallet = await walletOf(db(), alice);
    const pool = json<{ id: string }>(await placeBet(t, alice, e, 0, 0, 2000));
    const fixed = json<{ id: string }>(await placeBet(t, alice, e, 1, 0, 2000));
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/betting/bets/${pool.id}/cancel`,
      headers: auth(alice),
    });
    expectStatus(res, 200);
    expect(json(res)).toMatchObject({ status: 'cancelled', cancellable: false });
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/betting/bets/${pool.id}/cancel`,
      headers: auth(alice),
    });
    expectProblem(again, 409, 'bet_not_cancellable');
    const f = await t.app.inject({ method: 'POST', url: `/api/betting/bets/${fixed.id}/cancel`, headers: auth(alice) });
    expectProblem(f, 409, 'bet_not_cancellable');
    expect(await walletOf(db(), alice)).toBe(wallet - 2000n);
    const view = json<EventView>(await t.app.inject({ method: 'GET', url: `/api/betting/events/${e.id}` }));
    expect(view.markets[0]?.totalStaked).toBe(0);
    await expectReconciled(db());
  });

  it('cannot cancel after the event started, nor another user’s bet (404)', async () => {
    const e = await freshEvent();
    const bet = json<{ id: string }>(await placeBet(t, alice, e, 0, 0, 1000));
    const other = await t.app.inject({ method: 'POST', url: `/api/betting/bets/${bet.id}/cancel`, headers: auth(bob) });
    expectProblem(other, 404, 'not_found');
    await startEvent(db(), e.id);
    const late = await t.app.inject({
      method: 'POST',
      url: `/api/betting/bets/${bet.id}/cancel`,
      headers: auth(alice),
    });
    expectProblem(late, 409, 'bet_not_cancellable');
  });

  it('lists only my bets, newest first, in cursor pages', async () => {
    const me = await bettor(t);
    const e = await freshEvent();
    for (const stake of [100, 200, 300]) expectStatus(await placeBet(t, me, e, 0, 0, stake), 201);
    const res = await t.app.inject({ method: 'GET', url: '/api/betting/my-bets?limit=2', headers: auth(me) });
    expectStatus(res, 200);
    const page = json<{ items: { stake: number }[]; nextCursor: string; summary: { openStakes: number } }>(res);
    expect(page.items.map((b) => b.stake)).toEqual([300, 200]);
    expect(page.summary.openStakes).toBe(600);
    const next = await t.app.inject({
      method: 'GET',
      url: `/api/betting/my-bets?limit=2&cursor=${page.nextCursor}`,
      headers: auth(me),
    });
    expect(json<{ items: { stake: number }[] }>(next).items.map((b) => b.stake)).toEqual([100]);
    const theirs = await t.app.inject({ method: 'GET', url: '/api/betting/my-bets', headers: auth(bob) });
    expect(json<{ items: { stake: number }[] }>(theirs).items.some((b) => b.stake === 300)).toBe(false);
  });
});

describe('admin routes', () => {
  it('refuses bad events: past dates, opening after the start, duplicate or too few outcomes', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ startsAt: inHours(-1) }, 'body.startsAt'],
      [{ opensAt: inHours(30) }, 'body.opensAt'],
      [{ startsAt: 'tomorrow' }, 'startsAt'],
      [
        {
          markets: [{ type: 'parimutuel', name: 'x', outcomes: [{ label: 'A' }, { label: 'a' }] }],
        },
        'body.outcomes',
      ],
      [{ markets: [{ type: 'parimutuel', name: 'x', outcomes: [{ label: 'A' }] }] }, 'outcomes'],
      [
        { markets: [{ type: 'parimutuel', name: 'x', takeoutBps: -1, outcomes: [{ label: 'A' }, { label: 'B' }] }] },
        'takeoutBps',
      ],
    ];
    for (const [patch, field] of cases) {
      const before = await writes(db());
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/admin/betting/events',
        headers: auth(admin),
        payload: { ...twoMarkets(), ...patch },
      });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body).toContain(field);
      expect(await writes(db())).toEqual(before);
    }
  });

  it('refuses settling with an unknown outcome and settling before the start; writes nothing', async () => {
    const e = await freshEvent();
    const market = e.markets[0]?.id;
    const before = await writes(db());
    const unknown = await t.app.inject({
      method: 'POST',
      url: `/api/admin/betting/markets/${market}/settle`,
      headers: auth(admin),
      payload: { outcomeId: e.markets[1]?.outcomes[0]?.id },
    });
    expectProblem(unknown, 400, 'validation_failed');
    expect(unknown.body).toContain('body.outcomeId');
    const early = await t.app.inject({
      method: 'POST',
      url: `/api/admin/betting/markets/${market}/settle`,
      headers: auth(admin),
      payload: { outcomeId: e.markets[0]?.outcomes[0]?.id },
    });
    expectProblem(early, 409, 'market_state');
    const noReason = await t.app.inject({
      method: 'POST',
      url: `/api/admin/betting/markets/${market}/void`,
      headers: auth(admin),
      payload: {},
    });
    expectProblem(noReason, 400, 'validation_failed');
    expect(noReason.body).toContain('reason');
    expect(await writes(db())).toEqual(before);
  });
});

describe('authorization', () => {
  const bet = () => ({ method: 'POST' as const, url: '/api/betting/place-bet' });
  it('every user route needs a token', async () => {
    const routes: [string, string][] = [
      ['POST', '/api/betting/place-bet'],
      ['GET', '/api/betting/my-bets'],
      ['POST', `/api/betting/bets/${event.id}/cancel`],
      ['GET', '/api/betting/limits'],
      ['PUT', '/api/betting/limits'],
      ['POST', '/api/betting/self-exclusion'],
      ['POST', '/api/betting/age-confirmation'],
      ['POST', '/api/admin/betting/events'],
      ['POST', '/api/admin/betting/price-events'],
      ['POST', `/api/admin/betting/markets/${event.markets[0]?.id}/settle`],
      ['POST', `/api/admin/betting/markets/${event.markets[0]?.id}/void`],
      ['POST', `/api/admin/betting/markets/${event.markets[0]?.id}/correct`],
      ['POST', `/api/admin/betting/markets/${event.markets[0]?.id}/resume`],
    ];
    for (const [method, url] of routes) {
      const res = await t.app.inject({ method: method as 'POST', url, payload: {} });
      expectProblem(res, 401, 'unauthorized');
    }
    // Event lists are public.
    expectStatus(await t.app.inject({ method: 'GET', url: '/api/betting/events' }), 200);
  });

  it('plain users and moderators get 403 on every admin route', async () => {
    const moderator = await createTestUser(t, { role: 'moderator' });
    const market = event.markets[0]?.id;
    const routes: [string, unknown][] = [
      ['/api/admin/betting/events', twoMarkets()],
      ['/api/admin/betting/price-events', { variantId: event.id, threshold: 100, date: '2099-01-01' }],
      [`/api/admin/betting/markets/${market}/settle`, { outcomeId: event.markets[0]?.outcomes[0]?.id }],
      [`/api/admin/betting/markets/${market}/void`, { reason: 'x' }],
      [`/api/admin/betting/markets/${market}/correct`, { outcomeId: event.markets[0]?.outcomes[0]?.id, reason: 'x' }],
      [`/api/admin/betting/markets/${market}/resume`, undefined],
    ];
    for (const user of [alice, moderator]) {
      for (const [url, payload] of routes) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: auth(user),
          ...(payload ? { payload: payload as object } : {}),
        });
        expectProblem(res, 403, 'forbidden');
      }
    }
    expect((await t.app.inject({ method: 'GET', url: `/api/betting/events/${event.id}` })).json()).toMatchObject({
      markets: [{ status: 'open' }, { status: 'open' }],
    });
  });

  it('an unverified user cannot bet; another user’s bet and limits are not reachable', async () => {
    const unverified = await createTestUser(t, { verified: false });
    const res = await t.app.inject({ ...bet(), headers: auth(unverified), payload: {} });
    expectProblem(res, 403, 'email_not_verified');
    const mine = json<{ id: string }>(await placeBet(t, alice, await freshEvent(), 0, 0, 500));
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/api/betting/bets/${mine.id}/cancel`,
      headers: auth(bob),
    });
    expectProblem(cancel, 404, 'not_found');
    // Limits are always the caller's own: bob setting his does not touch alice's.
    await t.app.inject({
      method: 'PUT',
      url: '/api/betting/limits',
      headers: auth(bob),
      payload: { loss: { day: 100 } },
    });
    const hers = await t.app.inject({ method: 'GET', url: '/api/betting/limits', headers: auth(alice) });
    expect(json<{ limits: { loss: { day: number | null } } }>(hers).limits.loss.day).toBeNull();
    expect(await coins(db(), mine.id)).toBe(0n);
  });
});
