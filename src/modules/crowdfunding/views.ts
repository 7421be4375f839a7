import type { Static } from 'typebox';
import type { Campaign, CampaignUpdate, Pledge, Tier } from './schemas.ts';
import type { PledgeWithCampaign } from './repo.ts';
import type { CampaignRow, TierRow, UpdateRow } from './tables.ts';

/* How the crowdfunding module's rows look in replies: numbers for amounts, ISO strings for times. */

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const num = (v: bigint | null) => (v === null ? null : Number(v));

export function campaignView(row: CampaignRow, backers: number): Static<typeof Campaign> {
  return {
    id: row.id,
    creatorId: row.creatorId,
    title: row.title,
    description: row.description,
    goal: Number(row.goal),
    pledged: Number(row.pledged),
    // Two decimals, from integers: no float drift on the way.
    progressPct: Number((row.pledged * 10_000n) / row.goal) / 100,
    backers,
    state: row.state,
    deadline: row.deadline.toISOString(),
    fee: num(row.fee),
    payout: num(row.payout),
    rejectReason: row.rejectReason,
    createdAt: row.createdAt.toISOString(),
    settledAt: iso(row.settledAt),
  };
}

export function tierView(row: TierRow): Static<typeof Tier> {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    minPledge: Number(row.minPledge),
    quantity: row.quantity,
    claimed: row.claimed,
    remaining: row.quantity - row.claimed,
    cards: row.cards.map((c) => ({ variantId: c.variantId, copies: c.copies })),
  };
}

export function updateView(row: UpdateRow): Static<typeof CampaignUpdate> {
  return {
    id: row.id,
    campaignId: row.campaignId,
    title: row.title,
    body: row.body,
    createdAt: row.createdAt.toISOString(),
  };
}

export function pledgeView(row: PledgeWithCampaign): Static<typeof Pledge> {
  return {
    id: row.id,
    campaignId: row.campaignId,
    campaignTitle: row.campaignTitle,
    campaignState: row.campaignState,
    tierId: row.tierId,
    amount: Number(row.amount),
    status: row.status,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
