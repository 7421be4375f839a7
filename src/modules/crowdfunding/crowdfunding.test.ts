import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { json } from '../../../test/helpers/http.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { walletAccountId } from '../ledger/index.ts';
import * as repo from './repo.ts';
import { cancelPledge, contribute as contributeDirect, createCampaign as createCampaignDirect } from './service.ts';
import { settleDue } from './settle.ts';
import {
  DAY_MS,
  auth,
  campaign,
  campaignBody,
  cardsHeldBy,
  contribute,
  createCampaign,
  expectBooksBalanced,
  feesTotal,
  grantCoins,
  notificationsOf,
  pledge,
  startCrowdfundingApp,
  total,
  writes,
} from '../../../test/support/crowdfunding.ts';

/*
 * Campaigns end to end as creators and backers meet them: pledges into escrow, the deadline's
 * settlement (creator paid minus the fee and rewards delivered, or every backer refunded), cancelling
 * before the deadline, browsing and the review queue; balances checked to the minor unit and the
 * ledger reconciled after each.
 */

const FEE_BPS = 250;
let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let carol: CreatedTestUser;
let dave: CreatedTestUser;
let card: { asset: string; variantId: string };

beforeAll(async () => {
  t = await startCrowdfundingApp({ CROWDFUNDING_FEE_BPS: String(FEE_BPS) });
  admin = await createTestUser(t, { role: 'admin' });
  [alice, bob, carol, dave] = [
    await createTestUser(t),
    await createTestUser(t),
    await createTestUser(t),
    await createTestUser(t),
  ];
  card = await cardsHeldBy(t, admin, alice, 'CFE2E', 20n);
  for (const u of [bob, carol, dave]) await grantCoins(db(), u.id, 500_000n);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const db = () => t.runtime.ctx.db;
const wallet = (u: CreatedTestUser, asset?: string) => total(db(), walletAccountId(u.id), asset);

describe('a campaign that reaches its goal', () => {
  it('pays the creator the pledges minus the fee, credits the fee account and delivers card rewards', async () => {
    const deadline = new Date(Date.now() + 2 * DAY_MS);
    const created = await createCampaign(
      t,
      alice,
      campaignBody(
        {
          goal: 100_000,
          tiers: [
            {
              title: 'Collector',
              description: 'Two signed copies',
              minPledge: 5_000,
              quantity: 3,
              cards: [{ variantId: card.variantId, copies: 2 }],
            },
            { title: 'Supporter', description: 'Credits', minPledge: 1_000, quantity: 10 },
          ],
        },
        deadline,
      ),
    );
    expect(created.state).toBe('live');
    // quantity × copies of the reward cards moved into escrow at creation.
    expect(await wallet(alice, card.asset)).toBe(14n);
    const [collector, supporter] = created.tiers;
    if (!collector || !supporter) throw new Error('tiers missing');

    const before = {
      alice: await wallet(alice),
      bob: await wallet(bob),
      carol: await wallet(carol),
      dave: await wallet(dave),
      fees: await feesTotal(db()),
    };
    await pledge(t, bob, { campaignId: created.id, amount: 60_001, tierId: collector.id });
    await pledge(t, carol, { campaignId: created.id, amount: 45_000, tierId: supporter.id });
    const dropped = await pledge(t, dave, { campaignId: created.id, amount: 10_000, tierId: collector.id });
    expectStatus(
      await t.app.inject({
        method: 'POST',
        url: `/api/crowdfunding/pledges/${dropped.id}/cancel`,
        headers: auth(dave),
      }),
      200,
    );
    expect(await wallet(bob)).toBe(before.bob - 60_001n);
    expect(await wallet(dave)).toBe(before.dave);

    const progress = await campaign(t, created.id);
    expect(progress).toMatchObject({ pledged: 105_001, backers: 2, state: 'live' });
    expect(progress.tiers.map((x) => x.remaining)).toEqual([2, 9]);
    expect(await notificationsOf(db(), alice.id, 'crowdfunding.pledge_received')).toHaveLength(3);
    await expectBooksBalanced(db());

    const finished = await settleDue(db(), { now: new Date(deadline.getTime() + 1000), feeBps: FEE_BPS });
    expect(finished).toContain(created.id);

    // 105 001 × 2.5 % = 2 625.025 → fee 2 625 (rounded down), payout 102 376.
    expect(await wallet(alice)).toBe(before.alice + 102_376n);
    expect((await feesTotal(db())) - before.fees).toBe(2_625n);
    expect(await wallet(bob)).toBe(before.bob - 60_001n);
    expect(await wallet(carol)).toBe(before.carol - 45_000n);
    expect(await wallet(dave)).toBe(before.dave);
    // Bob's reward arrived; the two unclaimed units' copies went back to the creator.
    expect(await wallet(bob, card.asset)).toBe(2n);
    expect(await wallet(alice, card.asset)).toBe(18n);
    const row = await repo.findCampaign(db(), created.id);
    expect(await total(db(), row?.escrowAccountId ?? '')).toBe(0n);
    expect(await total(db(), row?.escrowAccountId ?? '', card.asset)).toBe(0n);

    const settled = await campaign(t, created.id);
    expect(settled).toMatchObject({ state: 'funded', fee: 2_625, payout: 102_376 });
    expect(await notificationsOf(db(), alice.id, 'crowdfunding.funded')).toHaveLength(1);
    expect(await notificationsOf(db(), bob.id, 'crowdfunding.backed_funded')).toHaveLength(1);
    expect(await notificationsOf(db(), carol.id, 'crowdfunding.backed_funded')).toHaveLength(1);
    expect(await notificationsOf(db(), dave.id, 'crowdfunding.backed_funded')).toHaveLength(0);

    const mine = json<{ items: { id: string; status: string; campaignState: string }[] }>(
      await t.app.inject({ method: 'GET', url: '/api/crowdfunding/my-pledges', headers: auth(dave) }),
    );
    expect(mine.items.find((p) => p.id === dropped.id)).toMatchObject({ status: 'cancelled', campaignState: 'funded' });
    await expectBooksBalanced(db());
  });
});

describe('a campaign that misses its goal', () => {
  it('refunds every backer in full and returns the reward cards; no fee is taken', async () => {
    const deadline = new Date(Date.now() + 3 * DAY_MS);
    const cardsBefore = await wallet(alice, card.asset);
    const created = await createCampaign(
      t,
      alice,
      campaignBody(
        {
          goal: 1_000_000,
          tiers: [
            {
              title: 'Collector',
              description: 'One copy',
              minPledge: 2_000,
              quantity: 4,
              cards: [{ variantId: card.variantId, copies: 1 }],
            },
          ],
        },
        deadline,
      ),
    );
    expect(await wallet(alice, card.asset)).toBe(cardsBefore - 4n);
    const before = {
      alice: await wallet(alice),
      bob: await wallet(bob),
      carol: await wallet(carol),
      fees: await feesTotal(db()),
    };
    await pledge(t, bob, { campaignId: created.id, amount: 30_000, tierId: created.tiers[0]?.id });
    await pledge(t, carol, { campaignId: created.id, amount: 12_345 });
    await pledge(t, carol, { campaignId: created.id, amount: 1 });
    expect(await wallet(carol)).toBe(before.carol - 12_346n);

    await settleDue(db(), { now: new Date(deadline.getTime() + 1000), feeBps: FEE_BPS });

    expect(await wallet(bob)).toBe(before.bob);
    expect(await wallet(carol)).toBe(before.carol);
    expect(await wallet(alice)).toBe(before.alice);
    expect(await feesTotal(db())).toBe(before.fees);
    expect(await wallet(alice, card.asset)).toBe(cardsBefore);
    expect(await wallet(bob, card.asset)).toBe(2n); // only the first campaign's reward
    const settled = await campaign(t, created.id);
    expect(settled).toMatchObject({ state: 'failed', fee: null, payout: null });
    expect(await notificationsOf(db(), carol.id, 'crowdfunding.refunded')).toHaveLength(2);
    expect(await notificationsOf(db(), bob.id, 'crowdfunding.refunded')).toHaveLength(1);
    expect(await notificationsOf(db(), alice.id, 'crowdfunding.failed')).toHaveLength(1);
    await expectBooksBalanced(db());
  });
});

describe('cancelling a pledge', () => {
  it('before the deadline refunds it and releases the tier unit; after it, it is refused', async () => {
    const deadline = new Date(Date.now() + 4 * DAY_MS);
    const created = await createCampaign(
      t,
      alice,
      campaignBody({ tiers: [{ title: 'Only one', description: 'Rare', minPledge: 1_000, quantity: 1 }] }, deadline),
    );
    const tierId = created.tiers[0]?.id;
    const start = await wallet(bob);
    const first = await pledge(t, bob, { campaignId: created.id, amount: 7_000, tierId });
    expectProblem(await contribute(t, carol, { campaignId: created.id, amount: 7_000, tierId }), 409, 'tier_sold_out');

    const cancel = (u: CreatedTestUser, id: string) =>
      t.app.inject({ method: 'POST', url: `/api/crowdfunding/pledges/${id}/cancel`, headers: auth(u) });
    expectProblem(await cancel(carol, first.id), 404, 'not_found');
    const cancelled = expectStatus(await cancel(bob, first.id), 200);
    expect(json(cancelled)).toMatchObject({ status: 'cancelled', amount: 7_000 });
    expect(await wallet(bob)).toBe(start);
    expect((await campaign(t, created.id)).tiers[0]).toMatchObject({ claimed: 0, remaining: 1 });
    expectProblem(await cancel(bob, first.id), 409, 'pledge_not_active');

    // The unit is free again: carol takes it.
    const second = await pledge(t, carol, { campaignId: created.id, amount: 7_000, tierId });
    const carolAfterPledge = await wallet(carol);
    const counted = await writes(db());
    // Past the deadline (the settlement has not run yet), cancelling is refused and nothing moves.
    await expect(cancelPledge(db(), carol.id, second.id, new Date(deadline.getTime() + 1))).rejects.toMatchObject({
      code: 'campaign_state',
      status: 409,
    });
    expect(await writes(db())).toEqual(counted);
    expect(await wallet(carol)).toBe(carolAfterPledge);

    await settleDue(db(), { now: new Date(deadline.getTime() + 1000), feeBps: FEE_BPS });
    expectProblem(await cancel(carol, second.id), 409, 'campaign_state');
    await expectBooksBalanced(db());
  });
});

describe('browsing', () => {
  it('sorts by ending soon, most funded and newest, and pages with keyset cursors', async () => {
    const base = Date.now() + 10 * DAY_MS;
    const made: string[] = [];
    for (const [i, amount] of [3_000, 9_000, 1_000, 5_000].entries()) {
      const c = await createCampaign(
        t,
        alice,
        campaignBody({ title: `Browse ${i}` }, new Date(base + (4 - i) * DAY_MS)),
      );
      await pledge(t, bob, { campaignId: c.id, amount });
      made.push(c.id);
    }
    const walk = async (sort: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = `/api/crowdfunding/campaigns?state=live&sort=${sort}&limit=1${cursor ? `&cursor=${cursor}` : ''}`;
        const page = json<{ items: { id: string }[]; nextCursor: string | null }>(
          expectStatus(await t.app.inject({ method: 'GET', url: q }), 200),
        );
        ids.push(...page.items.map((x) => x.id));
        cursor = page.nextCursor;
      } while (cursor);
      return ids.filter((id) => made.includes(id));
    };
    expect(await walk('ending_soon')).toEqual([...made].reverse());
    expect(await walk('most_funded')).toEqual([made[1], made[3], made[0], made[2]]);
    expect(await walk('newest')).toEqual([...made].reverse());

    const first = json<{ nextCursor: string }>(
      await t.app.inject({ method: 'GET', url: '/api/crowdfunding/campaigns?sort=most_funded&limit=1' }),
    );
    const foreign = await t.app.inject({
      method: 'GET',
      url: `/api/crowdfunding/campaigns?sort=ending_soon&cursor=${first.nextCursor}`,
    });
    expectProblem(foreign, 400, 'validation_failed');
    expect(foreign.json<{ errors: { field: string }[] }>().errors[0]?.field).toBe('query.cursor');
  });
});

describe('review before going live', () => {
  it('a pending campaign is hidden until an admin approves it; a rejected one returns its cards', async () => {
    const settings = { requireApproval: true, maxDays: 90 };
    const pending = await createCampaignDirect(db(), alice.id, campaignBody() as never, settings);
    expect(pending.state).toBe('pending_approval');
    const hidden = await t.app.inject({
      method: 'GET',
      url: `/api/crowdfunding/campaigns/${pending.id}`,
      headers: auth(bob),
    });
    expectProblem(hidden, 404, 'not_found');
    expect((await campaign(t, pending.id, alice)).state).toBe('pending_approval');
    expect((await campaign(t, pending.id, admin)).state).toBe('pending_approval');
    const browse = json<{ items: { id: string }[] }>(
      await t.app.inject({ method: 'GET', url: '/api/crowdfunding/campaigns?limit=100' }),
    );
    expect(browse.items.map((c) => c.id)).not.toContain(pending.id);
    expectProblem(await contribute(t, bob, { campaignId: pending.id, amount: 1_000 }), 400, 'validation_failed');

    const queue = json<{ items: { id: string }[] }>(
      await t.app.inject({ method: 'GET', url: '/api/admin/crowdfunding/campaigns', headers: auth(admin) }),
    );
    expect(queue.items.map((c) => c.id)).toContain(pending.id);
    const approved = await t.app.inject({
      method: 'POST',
      url: `/api/admin/crowdfunding/campaigns/${pending.id}/approve`,
      headers: auth(admin),
    });
    expect(json(expectStatus(approved, 200))).toMatchObject({ state: 'live' });
    await pledge(t, bob, { campaignId: pending.id, amount: 1_000 });
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/admin/crowdfunding/campaigns/${pending.id}/approve`,
      headers: auth(admin),
    });
    expectProblem(again, 409, 'campaign_state');

    const cardsBefore = await wallet(alice, card.asset);
    const withCards = await createCampaignDirect(
      db(),
      alice.id,
      campaignBody({
        tiers: [
          {
            title: 'C',
            description: '',
            minPledge: 1_000,
            quantity: 2,
            cards: [{ variantId: card.variantId, copies: 1 }],
          },
        ],
      }) as never,
      settings,
    );
    expect(await wallet(alice, card.asset)).toBe(cardsBefore - 2n);
    const rejected = await t.app.inject({
      method: 'POST',
      url: `/api/admin/crowdfunding/campaigns/${withCards.id}/reject`,
      headers: auth(admin),
      payload: { reason: 'Rewards unclear' },
    });
    expect(json(expectStatus(rejected, 200))).toMatchObject({ state: 'rejected', rejectReason: 'Rewards unclear' });
    expect(await wallet(alice, card.asset)).toBe(cardsBefore);
    expect(await notificationsOf(db(), alice.id, 'crowdfunding.rejected')).toHaveLength(1);
    await expectBooksBalanced(db());
  });
});

describe('creator updates', () => {
  it('the creator posts news that shows on the campaign; backers are told', async () => {
    const created = await createCampaign(t, alice, campaignBody({}, new Date(Date.now() + 30 * DAY_MS)));
    await pledge(t, bob, { campaignId: created.id, amount: 2_000 });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/crowdfunding/campaigns/${created.id}/updates`,
      headers: auth(alice),
      payload: { title: 'Printing started', body: 'The first proofs look great.' },
    });
    expectStatus(res, 201);
    const detail = await campaign(t, created.id);
    expect((detail as unknown as { updates: { title: string }[] }).updates.map((u) => u.title)).toEqual([
      'Printing started',
    ]);
    const events = await db().execute<{ n: number }>(
      // The backer's notification travels as an outbox request to the notifications module.
      sql`SELECT count(*)::int AS n FROM platform_outbox_events
        WHERE type = 'notifications.requested' AND payload->>'userId' = ${bob.id} AND payload->>'type' = 'crowdfunding.update'`,
    );
    expect(events.rows[0]?.n).toBe(1);
  });
});

