import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { COIN, SYSTEM_ACCOUNTS, transfer, walletAccountId } from '../ledger/index.ts';
import * as repo from './repo.ts';
import { settleDue, settleStep } from './settle.ts';
import { movementId } from './transfer-ids.ts';
import {
  DAY_MS,
  campaignBody,
  cardsHeldBy,
  createCampaign,
  expectBooksBalanced,
  feesTotal,
  grantCoins,
  pledge,
  startCrowdfundingApp,
  total,
} from '../../../test/support/crowdfunding.ts';

/*
 * Settlement happens exactly once: duplicate job runs at the same time, runs repeated after the
 * end, and a crash part way (a step's transaction dying after it moved value) never pay, refund or
 * deliver twice, and the ledger reconciles after each.
 */

const FEE_BPS = 500;
let t: TestApp;
let creator: CreatedTestUser;
let backers: CreatedTestUser[];
let card: { asset: string; variantId: string };

beforeAll(async () => {
  t = await startCrowdfundingApp();
  const admin = await createTestUser(t, { role: 'admin' });
  creator = await createTestUser(t);
  backers = [];
  for (let i = 0; i < 5; i += 1) {
    const b = await createTestUser(t);
    await grantCoins(db(), b.id, 100_000n);
    backers.push(b);
  }
  card = await cardsHeldBy(t, admin, creator, 'CFSET', 50n);
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const db = () => t.runtime.ctx.db;
const wallet = (u: CreatedTestUser, asset?: string) => total(db(), walletAccountId(u.id), asset);
/** Transfers of `kind` about a campaign: referencing it or one of its pledges. */
const transfersOfKind = async (kind: string, campaignId: string) => {
  const r = await db().execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM ledger_transfers
    WHERE kind = ${kind}
      AND (reference = ${campaignId}
           OR reference IN (SELECT id::text FROM crowdfunding_pledges WHERE campaign_id = ${campaignId}))`);
  return r.rows[0]?.n ?? 0;
};
const crash = new Error('simulated crash');

async function campaignWithPledges(goal: number, deadline: Date, amounts: number[]) {
  const c = await createCampaign(
    t,
    creator,
    campaignBody(
      {
        goal,
        tiers: [
          {
            title: 'Card',
            description: '',
            minPledge: 1_000,
            quantity: 10,
            cards: [{ variantId: card.variantId, copies: 1 }],
          },
        ],
      },
      deadline,
    ),
  );
  for (const [i, amount] of amounts.entries()) {
    const backer = backers[i % backers.length];
    if (backer) await pledge(t, backer, { campaignId: c.id, amount, tierId: c.tiers[0]?.id });
  }
  return c;
}

describe('settlement runs exactly once', () => {
  it('under duplicate concurrent and repeated runs, the creator is paid once and each reward delivered once', async () => {
    const deadline = new Date(Date.now() + DAY_MS);
    const amounts = [10_000, 20_000, 30_000, 15_000, 25_000];
    const c = await campaignWithPledges(90_000, deadline, amounts);
    const before = { creator: await wallet(creator), fees: await feesTotal(db()) };
    const cardsBefore = await Promise.all(backers.map((b) => wallet(b, card.asset)));
    const opts = { now: new Date(deadline.getTime() + 1000), feeBps: FEE_BPS, batch: 2 };

    const runs = await Promise.all([settleDue(db(), opts), settleDue(db(), opts), settleDue(db(), opts)]);
    expect(runs.flat().filter((id) => id === c.id)).toHaveLength(1);
    expect(await settleDue(db(), opts)).toEqual([]);

    // 100 000 pledged: 5 000 fee, 95 000 to the creator.
    expect(await wallet(creator)).toBe(before.creator + 95_000n);
    expect((await feesTotal(db())) - before.fees).toBe(5_000n);
    expect(await transfersOfKind('crowdfunding.payout', c.id)).toBe(1);
    expect(await transfersOfKind('crowdfunding.reward', c.id)).toBe(5);
    for (const [i, b] of backers.entries()) expect(await wallet(b, card.asset)).toBe((cardsBefore[i] ?? 0n) + 1n);
    expect((await repo.findCampaign(db(), c.id))?.state).toBe('funded');
    await expectBooksBalanced(db());
  });

  it('resumes after a crash between steps without refunding anyone twice', async () => {
    const deadline = new Date(Date.now() + 2 * DAY_MS);
    const start = await Promise.all(backers.map((b) => wallet(b)));
    const c = await campaignWithPledges(10_000_000, deadline, [3_000, 4_000, 5_000, 6_000]);
    const opts = { now: new Date(deadline.getTime() + 1000), feeBps: FEE_BPS, batch: 1 };

    // A run that dies inside its transaction leaves nothing behind: the campaign is still live.
    await expect(
      withTransaction(db(), async (tx) => {
        await settleDue(tx, opts);
        throw crash;
      }),
    ).rejects.toBe(crash);
    expect((await repo.findCampaign(db(), c.id))?.state).toBe('live');
    const pledged = [3_000n, 4_000n, 5_000n, 6_000n, 0n];
    expect(await Promise.all(backers.map((b) => wallet(b)))).toEqual(start.map((s, i) => s - (pledged[i] ?? 0n)));

    // Close it and settle one pledge, then crash in the middle of the next step.
    await withTransaction(db(), (tx) => repo.closeDue(tx, opts.now, 10));
    expect(await settleStep(db(), c.id, opts)).toBe('more');
    await expect(
      withTransaction(db(), async (tx) => {
        expect(await settleStep(tx, c.id, opts)).toBe('more');
        throw crash;
      }),
    ).rejects.toBe(crash);
    expect(await repo.countActivePledges(db(), c.id)).toBe(3);
    expect((await repo.findCampaign(db(), c.id))?.state).toBe('refunding');

    // The next scheduled runs finish it; every backer is whole again, exactly.
    expect(await settleDue(db(), opts)).toContain(c.id);
    expect(await settleDue(db(), opts)).toEqual([]);
    expect(await Promise.all(backers.map((b) => wallet(b)))).toEqual(start);
    expect(await transfersOfKind('crowdfunding.refund', c.id)).toBe(4);
    expect((await repo.findCampaign(db(), c.id))?.state).toBe('failed');
    await expectBooksBalanced(db());

    // Even a path that skipped the pledge's status could not refund it twice: the ledger refuses the id.
    const [first] = await repo.pledgesOf(db(), backers[0]?.id ?? '', { limit: 1 });
    const escrow = (await repo.findCampaign(db(), c.id))?.escrowAccountId ?? '';
    await expect(
      transfer(db(), {
        id: movementId(first?.id ?? '', 'refund'),
        kind: 'crowdfunding.refund',
        legs: [{ from: SYSTEM_ACCOUNTS.gateway, to: escrow, asset: COIN, amount: 1n }],
      }),
    ).rejects.toMatchObject({ code: 'transfer_exists' });
  });

  it('a crash in the final payout step rolls back whole and the retry pays once', async () => {
    const deadline = new Date(Date.now() + 3 * DAY_MS);
    const c = await campaignWithPledges(5_000, deadline, [2_000, 3_000]);
    const before = { creator: await wallet(creator), fees: await feesTotal(db()) };
    const opts = { now: new Date(deadline.getTime() + 1000), feeBps: FEE_BPS, batch: 10 };
    await withTransaction(db(), (tx) => repo.closeDue(tx, opts.now, 10));
    expect(await settleStep(db(), c.id, opts)).toBe('more');
    await expect(
      withTransaction(db(), async (tx) => {
        expect(await settleStep(tx, c.id, opts)).toBe('finished');
        throw crash;
      }),
    ).rejects.toBe(crash);
    expect(await wallet(creator)).toBe(before.creator);
    expect((await repo.findCampaign(db(), c.id))?.state).toBe('collecting');

    expect(await settleDue(db(), opts)).toEqual([c.id]);
    expect(await wallet(creator)).toBe(before.creator + 4_750n);
    expect((await feesTotal(db())) - before.fees).toBe(250n);
    expect(await transfersOfKind('crowdfunding.payout', c.id)).toBe(1);
    await expectBooksBalanced(db());
  });
});
