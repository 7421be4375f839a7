import type { Db } from '../../platform/db/tx.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { splitPayout } from './fees.ts';
import { COIN, balances, notify, systemShard, transfer, walletAccountId, type Leg } from './ports.ts';
import * as repo from './repo.ts';
import { coins, returnEscrow } from './service.ts';
import type { CampaignRow, PledgeRow } from './tables.ts';
import { movementId } from './transfer-ids.ts';

/*
 * Settlement at the deadline, exactly once however many runners overlap and wherever one stops:
 * 1. a conditional update closes each due campaign: `live` → `collecting` (goal reached) or
 *    `refunding` (missed); only one runner wins it;
 * 2. active pledges are settled in batches, each batch one transaction that locks its pledges
 *    (skipping ones another runner holds), moves value through the ledger (card rewards to the
 *    backers, or coins back to them) and marks them `collected`/`refunded`, so a pledge is settled
 *    exactly once and a crash loses at most the batch in flight, which rolls back whole;
 * 3. when no active pledge is left, one more conditional update finishes the campaign (`funded`:
 *    the escrow's coins go to the creator minus the fee, leftover reward cards back; `failed`:
 *    leftover cards back) in the same transaction as those transfers.
 */

export interface SettleOptions {
  now: Date;
  feeBps: number;
  /** Pledges per transaction. */
  batch?: number;
  /** Campaigns closed per run. */
  limit?: number;
}

/** Closes the due campaigns and settles every closed one; returns the ids finished by this run. */
export async function settleDue(db: Db, opts: SettleOptions): Promise<string[]> {
  const limit = opts.limit ?? 100;
  await withTransaction(db, (tx) => repo.closeDue(tx, opts.now, limit));
  const finished: string[] = [];
  for (const c of await repo.settlingCampaigns(db, limit)) {
    if (await settleCampaign(db, c.id, opts)) finished.push(c.id);
  }
  return finished;
}

/** Settles one closed campaign to its end; true when this call finished it. */
export async function settleCampaign(db: Db, id: string, opts: SettleOptions): Promise<boolean> {
  for (;;) {
    const step = await settleStep(db, id, opts);
    if (step !== 'more') return step === 'finished';
  }
}

/**
 * One step of settling a closed campaign, in one transaction: a batch of pledges, or the finish.
 * `more` when pledges remain; `finished` when this step finished it; `idle` when there is nothing
 * this runner can do (not closed, already finished, or the rest is locked by another runner).
 */
export async function settleStep(db: Db, id: string, opts: SettleOptions): Promise<'more' | 'finished' | 'idle'> {
  return withTransaction(db, async (tx) => {
    const campaign = await repo.findCampaign(tx, id);
    if (!campaign || (campaign.state !== 'collecting' && campaign.state !== 'refunding')) return 'idle';
    const pledges = await repo.lockActivePledges(tx, id, opts.batch ?? 50);
    if (pledges.length > 0) {
      if (campaign.state === 'collecting') await collect(tx, campaign, pledges, opts.now);
      else await refund(tx, campaign, pledges, opts.now);
      return 'more';
    }
    const done =
      campaign.state === 'collecting' ? await finishFunded(tx, campaign, opts) : await finishFailed(tx, campaign, opts);
    return done ? 'finished' : 'idle';
  });
}

/** Goal reached: each backer's tier cards leave escrow for their wallet; the pledges are collected. */
async function collect(tx: Db, campaign: CampaignRow, pledges: PledgeRow[], now: Date) {
  const tiers = await repo.tiersById(tx, [...new Set(pledges.flatMap((p) => (p.tierId ? [p.tierId] : [])))]);
  for (const p of pledges) {
    const cards = (p.tierId ? tiers.get(p.tierId)?.cards : undefined) ?? [];
    if (cards.length === 0) continue;
    await transfer(tx, {
      id: movementId(p.id, 'reward'),
      kind: 'crowdfunding.reward',
      reference: p.id,
      memo: `reward of ${campaign.title}`,
      legs: cards.map((card) => ({
        from: campaign.escrowAccountId,
        to: walletAccountId(p.backerId),
        asset: card.asset,
        amount: BigInt(card.copies),
      })),
    });
  }
  await repo.setPledgesStatus(
    tx,
    pledges.map((p) => p.id),
    'collected',
    now,
  );
  for (const p of pledges) {
    await notify(tx, {
      userId: p.backerId,
      type: 'crowdfunding.backed_funded',
      title: 'A campaign you backed is funded',
      body: `“${campaign.title}” reached its goal; your pledge of ${coins(p.amount)} was collected.`,
      data: { campaignId: campaign.id, pledgeId: p.id, tierId: p.tierId },
    });
  }
}

