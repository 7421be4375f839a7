import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { getProfile, setLimits } from './play-service.ts';
import {
  auth,
  bettor,
  createEvent,
  grantCoins,
  placeBet,
  startBettingApp,
  writes,
  type EventView,
} from '../../../test/support/betting.ts';

/*
 * Responsible play: the age confirmation before the first bet, loss and deposit limits (lowering
 * at once, raising only after the delay), cool-off and self-exclusion that stop bets and wallet
 * deposits and cannot be lifted or shortened.
 */

let t: TestApp;
let admin: CreatedTestUser;
let event: EventView;
const db = () => t.runtime.ctx.db;

beforeAll(async () => {
  t = await startBettingApp({ BETTING_LIMIT_RAISE_DELAY_HOURS: '24' });
  admin = await createTestUser(t, { role: 'admin' });
  event = await createEvent(t, admin);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const put = (u: CreatedTestUser, payload: unknown) =>
  t.app.inject({ method: 'PUT', url: '/api/betting/limits', headers: auth(u), payload: payload as object });
const exclude = (u: CreatedTestUser, payload: unknown) =>
  t.app.inject({ method: 'POST', url: '/api/betting/self-exclusion', headers: auth(u), payload: payload as object });
const deposit = (u: CreatedTestUser, amount: number) =>
  t.app.inject({ method: 'POST', url: '/api/wallet/deposit', headers: auth(u), payload: { amount } });

type Profile = {
  limits: { deposit: Record<string, number | null>; loss: Record<string, number | null> };
  pending: { effectiveFrom: string } | null;
  coolOffUntil: string | null;
  excludedUntil: string | null;
};

describe('age confirmation', () => {
  it('is required before the first bet; nothing is written until then', async () => {
    const u = await createTestUser(t);
    await grantCoins(db(), u.id, 10_000n);
    const before = await writes(db());
    expectProblem(await placeBet(t, u, event, 0, 0, 1000), 403, 'age_not_confirmed');
    expect(await writes(db())).toEqual(before);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/betting/age-confirmation',
      headers: auth(u),
      payload: { confirmed: false },
    });
    expectProblem(bad, 400, 'validation_failed');
    expect(bad.body).toContain('confirmed');
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/betting/age-confirmation',
      headers: auth(u),
      payload: { confirmed: true },
    });
    expectStatus(ok, 200);
    expect(json(ok)).toMatchObject({ ageConfirmed: true });
    expectStatus(await placeBet(t, u, event, 0, 0, 1000), 201);
  });
});

describe('loss limits', () => {
  it('refuse a stake that would pass the limit, naming the stake', async () => {
    const u = await bettor(t);
    expectStatus(await put(u, { loss: { day: 1500 } }), 200);
    expectStatus(await placeBet(t, u, event, 0, 0, 1000), 201);
    const before = await writes(db());
    const res = await placeBet(t, u, event, 0, 0, 600);
    expectProblem(res, 403, 'loss_limit');
    expect(res.body).toContain('body.stake');
    expect(await writes(db())).toEqual(before);
    expectStatus(await placeBet(t, u, event, 0, 0, 500), 201);
  });

  it('lowering applies at once; raising or removing waits for the delay', async () => {
    const u = await bettor(t);
    expectStatus(await put(u, { loss: { week: 5000 } }), 200);
    const lower = json<Profile>(await put(u, { loss: { week: 2000 } }));
    expect(lower.limits.loss.week).toBe(2000);
    expect(lower.pending).toBeNull();
    const raise = json<Profile>(await put(u, { loss: { week: 9000 }, deposit: { month: null } }));
    expect(raise.limits.loss.week).toBe(2000);
    expect(raise.pending).not.toBeNull();
    const delay = new Date(raise.pending?.effectiveFrom ?? 0).getTime() - Date.now();
    expect(delay).toBeGreaterThan(23.9 * 3_600_000);
    // The raise still does not count for bets now.
    expectProblem(await placeBet(t, u, event, 0, 0, 2500), 403, 'loss_limit');
    const later = await getProfile(db(), u.id, new Date(Date.now() + 25 * 3_600_000));
    expect(later.limits.loss.week).toBe(9000);
    // Lowering again cancels the pending raise of that limit.
    const again = await setLimits(db(), u.id, { loss: { week: 1000 } }, 24);
    expect(again.limits.loss.week).toBe(1000);
    expect(again.pending).toEqual({
      limits: { deposit: { month: null } },
      effectiveFrom: raise.pending?.effectiveFrom,
    });
  });

  it('refuses bad limits naming the field', async () => {
    const u = await bettor(t);
    for (const [payload, field] of [
      [{ loss: { day: -1 } }, 'day'],
      [{ loss: { year: 5 } }, 'year'],
      [{ deposit: { week: 'lots' } }, 'week'],
    ] as const) {
      const before = await writes(db());
      const res = await put(u, payload);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body).toContain(field);
      expect(await writes(db())).toEqual(before);
    }
  });
});

describe('deposit limits and exclusions on the wallet', () => {
  it('the wallet’s deposits honour the deposit limit', async () => {
    const u = await bettor(t);
    expectStatus(await put(u, { deposit: { day: 1000 } }), 200);
    expectStatus(await deposit(u, 600), 201);
    const res = await deposit(u, 500);
    expectProblem(res, 403, 'deposit_limit');
    expect(res.body).toContain('body.amount');
    expectStatus(await deposit(u, 400), 201);
  });

  it('a cool-off stops bets and deposits, and cannot be shortened or lifted', async () => {
    const u = await bettor(t);
    const first = json<Profile>(await exclude(u, { kind: 'cool_off', days: 3 }));
    expect(first.coolOffUntil).not.toBeNull();
    expectProblem(await placeBet(t, u, event, 0, 0, 1000), 403, 'cooling_off');
    expectProblem(await deposit(u, 1000), 403, 'cooling_off');
    const shorter = json<Profile>(await exclude(u, { kind: 'cool_off', days: 1 }));
    expect(shorter.coolOffUntil).toBe(first.coolOffUntil);
    // Raising limits does not lift it either, and there is no route to end it.
    expectStatus(await put(u, { loss: { day: null } }), 200);
    expectProblem(await placeBet(t, u, event, 0, 0, 1000), 403, 'cooling_off');
    const lift = await t.app.inject({ method: 'DELETE', url: '/api/betting/self-exclusion', headers: auth(u) });
    expect(lift.statusCode).toBe(404);
  });

  it('self-exclusion stops bets and deposits and only extends', async () => {
    const u = await bettor(t);
    const bad = await exclude(u, { kind: 'self_exclusion', days: 30 });
    expectProblem(bad, 400, 'validation_failed');
    expect(bad.body).toContain('body.days');
    const first = json<Profile>(await exclude(u, { kind: 'self_exclusion', days: 180 }));
    expectProblem(await placeBet(t, u, event, 0, 0, 1000), 403, 'self_excluded');
    expectProblem(await deposit(u, 1000), 403, 'self_excluded');
    const longer = json<Profile>(await exclude(u, { kind: 'self_exclusion', days: 365 }));
    expect(new Date(longer.excludedUntil ?? 0).getTime()).toBeGreaterThan(new Date(first.excludedUntil ?? 0).getTime());
  });
});
