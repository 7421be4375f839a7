import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import {
  act,
  auth,
  createWorld,
  propose,
  startTradesApp,
  writtenRows,
  type World,
} from '../../../test/support/trades.ts';

// A user's block list, and what it stops: offers from the blocked user, counter-offers included.

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await startTradesApp();
  w = await createWorld(t);
});
afterAll(() => t.close());

const blocks = (path = '') => `/api/users/blocks${path}`;
const offer = () => ({
  to: w.bob.username,
  offered: { cards: [{ variantId: w.drake, quantity: 1 }], coins: 0 },
  requested: { cards: [], coins: 100 },
});

describe('block list', () => {
  it('needs a signed-in user, and each user sees only their own list', async () => {
    expectStatus(await t.app.inject({ url: blocks() }), 401);
    expectStatus(await t.app.inject({ method: 'PUT', url: blocks(`/${w.alice.username}`) }), 401);
    expectStatus(await t.app.inject({ method: 'DELETE', url: blocks(`/${w.alice.username}`) }), 401);

    const put = await t.app.inject({ method: 'PUT', url: blocks(`/${w.alice.username}`), headers: auth(w.carol) });
    expectStatus(put, 204);
    const carols = expectStatus(await t.app.inject({ url: blocks(), headers: auth(w.carol) }), 200).json();
    expect(carols.items.map((u: { username: string }) => u.username)).toEqual([w.alice.username]);
    const alices = expectStatus(await t.app.inject({ url: blocks(), headers: auth(w.alice) }), 200).json();
    expect(alices.items).toEqual([]);
    // Another user cannot lift carol's block: for them there is nothing to unblock.
    expectProblem(
      await t.app.inject({ method: 'DELETE', url: blocks(`/${w.alice.username}`), headers: auth(w.bob) }),
      404,
      'not_found',
    );
    expectStatus(
      await t.app.inject({ method: 'DELETE', url: blocks(`/${w.alice.username}`), headers: auth(w.carol) }),
      204,
    );
  });

  it('refuses unknown users and blocking oneself', async () => {
    expectProblem(
      await t.app.inject({ method: 'PUT', url: blocks('/nobody_at_all'), headers: auth(w.alice) }),
      404,
      'not_found',
    );
    expectProblem(
      await t.app.inject({ method: 'PUT', url: blocks(`/${w.alice.username}`), headers: auth(w.alice) }),
      422,
      'cannot_block_self',
    );
  });
});

describe('offers from a blocked user', () => {
  it('are refused and write nothing; counters too; unblocking lets them through again', async () => {
    // Alice offers before the block; bob then blocks her.
    const before = expectStatus(await propose(t, w.alice, offer()), 201).json<{ id: string }>();
    expectStatus(await t.app.inject({ method: 'PUT', url: blocks(`/${w.alice.username}`), headers: auth(w.bob) }), 204);
    const rows = await writtenRows(t);
    expectProblem(await propose(t, w.alice, offer()), 403, 'recipient_blocked');
    expect(await writtenRows(t)).toEqual(rows);

    // Bob blocked alice, so alice cannot counter bob's offers either.
    const fromBob = expectStatus(
      await propose(t, w.bob, {
        to: w.alice.username,
        offered: { cards: [{ variantId: w.golem, quantity: 1 }], coins: 0 },
        requested: { cards: [], coins: 50 },
      }),
      201,
    ).json<{ id: string }>();
    const counter = await act(t, w.alice, fromBob.id, 'counter', {
      offered: { cards: [], coins: 60 },
      requested: { cards: [{ variantId: w.golem, quantity: 1 }], coins: 0 },
    });
    expectProblem(counter, 403, 'recipient_blocked');

    // Bob can still act on what is already open.
    expectStatus(await act(t, w.bob, before.id, 'decline'), 200);
    expectStatus(
      await t.app.inject({ method: 'DELETE', url: blocks(`/${w.alice.username}`), headers: auth(w.bob) }),
      204,
    );
    expectStatus(await propose(t, w.alice, offer()), 201);
  });
});
