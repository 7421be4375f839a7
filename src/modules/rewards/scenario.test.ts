import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import { act, createWorld, propose, startTradesApp, type World } from '../../../test/support/trades.ts';
import { expectBooksBalanced, payoutCounts, pointsOf } from '../../../test/support/rewards.ts';
import { badgesOfUsers } from './index.ts';
import { syncCatalogue } from './service.ts';

/*
 * End to end: an accepted trade emits `trades.completed` through the outbox; the rewards handler
 * records it for both parties, who earn "First Trade" and its points, once, even when the outbox
 * delivers the event again.
 */

let t: TestApp;
let w: World;
beforeAll(async () => {
  t = await startTradesApp();
  await syncCatalogue(t.runtime.ctx.db);
  w = await createWorld(t);
}, 120_000);
afterAll(async () => t?.close());

describe('rewards from real domain events', () => {
  it('pays both parties of an accepted trade once and shows the badge', async () => {
    const db = t.runtime.ctx.db;
    const offer = expectStatus(
      await propose(t, w.alice, {
        to: w.bob.username,
        offered: { cards: [{ variantId: w.drake, quantity: 1 }], coins: 0 },
        requested: { cards: [{ variantId: w.golem, quantity: 1 }], coins: 0 },
      }),
      201,
    ).json<{ id: string }>();
    expectStatus(await act(t, w.bob, offer.id, 'accept'), 200);
    await drainOutbox(t);
    // Deliver the stored event to the rewards handler once more, as an at-least-once outbox may.
    const stored = await db.execute<{ id: string; aggregate_id: string; payload: unknown; created_at: Date }>(
      sql`SELECT id, aggregate_id, payload, created_at FROM platform_outbox_events WHERE type = 'trades.completed'`,
    );
    expect(stored.rows).toHaveLength(1);
    const handler = t.runtime.ctx.events.handlersFor('trades.completed').find((h) => h.name === 'rewards.facts');
    for (const row of stored.rows) {
      await handler?.handle({
        id: row.id,
        type: 'trades.completed',
        aggregateType: 'trade',
        aggregateId: row.aggregate_id,
        payload: row.payload,
        createdAt: new Date(row.created_at),
        attempt: 2,
      });
    }

    const payouts = await payoutCounts(db, [w.alice.id, w.bob.id]);
    expect(payouts.get(`${w.alice.id}:achievement:first_trade`)).toBe(1);
    expect(payouts.get(`${w.bob.id}:achievement:first_trade`)).toBe(1);
    expect(await pointsOf(db, w.alice.id)).toBe(50n);
    const badges = await badgesOfUsers(db, [w.alice.id, w.carol.id]);
    expect(badges.get(w.alice.id)?.map((b) => b.code)).toEqual(['first_trade']);
    expect(badges.get(w.carol.id)).toEqual([]);
    await expectBooksBalanced(db);
  });
});
