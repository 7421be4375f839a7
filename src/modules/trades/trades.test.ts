import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectStatus } from '../../../test/helpers/expect.ts';
import type { TestApp } from '../../../test/helpers/app.ts';
import { reconcile } from '../ledger/index.ts';
import { expireDue } from './service.ts';
import {
  act,
  auth,
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
  t = await startTradesApp();
  w = await createWorld(t);
});
afterAll(() => t.close());

interface OfferJson {
  id: string;
  status: string;
  proposerId: string;
  recipientId: string;
  replacesId: string | null;
}

async function offerDrakeForGolem(coinsOffered = 300) {
  const res = await propose(t, w.alice, {
    to: w.bob.username,
    offered: { cards: [{ variantId: w.drake, quantity: 2 }], coins: coinsOffered },
    requested: { cards: [{ variantId: w.golem, quantity: 1 }], coins: 0 },
    message: 'Two drakes for a golem?',
  });
  return expectStatus(res, 201).json<OfferJson>();
}

async function snapshot() {
  return {
    aliceDrake: await holding(t, w.alice.id, card(w.drake)),
    aliceGolem: await holding(t, w.alice.id, card(w.golem)),
    bobDrake: await holding(t, w.bob.id, card(w.drake)),
    bobGolem: await holding(t, w.bob.id, card(w.golem)),
    aliceCoins: await coins(t, w.alice.id),
    bobCoins: await coins(t, w.bob.id),
  };
}

describe('trade offers', () => {
  it('escrows the offer, and accepting swaps both sides with the books reconciled', async () => {
    const before = await snapshot();
    const offer = await offerDrakeForGolem();
    const escrowed = await snapshot();
    expect(escrowed.aliceDrake).toBe(before.aliceDrake - 2n);
    expect(escrowed.aliceCoins).toBe(before.aliceCoins - 300n);

    const incoming = expectStatus(
      await t.app.inject({ method: 'GET', url: '/api/trades?box=incoming', headers: auth(w.bob) }),
      200,
    ).json<{ items: OfferJson[] }>();
    expect(incoming.items.map((o) => o.id)).toContain(offer.id);

    const accepted = expectStatus(await act(t, w.bob, offer.id, 'accept'), 200).json<OfferJson>();
    expect(accepted.status).toBe('accepted');
    const after = await snapshot();
    expect(after).toEqual({
      aliceDrake: before.aliceDrake - 2n,
      aliceGolem: before.aliceGolem + 1n,
      bobDrake: before.bobDrake + 2n,
      bobGolem: before.bobGolem - 1n,
      aliceCoins: before.aliceCoins - 300n,
      bobCoins: before.bobCoins + 300n,
    });
    const notes = await t.runtime.ctx.db.execute<{ type: string }>(
      sql`SELECT type FROM notifications WHERE user_id = ${w.alice.id} ORDER BY id`,
    );
    expect(notes.rows.map((r) => r.type)).toContain('trade.offer_accepted');
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);

    const history = expectStatus(
      await t.app.inject({ method: 'GET', url: '/api/trades?box=history', headers: auth(w.alice) }),
      200,
    ).json<{ items: OfferJson[] }>();
    expect(history.items.map((o) => o.id)).toContain(offer.id);
    // A closed offer cannot be acted on again.
    expectStatus(await act(t, w.bob, offer.id, 'accept'), 409);
  });

  it('accepting without the requested items is refused with nothing moved', async () => {
    const offer = expectStatus(
      await propose(t, w.alice, {
        to: w.bob.id,
        offered: { cards: [], coins: 100 },
        requested: { cards: [{ variantId: w.golem, quantity: 50 }], coins: 0 },
      }),
      201,
    ).json<OfferJson>();
    const before = await snapshot();
    const res = await act(t, w.bob, offer.id, 'accept');
    expect(res.statusCode).toBe(409);
    expect(res.json<{ code: string }>().code).toBe('insufficient_funds');
    expect(await snapshot()).toEqual(before);
    const still = await t.app.inject({ method: 'GET', url: `/api/trades/${offer.id}`, headers: auth(w.bob) });
    expect(expectStatus(still, 200).json<OfferJson>().status).toBe('open');
    expectStatus(await act(t, w.alice, offer.id, 'cancel'), 200);
  });

  it.each(['decline', 'cancel'] as const)('%s returns the escrow to the proposer', async (action) => {
    const before = await snapshot();
    const offer = await offerDrakeForGolem(150);
    const who = action === 'decline' ? w.bob : w.alice;
    const closed = expectStatus(await act(t, who, offer.id, action), 200).json<OfferJson>();
    expect(closed.status).toBe(action === 'decline' ? 'declined' : 'cancelled');
    expect(await snapshot()).toEqual(before);
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);
  });

  it('expiry returns the escrow and the offer can no longer be accepted', async () => {
    const before = await snapshot();
    const offer = await offerDrakeForGolem(120);
    // Stands in for fourteen days passing.
    await t.runtime.ctx.db.execute(
      sql`UPDATE trade_offers SET expires_at = now() - interval '1 second' WHERE id = ${offer.id}`,
    );
    expect(await expireDue(t.runtime.ctx.db)).toBe(1);
    expect(await snapshot()).toEqual(before);
    const res = await act(t, w.bob, offer.id, 'accept');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 409, code: 'offer_not_open', currentStatus: 'expired' });
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);
  });

  it('a counter-offer closes the original, returns its escrow and offers back the other way', async () => {
    const before = await snapshot();
    const offer = await offerDrakeForGolem(200);
    const countered = expectStatus(
      await act(t, w.bob, offer.id, 'counter', {
        offered: { cards: [{ variantId: w.golem, quantity: 1 }], coins: 0 },
        requested: { cards: [{ variantId: w.drake, quantity: 3 }], coins: 0 },
        message: 'Three, then.',
      }),
      201,
    ).json<OfferJson>();
    expect(countered).toMatchObject({ proposerId: w.bob.id, recipientId: w.alice.id, replacesId: offer.id });
    const original = await t.app.inject({ method: 'GET', url: `/api/trades/${offer.id}`, headers: auth(w.alice) });
    expect(expectStatus(original, 200).json<OfferJson>().status).toBe('countered');
    const now = await snapshot();
    expect(now).toEqual({ ...before, bobGolem: before.bobGolem - 1n });

    expectStatus(await act(t, w.alice, countered.id, 'accept'), 200);
    expect(await snapshot()).toEqual({
      ...before,
      aliceDrake: before.aliceDrake - 3n,
      aliceGolem: before.aliceGolem + 1n,
      bobDrake: before.bobDrake + 3n,
      bobGolem: before.bobGolem - 1n,
    });
    expect((await reconcile(t.runtime.ctx.db)).ok).toBe(true);
  });
});
