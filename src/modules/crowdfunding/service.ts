import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { decodeCursor, decodeIdCursor, encodeCursor, pageById, UUID_PATTERN } from '../../platform/http/cursor.ts';
import {
  CampaignNotFoundError,
  CampaignStateError,
  CrowdfundingInputError,
  OwnCampaignError,
  PledgeNotActiveError,
  PledgeNotFoundError,
  TierSoldOutError,
} from './errors.ts';
import {
  COIN,
  balances,
  ensureWallet,
  findVariantRef,
  notify,
  openEscrow,
  requestNotification,
  transfer,
  walletAccountId,
  type Leg,
} from './ports.ts';
import * as repo from './repo.ts';
import {
  PUBLIC_STATES,
  type CampaignsQuery,
  type ContributeBody,
  type CreateCampaignBody,
  type MyPledgesQuery,
  type PageQuery,
  type UpdateBody,
} from './schemas.ts';
import type { CampaignRow, CampaignState, TierCard } from './tables.ts';
import { movementId } from './transfer-ids.ts';
import { campaignView, pledgeView, tierView, updateView } from './views.ts';

/*
 * Crowdfunding, all or nothing: pledges move from the backer's wallet into the campaign's escrow
 * account and stay there until the deadline; settlement (settle.ts) then pays the creator or
 * refunds every backer. Each change takes the campaign's row lock first, then the tier's, then the
 * ledger's balances, in that order everywhere.
 */

export interface CrowdfundingSettings {
  requireApproval: boolean;
  maxDays: number;
}

/** Who is looking: reviewers (admins) and the creator also see campaigns not public yet. */
export interface Viewer {
  userId?: string;
  reviewer?: boolean;
}

const DAY_MS = 86_400_000;
const ESCROW_PURPOSE = 'crowdfunding';
const isPublic = (state: CampaignState) => (PUBLIC_STATES as readonly string[]).includes(state);
export const coins = (minor: bigint) => `${(Number(minor) / 100).toFixed(2)} coins`;

/** A card reward's total copies per asset across tiers, checked against what the creator holds. */
async function checkRewardCards(db: Db, creatorId: string, body: CreateCampaignBody) {
  const perTier: TierCard[][] = [];
  const needed = new Map<string, { copies: bigint; field: string }>();
  for (const [i, tier] of body.tiers.entries()) {
    const cards: TierCard[] = [];
    for (const [j, card] of (tier.cards ?? []).entries()) {
      const field = `body.tiers.${i}.cards.${j}.variantId`;
      const ref = await findVariantRef(db, card.variantId.toLowerCase());
      if (!ref) throw new CrowdfundingInputError(field, 'is not a card variant');
      if (cards.some((c) => c.asset === ref.asset))
        throw new CrowdfundingInputError(field, 'is listed twice in this tier');
      cards.push({ variantId: ref.id, asset: ref.asset, copies: card.copies });
      const total = BigInt(card.copies) * BigInt(tier.quantity);
      const prior = needed.get(ref.asset);
      needed.set(ref.asset, { copies: (prior?.copies ?? 0n) + total, field: prior?.field ?? field });
    }
    perTier.push(cards);
  }
  for (const [asset, need] of needed) {
    const [held] = await balances(db, walletAccountId(creatorId), asset);
    const available = held?.available ?? 0n;
    if (available < need.copies) {
      throw new CrowdfundingInputError(
        need.field,
        `the tiers need ${need.copies} copies (quantity × copies) but you have ${available} available`,
      );
    }
  }
  return { perTier, needed };
}

/**
 * Creates a campaign: live at once, or waiting for an admin when approval is required. Card
 * rewards (each tier's quantity × copies) move from the creator's wallet into the campaign's
 * escrow now, so every backer's reward is there when the campaign succeeds.
 */