/** Goal missed: every pledge's coins go back from escrow to its backer. */
async function refund(tx: Db, campaign: CampaignRow, pledges: PledgeRow[], now: Date) {
  for (const p of pledges) {
    await transfer(tx, {
      id: movementId(p.id, 'refund'),
      kind: 'crowdfunding.refund',
      reference: p.id,
      memo: `${campaign.title} missed its goal`,
      legs: [{ from: campaign.escrowAccountId, to: walletAccountId(p.backerId), asset: COIN, amount: p.amount }],
    });
  }
  await repo.setPledgesStatus(
    tx,
    pledges.map((p) => p.id),
    'refunded',
    now,
  );
  for (const p of pledges) {
    await notify(tx, {
      userId: p.backerId,
      type: 'crowdfunding.refunded',
      title: 'Pledge refunded',
      body: `“${campaign.title}” did not reach its goal; your ${coins(p.amount)} are back in your wallet.`,
      data: { campaignId: campaign.id, pledgeId: p.id, amount: Number(p.amount) },
    });
  }
}

async function finishFunded(tx: Db, campaign: CampaignRow, opts: SettleOptions): Promise<boolean> {
  // Nothing moves the escrow's coins while the campaign is collecting (pledging and cancelling need
  // it live), so the balance read here is what the payout moves; the conditional update below lets
  // only one runner pay it.
  const [coinBalance] = await balances(tx, campaign.escrowAccountId, COIN);
  const { fee, payout } = splitPayout(coinBalance?.available ?? 0n, opts.feeBps);
  const row = await repo.transitionCampaign(
    tx,
    campaign.id,
    ['collecting'],
    'funded',
    { settledAt: opts.now, fee, payout },
    repo.noActivePledges(),
  );
  if (!row) return false;
  const legs: Leg[] = [];
  if (payout > 0n)
    legs.push({ from: row.escrowAccountId, to: walletAccountId(row.creatorId), asset: COIN, amount: payout });
  if (fee > 0n) legs.push({ from: row.escrowAccountId, to: systemShard('fees', row.id), asset: COIN, amount: fee });
  if (legs.length > 0) {
    await transfer(tx, { id: movementId(row.id, 'payout'), kind: 'crowdfunding.payout', reference: row.id, legs });
  }
  await returnEscrow(tx, row, 'crowdfunding.reward_return', [COIN]);
  await notify(tx, {
    userId: row.creatorId,
    type: 'crowdfunding.funded',
    title: 'Campaign funded',
    body: `“${row.title}” reached its goal: ${coins(payout)} paid to you after a fee of ${coins(fee)}.`,
    data: { campaignId: row.id, payout: Number(payout), fee: Number(fee) },
  });
  return true;
}

async function finishFailed(tx: Db, campaign: CampaignRow, opts: SettleOptions): Promise<boolean> {
  const row = await repo.transitionCampaign(
    tx,
    campaign.id,
    ['refunding'],
    'failed',
    { settledAt: opts.now },
    repo.noActivePledges(),
  );
  if (!row) return false;
  // Every pledge was refunded, so only reward cards are left to return.
  await returnEscrow(tx, row, 'crowdfunding.reward_return', [COIN]);
  await notify(tx, {
    userId: row.creatorId,
    type: 'crowdfunding.failed',
    title: 'Campaign not funded',
    body: `“${row.title}” missed its goal; every backer was refunded and your reward cards returned.`,
    data: { campaignId: row.id },
  });
  return true;
}
