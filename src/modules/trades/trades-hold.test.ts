import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import type { TestApp } from '../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { grantCoins } from '../../../test/support/cards.ts';
import { releaseDueHolds } from '../fraud/index.ts';
import { reconcile } from '../ledger/index.ts';
import {
  act,
  auth,
  card,
  coins,
  createWorld,
  holding,
  none,
  propose,
  startTradesApp,
  type World,
} from '../../../test/support/trades.ts';

let t: TestApp;
let w: World;
let erin: CreatedTestUser;

interface OfferJson {
  id: string;
  status: string;
  hold: { reason: string; releaseAt: string; released: boolean } | null;
}

beforeAll(async () => {
  t = await startTradesApp();
  w = await createWorld(t);
  erin = await createTestUser(t);
  await grantCoins(t.runtime.ctx.db, w.alice.id, 100_000n);
});
afterAll(() => t.close());

const getOffer = (who: CreatedTestUser, id: string) =>
  t.app.inject({ method: 'GET', url: `/api/trades/${id}`, headers: auth(who) });

describe('fraud holds on trades between users', () => {
  it('shows no hold on an ordinary trade', async () => {
    const offer = expectStatus(
      await propose(t, w.alice, {
        to: w.bob.username,
        offered: { cards: [{ variantId: w.drake, quantity: 1 }], coins: 0 },
        requested: { cards: [{ variantId: w.golem, quantity: 1 }], coins: 0 },
      }),
      201,
    ).json<OfferJson>();
    expect(offer.hold).toBeNull();
    const accepted = expectStatus(await act(t, w.bob, offer.id, 'accept'), 200).json<OfferJson>();
    expect(accepted).toMatchObject({ status: 'accepted', hold: null });
    expect(await holding(t, w.bob.id, card(w.drake))).toBe(1n);
  });

  it('holds a high-value gift to a new account and shows the reason and release time on that trade', async () => {
    const erinBefore = await coins(t, erin.id);
    const gift = expectStatus(
      await propose(t, w.alice, {
        to: erin.username,
        offered: { cards: [{ variantId: w.drake, quantity: 2 }], coins: 60_000 },
        requested: none,
        message: 'For you',
      }),
      201,
    ).json<OfferJson>();
    const accepted = expectStatus(await act(t, erin, gift.id, 'accept'), 200).json<OfferJson>();
    expect(accepted.status).toBe('accepted');
    expect(accepted.hold).toMatchObject({ released: false, reason: expect.stringMatching(/new/) });

    // The gift sits in erin's hold escrow, not her wallet: she cannot pass it on.
    expect(await coins(t, erin.id)).toBe(erinBefore);
    expect(await holding(t, erin.id, card(w.drake))).toBe(0n);
    const passOn = await propose(t, erin, {
      to: w.carol.username,
      offered: { cards: [], coins: 1_000 },
      requested: none,
    });
    expectProblem(passOn, 409, 'insufficient_funds');

    const view = expectStatus(await getOffer(erin, gift.id), 200).json<OfferJson>();
    expect(view.hold).toEqual(accepted.hold);
    expect(Date.parse(view.hold?.releaseAt ?? '')).toBeGreaterThan(Date.now() + 71 * 3_600_000);
    // The hold is erin's business: the other party does not see why her side is held.
    expect(expectStatus(await getOffer(w.alice, gift.id), 200).json<OfferJson>().hold).toBeNull();
    const history = expectStatus(
      await t.app.inject({ method: 'GET', url: '/api/trades?box=history', headers: auth(erin) }),
      200,
    ).json<{ items: OfferJson[] }>();
    expect(history.items.find((o) => o.id === gift.id)?.hold).toEqual(accepted.hold);

    const flag = await t.runtime.ctx.db.execute<{ rule: string; severity: string }>(
      sql`SELECT rule, severity FROM fraud_flags WHERE reference = ${`trade.offer:${gift.id}`}`,
    );
    expect(flag.rows).toEqual([{ rule: 'new_account_gift', severity: 'high' }]);
    const notes = await t.runtime.ctx.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM notifications WHERE user_id = ${erin.id} AND type = 'fraud.hold'`,
    );
    expect(notes.rows[0]?.n).toBe(1);
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);

    // When the hold ends the gift is hers and the trade says so.
    expect(await releaseDueHolds(t.runtime.ctx.db, new Date(Date.now() + 73 * 3_600_000))).toBe(1);
    expect(await coins(t, erin.id)).toBe(erinBefore + 60_000n);
    expect(await holding(t, erin.id, card(w.drake))).toBe(2n);
    const after = expectStatus(await getOffer(erin, gift.id), 200).json<OfferJson>();
    expect(after.hold?.released).toBe(true);
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);
  });
});