export async function createCampaign(
  db: Db,
  creatorId: string,
  body: CreateCampaignBody,
  settings: CrowdfundingSettings,
  now = new Date(),
) {
  const deadline = new Date(body.deadline);
  if (Number.isNaN(deadline.getTime())) throw new CrowdfundingInputError('body.deadline', 'is not a date');
  if (deadline <= now) throw new CrowdfundingInputError('body.deadline', 'must be in the future');
  if (deadline.getTime() > now.getTime() + settings.maxDays * DAY_MS) {
    throw new CrowdfundingInputError('body.deadline', `must be within ${settings.maxDays} days`);
  }
  const { perTier, needed } = await checkRewardCards(db, creatorId, body);
  return withTransaction(db, async (tx) => {
    const id = uuidv7();
    await ensureWallet(tx, creatorId);
    const escrow = await openEscrow(tx, { ownerId: creatorId, purpose: ESCROW_PURPOSE, reference: id });
    const row = await repo.insertCampaign(tx, {
      id,
      creatorId,
      title: body.title,
      description: body.description,
      goal: BigInt(body.goal),
      deadline,
      state: settings.requireApproval ? 'pending_approval' : 'live',
      escrowAccountId: escrow.id,
      createdAt: now,
      updatedAt: now,
    });
    await repo.insertTiers(
      tx,
      body.tiers.map((t, i) => ({
        id: uuidv7(),
        campaignId: id,
        position: i,
        title: t.title,
        description: t.description,
        minPledge: BigInt(t.minPledge),
        quantity: t.quantity,
        cards: perTier[i] ?? [],
      })),
    );
    const legs: Leg[] = [...needed].map(([asset, n]) => ({
      from: walletAccountId(creatorId),
      to: escrow.id,
      asset,
      amount: n.copies,
    }));
    // At most 10 tiers × 5 cards: always within one transfer's 64 legs.
    if (legs.length > 0) {
      await transfer(tx, {
        kind: 'crowdfunding.reward_escrow',
        reference: id,
        memo: `rewards of campaign ${body.title}`,
        legs,
        audit: { actor: { type: 'user', id: creatorId } },
      });
    }
    return detailOf(tx, row);
  });
}

async function detailOf(db: Db, row: CampaignRow) {
  const [tiers, updates, backers] = [
    await repo.tiersOf(db, row.id),
    await repo.updatesOf(db, row.id, 20),
    await repo.backerCounts(db, [row.id]),
  ];
  return {
    ...campaignView(row, backers.get(row.id) ?? 0),
    tiers: tiers.map(tierView),
    updates: updates.map(updateView),
  };
}

async function visibleCampaign(db: Db, viewer: Viewer, id: string): Promise<CampaignRow> {
  const row = await repo.findCampaign(db, id);
  if (!row) throw new CampaignNotFoundError();
  if (!isPublic(row.state) && !viewer.reviewer && row.creatorId !== viewer.userId) throw new CampaignNotFoundError();
  return row;
}

export async function getCampaign(db: Db, viewer: Viewer, id: string) {
  return detailOf(db, await visibleCampaign(db, viewer, id));
}

type Keyset = repo.CampaignKeyset;

function encodeKeyset(row: CampaignRow, sort: Keyset['sort']): string {
  if (sort === 'ending_soon') return encodeCursor([sort, row.deadline.toISOString(), row.id]);
  if (sort === 'most_funded') return encodeCursor([sort, row.pledged.toString(), row.id]);
  return encodeCursor([sort, row.id]);
}

/** Reads a browse cursor; it must come from a page of the same sort. */
function decodeKeyset(cursor: string | undefined, sort: Keyset['sort']): Keyset | undefined {
  return decodeCursor<Keyset>(cursor, (raw) => {
    if (!Array.isArray(raw) || raw[0] !== sort) return undefined;
    const id = raw.at(-1);
    if (typeof id !== 'string' || !UUID_PATTERN.test(id)) return undefined;
    if (sort === 'newest' && raw.length === 2) return { sort, id };
    const key = raw[1];
    if (raw.length !== 3 || typeof key !== 'string') return undefined;
    if (sort === 'ending_soon' && !Number.isNaN(Date.parse(key))) return { sort, deadline: key, id };
    if (sort === 'most_funded' && /^\d{1,19}$/.test(key)) return { sort, pledged: key, id };
    return undefined;
  });
}

/** Browse: public campaigns by state, newest, ending soonest or most funded first; keyset pages. */
export async function listCampaigns(db: Db, q: CampaignsQuery) {
  const rows = await repo.listCampaigns(db, {
    states: q.state ? [q.state] : PUBLIC_STATES,
    sort: q.sort,
    after: decodeKeyset(q.cursor, q.sort),
    limit: q.limit + 1,
  });
  return pageOf(db, rows, q.limit, (row) => encodeKeyset(row, q.sort));
}

async function pageOf(db: Db, rows: CampaignRow[], limit: number, cursorOf: (row: CampaignRow) => string) {
  const items = rows.slice(0, limit);
  const backers = await repo.backerCounts(
    db,
    items.map((r) => r.id),
  );
  const last = items.at(-1);
  return {
    items: items.map((r) => campaignView(r, backers.get(r.id) ?? 0)),
    nextCursor: rows.length > limit && last ? cursorOf(last) : null,
  };
}