describe('pledging safely', () => {
  it('a retried pledge with the same Idempotency-Key moves the coins once', async () => {
    const created = await createCampaign(t, alice, campaignBody({}, new Date(Date.now() + 31 * DAY_MS)));
    const before = await wallet(bob);
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/crowdfunding/contribute',
        headers: { ...auth(bob), 'idempotency-key': `pledge-${created.id}` },
        payload: { campaignId: created.id, amount: 3_333 },
      });
    const first = expectStatus(await send(), 201);
    const again = expectStatus(await send(), 201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(json(again)).toEqual(json(first));
    expect(await wallet(bob)).toBe(before - 3_333n);
    expect((await campaign(t, created.id)).pledged).toBe(3_333);
  });

  it('a pledge after the deadline is refused with nothing written, even before the settlement runs', async () => {
    const deadline = new Date(Date.now() + 32 * DAY_MS);
    const created = await createCampaign(t, alice, campaignBody({}, deadline));
    const before = { rows: await writes(db()), bob: await wallet(bob) };
    await expect(
      contributeDirect(db(), bob.id, { campaignId: created.id, amount: 1_000 }, new Date(deadline.getTime() + 1)),
    ).rejects.toMatchObject({ code: 'campaign_state', status: 409 });
    expect({ rows: await writes(db()), bob: await wallet(bob) }).toEqual(before);
  });
});
