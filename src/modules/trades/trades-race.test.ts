import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from '../../../test/helpers/expect.ts';
import type { TestApp } from '../../../test/helpers/app.ts';
import { onPostgres } from '../../../test/helpers/db.ts';
import { reconcile } from '../ledger/index.ts';
import {
  act,
  card,
  coins,
  createWorld,
  holding,
  propose,
  startTradesApp,
  type World,
} from '../../../test/support/trades.ts';

let t: TestApp;
let w: World;

beforeAll(async () => {
  if (!onPostgres) return;
  t = await startTradesApp();
  w = await createWorld(t);
});
afterAll(async () => {
  if (onPostgres) await t.close();
});

describe('racing answers to one offer', () => {
  it.skipIf(!onPostgres)('accept racing cancel: exactly one wins and the books reconcile', async () => {
    for (let round = 0; round < 6; round++) {
      const before = {
        aliceDrake: await holding(t, w.alice.id, card(w.drake)),
        bobDrake: await holding(t, w.bob.id, card(w.drake)),
        aliceCoins: await coins(t, w.alice.id),
        bobCoins: await coins(t, w.bob.id),
      };
      const offer = expectStatus(
        await propose(t, w.alice, {
          to: w.bob.username,
          offered: { cards: [{ variantId: w.drake, quantity: 1 }], coins: 0 },
          requested: { cards: [], coins: 50 },
        }),
        201,
      ).json<{ id: string }>();
      const [accepted, cancelled] = await Promise.all([
        act(t, w.bob, offer.id, 'accept'),
        act(t, w.alice, offer.id, 'cancel'),
      ]);
      const codes = [accepted.statusCode, cancelled.statusCode].sort();
      expect(codes, `${accepted.body} ${cancelled.body}`).toEqual([200, 409]);
      const swapped = accepted.statusCode === 200;
      // The loser finds the offer already closed by the state change, before any ledger movement.
      const loser = swapped ? cancelled : accepted;
      expect(loser.json<{ code: string }>().code).toBe('offer_not_open');
      expect({
        aliceDrake: await holding(t, w.alice.id, card(w.drake)),
        bobDrake: await holding(t, w.bob.id, card(w.drake)),
        aliceCoins: await coins(t, w.alice.id),
        bobCoins: await coins(t, w.bob.id),
      }).toEqual(
        swapped
          ? {
              aliceDrake: before.aliceDrake - 1n,
              bobDrake: before.bobDrake + 1n,
              aliceCoins: before.aliceCoins + 50n,
              bobCoins: before.bobCoins - 50n,
            }
          : before,
      );
    }
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);
  });
});