/** Campaigns waiting for review, newest first (admins). */
export async function listPending(db: Db, q: PageQuery) {
  const before = decodeIdCursor(q.cursor);
  const rows = await repo.listCampaigns(db, {
    states: ['pending_approval'],
    sort: 'newest',
    after: before ? { sort: 'newest', id: before } : undefined,
    limit: q.limit + 1,
  });
  return pageOf(db, rows, q.limit, (row) => encodeCursor([row.id]));
}

/**
 * Pledges `amount` to a live campaign before its deadline, optionally for a tier (one of its
 * units, if any is left and the amount reaches its minimum). The coins move from the backer's
 * wallet into the campaign's escrow; short funds are a 409 `insufficient_funds` and nothing moves.
 */
export async function contribute(db: Db, backerId: string, body: ContributeBody, now = new Date()) {
  const campaignId = body.campaignId.toLowerCase();
  const amount = BigInt(body.amount);
  return withTransaction(db, async (tx) => {
    const found = await repo.findCampaign(tx, campaignId);
    if (!found || !isPublic(found.state)) throw new CrowdfundingInputError('body.campaignId', 'is not a campaign');
    if (found.creatorId === backerId) throw new OwnCampaignError();
    const tierId = body.tierId?.toLowerCase();
    if (tierId) {
      const tier = (await repo.tiersById(tx, [tierId])).get(tierId);
      if (!tier || tier.campaignId !== campaignId) {
        throw new CrowdfundingInputError('body.tierId', 'is not a reward tier of this campaign');
      }
      if (amount < tier.minPledge) {
        throw new CrowdfundingInputError('body.amount', `must be at least ${tier.minPledge} for this tier`);
      }
    }
    const campaign = await repo.addPledged(tx, campaignId, amount, now);
    if (!campaign) {
      throw new CampaignStateError(
        found.state,
        found.state === 'live' ? 'The campaign’s deadline has passed' : 'The campaign is not taking pledges',
      );
    }
    if (tierId && !(await repo.claimTierUnit(tx, tierId))) throw new TierSoldOutError(tierId);
    await ensureWallet(tx, backerId);
    const pledge = await repo.insertPledge(tx, {
      id: uuidv7(),
      campaignId,
      backerId,
      tierId: tierId ?? null,
      amount,
      createdAt: now,
      updatedAt: now,
    });
    await transfer(tx, {
      kind: 'crowdfunding.pledge',
      reference: pledge.id,
      memo: `pledge to ${campaign.title}`,
      legs: [{ from: walletAccountId(backerId), to: campaign.escrowAccountId, asset: COIN, amount }],
      audit: { actor: { type: 'user', id: backerId } },
    });
    await notify(tx, {
      userId: campaign.creatorId,
      type: 'crowdfunding.pledge_received',
      title: 'New pledge',
      body: `Someone pledged ${coins(amount)} to “${campaign.title}”.`,
      data: { campaignId, pledgeId: pledge.id, amount: Number(amount) },
    });
    return pledgeView({ ...pledge, campaignTitle: campaign.title, campaignState: campaign.state });
  });
}

/**
 * Cancels the backer's own active pledge while the campaign is live and before its deadline: the
 * coins return from escrow and the tier unit is released. After the deadline: 409.
 */
export async function cancelPledge(db: Db, backerId: string, pledgeId: string, now = new Date()) {
  return withTransaction(db, async (tx) => {
    const found = await repo.findPledge(tx, pledgeId);
    if (!found || found.backerId !== backerId) throw new PledgeNotFoundError();
    const campaign = await repo.findCampaign(tx, found.campaignId, true);
    if (!campaign) throw new PledgeNotFoundError();
    if (campaign.state !== 'live' || campaign.deadline <= now) {
      throw new CampaignStateError(campaign.state, 'Pledges can be cancelled only before the deadline');
    }
    const pledge = await repo.closePledge(tx, pledgeId, 'cancelled', now);
    if (!pledge) throw new PledgeNotActiveError(found.status);
    await repo.subtractPledged(tx, campaign.id, pledge.amount, now);
    if (pledge.tierId) await repo.releaseTierUnit(tx, pledge.tierId);
    await transfer(tx, {
      id: movementId(pledge.id, 'cancel'),
      kind: 'crowdfunding.cancel',
      reference: pledge.id,
      memo: `pledge to ${campaign.title} cancelled`,
      legs: [{ from: campaign.escrowAccountId, to: walletAccountId(backerId), asset: COIN, amount: pledge.amount }],
      audit: { actor: { type: 'user', id: backerId } },
    });
    return pledgeView({ ...pledge, campaignTitle: campaign.title, campaignState: campaign.state });
  });
}

