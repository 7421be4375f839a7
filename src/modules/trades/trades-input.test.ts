import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import type { TestApp } from '../../../test/helpers/app.ts';
import {
  act,
  auth,
  createWorld,
  none,
  propose,
  startTradesApp,
  writtenRows,
  type World,
} from '../../../test/support/trades.ts';

let t: TestApp;
let w: World;
let offerId: string;

beforeAll(async () => {
  t = await startTradesApp();
  w = await createWorld(t);
  const res = await propose(t, w.alice, {
    to: w.bob.username,
    offered: { cards: [{ variantId: w.drake, quantity: 1 }], coins: 0 },
    requested: { cards: [{ variantId: w.golem, quantity: 1 }], coins: 0 },
  });
  offerId = expectStatus(res, 201).json<{ id: string }>().id;
});
afterAll(() => t.close());

const drake = () => ({ cards: [{ variantId: w.drake, quantity: 1 }], coins: 0 });

describe('refused proposals write nothing', () => {
  const cases: [string, () => Record<string, unknown>, number, string | null][] = [
    ['an empty offer', () => ({ to: w.bob.username, offered: none, requested: none }), 422, 'empty_offer'],
    [
      'a negative quantity',
      () => ({
        to: w.bob.username,
        offered: { cards: [{ variantId: w.drake, quantity: -1 }], coins: 0 },
        requested: none,
      }),
      400,
      null,
    ],
    [
      'a zero quantity',
      () => ({
        to: w.bob.username,
        offered: { cards: [{ variantId: w.drake, quantity: 0 }], coins: 0 },
        requested: none,
      }),
      400,
      null,
    ],
    ['negative coins', () => ({ to: w.bob.username, offered: { cards: [], coins: -5 }, requested: none }), 400, null],
    [
      'an unknown variant offered',
      () => ({
        to: w.bob.username,
        offered: { cards: [{ variantId: '01900000-0000-7000-8000-000000000000', quantity: 1 }], coins: 0 },
        requested: none,
      }),
      422,
      'unknown_variant',
    ],
    [
      'an unknown variant requested',
      () => ({
        to: w.bob.username,
        offered: drake(),
        requested: { cards: [{ variantId: '01900000-0000-7000-8000-000000000000', quantity: 1 }], coins: 0 },
      }),
      422,
      'unknown_variant',
    ],
    [
      'cards the proposer does not own',
      () => ({
        to: w.bob.username,
        offered: { cards: [{ variantId: w.spare, quantity: 1 }], coins: 0 },
        requested: none,
      }),
      409,
      'insufficient_funds',
    ],
    [
      'more coins than held',
      () => ({ to: w.bob.username, offered: { cards: [], coins: 10_000_000 }, requested: none }),
      409,
      'insufficient_funds',
    ],
    ['an offer to oneself', () => ({ to: w.alice.username, offered: drake(), requested: none }), 422, 'self_trade'],
    [
      'an unknown recipient',
      () => ({ to: 'nobody-here', offered: drake(), requested: none }),
      404,
      'recipient_not_found',
    ],
    [
      'a variant twice on one side',
      () => ({
        to: w.bob.username,
        offered: { cards: [...drake().cards, ...drake().cards], coins: 0 },
        requested: none,
      }),
      422,
      'duplicate_variant',
    ],
    [
      'a message over 500 characters',
      () => ({ to: w.bob.username, offered: drake(), requested: none, message: 'x'.repeat(501) }),
      400,
      null,
    ],
    ['an unknown field', () => ({ to: w.bob.username, offered: drake(), requested: none, extra: 1 }), 400, null],
  ];

  it.each(cases)('%s', async (_, body, status, code) => {
    const before = await writtenRows(t);
    const res = await propose(t, w.alice, body());
    if (code) expectProblem(res, status, code);
    else expect(res.statusCode, res.body).toBe(status);
    expect(await writtenRows(t)).toEqual(before);
  });
});

describe('only the right party may act', () => {
  it.each([
    ['accept', 'alice', 403],
    ['decline', 'alice', 403],
    ['counter', 'alice', 403],
    ['cancel', 'bob', 403],
    ['accept', 'carol', 404],
    ['decline', 'carol', 404],
    ['cancel', 'carol', 404],
    ['counter', 'carol', 404],
  ] as const)('%s by %s → %i, nothing written', async (action, who, status) => {
    const before = await writtenRows(t);
    const body = action === 'counter' ? { offered: drake(), requested: none } : undefined;
    const res = await act(t, w[who], offerId, action, body);
    expect(res.statusCode, res.body).toBe(status);
    expect(await writtenRows(t)).toEqual(before);
  });

  it('the offer is visible to its parties and admins only', async () => {
    const get = (who: keyof Pick<World, 'alice' | 'bob' | 'carol' | 'admin'>) =>
      t.app.inject({ method: 'GET', url: `/api/trades/${offerId}`, headers: auth(w[who]) });
    for (const who of ['alice', 'bob', 'admin'] as const) expectStatus(await get(who), 200);
    expectStatus(await get('carol'), 404);
    const list = await t.app.inject({ method: 'GET', url: '/api/trades?box=incoming', headers: auth(w.carol) });
    expect(expectStatus(list, 200).json<{ items: unknown[] }>().items).toEqual([]);
  });
});

describe('open offer limit', () => {
  it('refuses a proposal past the configured number of open offers', async () => {
    const limited = await startTradesApp({ env: { TRADES_MAX_OPEN_OFFERS: '2' } });
    try {
      const lw = await createWorld(limited);
      const body = { to: lw.bob.username, offered: { cards: [], coins: 10 }, requested: none };
      expectStatus(await propose(limited, lw.alice, body), 201);
      expectStatus(await propose(limited, lw.alice, body), 201);
      const before = await writtenRows(limited);
      expectProblem(await propose(limited, lw.alice, body), 409, 'too_many_open_offers');
      expect(await writtenRows(limited)).toEqual(before);
    } finally {
      await limited.close();
    }
  });
});