export async function myPledges(db: Db, backerId: string, q: MyPledgesQuery) {
  const rows = await repo.pledgesOf(db, backerId, {
    limit: q.limit + 1,
    beforeId: decodeIdCursor(q.cursor),
    status: q.status,
  });
  return pageById(rows, q.limit, pledgeView);
}

/** The creator posts news; every backer is told (per their preferences). */
export async function postUpdate(db: Db, userId: string, campaignId: string, body: UpdateBody, now = new Date()) {
  return withTransaction(db, async (tx) => {
    const campaign = await repo.findCampaign(tx, campaignId);
    if (!campaign || campaign.creatorId !== userId) throw new CampaignNotFoundError();
    if (campaign.state === 'rejected') throw new CampaignStateError(campaign.state, 'The campaign was rejected');
    const row = await repo.insertUpdate(tx, {
      id: uuidv7(),
      campaignId,
      authorId: userId,
      title: body.title,
      body: body.body,
      createdAt: now,
    });
    for (const backer of await repo.backerIdsOf(tx, campaignId)) {
      await requestNotification(tx, {
        userId: backer,
        type: 'crowdfunding.update',
        title: `Update: ${campaign.title}`,
        body: body.title,
        data: { campaignId, updateId: row.id },
      });
    }
    return updateView(row);
  });
}

/** An admin lets a campaign waiting for review go live (its deadline must still be ahead). */
export async function approveCampaign(db: Db, reviewerId: string, id: string, now = new Date()) {
  return withTransaction(db, async (tx) => {
    const found = await repo.findCampaign(tx, id, true);
    if (!found) throw new CampaignNotFoundError();
    if (found.state !== 'pending_approval')
      throw new CampaignStateError(found.state, 'The campaign was already reviewed');
    if (found.deadline <= now) throw new CampaignStateError(found.state, 'The deadline has passed; reject it instead');
    const row = await repo.transitionCampaign(tx, id, ['pending_approval'], 'live', { reviewedBy: reviewerId });
    if (!row) throw new CampaignStateError(found.state, 'The campaign was already reviewed');
    await notify(tx, {
      userId: row.creatorId,
      type: 'crowdfunding.approved',
      title: 'Campaign approved',
      body: `“${row.title}” is live.`,
      data: { campaignId: id },
    });
    return detailOf(tx, row);
  });
}

/** An admin rejects a campaign waiting for review; its reward cards return to the creator. */
export async function rejectCampaign(db: Db, reviewerId: string, id: string, reason: string) {
  return withTransaction(db, async (tx) => {
    const row = await repo.transitionCampaign(tx, id, ['pending_approval'], 'rejected', {
      reviewedBy: reviewerId,
      rejectReason: reason,
    });
    if (!row) {
      const found = await repo.findCampaign(tx, id);
      if (!found) throw new CampaignNotFoundError();
      throw new CampaignStateError(found.state, 'The campaign was already reviewed');
    }
    await returnEscrow(tx, row, 'crowdfunding.reject');
    await notify(tx, {
      userId: row.creatorId,
      type: 'crowdfunding.rejected',
      title: 'Campaign rejected',
      body: `“${row.title}” was not approved: ${reason}`,
      data: { campaignId: id },
    });
    return detailOf(tx, row);
  });
}

/** Moves whatever the campaign's escrow still holds (coins and cards) to the creator. */
export async function returnEscrow(tx: Db, row: CampaignRow, kind: string, except: readonly string[] = []) {
  const held = (await balances(tx, row.escrowAccountId)).filter((b) => b.available > 0n && !except.includes(b.asset));
  const legs: Leg[] = held.map((b) => ({
    from: row.escrowAccountId,
    to: walletAccountId(row.creatorId),
    asset: b.asset,
    amount: b.available,
  }));
  // At most 10 tiers × 5 cards, plus coins: always within one transfer's 64 legs.
  if (legs.length > 0) await transfer(tx, { id: movementId(row.id, 'return'), kind, reference: row.id, legs });
}
