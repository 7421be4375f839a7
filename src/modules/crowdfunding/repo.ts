import { and, asc, desc, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import {
  crowdfundingCampaigns as campaigns,
  crowdfundingPledges as pledges,
  crowdfundingTiers as tiers,
  crowdfundingUpdates as updates,
  type CampaignRow,
  type CampaignState,
  type PledgeRow,
  type PledgeStatus,
  type TierRow,
  type UpdateRow,
} from './tables.ts';

/* Every query of the crowdfunding module. */

// --- campaigns ---

export async function insertCampaign(db: Db, row: typeof campaigns.$inferInsert): Promise<CampaignRow> {
  const [created] = await db.insert(campaigns).values(row).returning();
  return created as CampaignRow;
}

export async function findCampaign(db: Db, id: string, lock = false): Promise<CampaignRow | null> {
  const q = db.select().from(campaigns).where(eq(campaigns.id, id));
  const [row] = lock ? await q.for('update') : await q;
  return row ?? null;
}

/**
 * Moves a campaign from one of `from` to `to` (with `patch`), only if it is still in one of them:
 * the state machine's every step is this conditional update, so two runners cannot both take it.
 */
export async function transitionCampaign(
  db: Db,
  id: string,
  from: readonly CampaignState[],
  to: CampaignState,
  patch: Partial<typeof campaigns.$inferInsert> = {},
  extra?: SQL,
): Promise<CampaignRow | null> {
  const [row] = await db
    .update(campaigns)
    .set({ ...patch, state: to, updatedAt: new Date() })
    .where(and(eq(campaigns.id, id), inArray(campaigns.state, [...from]), extra))
    .returning();
  return row ?? null;
}

/** `extra` for the final settlement step: nothing is left to collect or refund. */
export const noActivePledges = () =>
  sql`NOT EXISTS (SELECT 1 FROM ${pledges} p WHERE p.campaign_id = ${campaigns.id} AND p.status = 'active')`;

/** Adds a pledge to a campaign that is live and before its deadline at `now`; locks its row. */
export async function addPledged(db: Db, id: string, amount: bigint, now: Date): Promise<CampaignRow | null> {
  const [row] = await db
    .update(campaigns)
    .set({ pledged: sql`${campaigns.pledged} + ${amount}`, updatedAt: now })
    .where(and(eq(campaigns.id, id), eq(campaigns.state, 'live'), sql`${campaigns.deadline} > ${now}`))
    .returning();
  return row ?? null;
}

export async function subtractPledged(db: Db, id: string, amount: bigint, now: Date): Promise<void> {
  await db
    .update(campaigns)
    .set({ pledged: sql`${campaigns.pledged} - ${amount}`, updatedAt: now })
    .where(eq(campaigns.id, id));
}

/**
 * Closes every live campaign past its deadline at `now` (up to `limit`), in one statement: goal
 * reached → `collecting`, missed → `refunding`. Rows another runner is closing are skipped.
 */
export async function closeDue(db: Db, now: Date, limit: number): Promise<{ id: string; state: CampaignState }[]> {
  const r = await db.execute<{ id: string; state: CampaignState }>(sql`
    UPDATE ${campaigns} SET
      state = CASE WHEN pledged >= goal THEN 'collecting' ELSE 'refunding' END,
      updated_at = ${now}
    WHERE id IN (
      SELECT id FROM ${campaigns}
      WHERE state = 'live' AND deadline <= ${now}
      ORDER BY deadline, id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED)
      AND state = 'live'
    RETURNING id, state`);
  return r.rows;
}

/** Campaigns closed but not yet fully settled (a run stopped part way, or is in progress). */
export async function settlingCampaigns(db: Db, limit: number): Promise<{ id: string; state: CampaignState }[]> {
  return db
    .select({ id: campaigns.id, state: campaigns.state })
    .from(campaigns)
    .where(inArray(campaigns.state, ['collecting', 'refunding']))
    .orderBy(asc(campaigns.deadline), asc(campaigns.id))
    .limit(limit);
}

export type CampaignKeyset =
  | { sort: 'newest'; id: string }
  | { sort: 'ending_soon'; deadline: string; id: string }
  | { sort: 'most_funded'; pledged: string; id: string };

/** One page of campaigns in `states`, in the sort's keyset order, after the cursor's row. */
export function listCampaigns(
  db: Db,
  opts: {
    states: readonly CampaignState[];
    sort: CampaignKeyset['sort'];
    after?: CampaignKeyset;
    creatorId?: string;
    limit: number;
  },
): Promise<CampaignRow[]> {
  const where: (SQL | undefined)[] = [
    inArray(campaigns.state, [...opts.states]),
    opts.creatorId ? eq(campaigns.creatorId, opts.creatorId) : undefined,
  ];
  const a = opts.after;
  if (a?.sort === 'newest') where.push(lt(campaigns.id, a.id));
  if (a?.sort === 'ending_soon')
    where.push(sql`(${campaigns.deadline}, ${campaigns.id}) > (${a.deadline}::timestamptz, ${a.id}::uuid)`);
  if (a?.sort === 'most_funded')
    where.push(sql`(${campaigns.pledged}, ${campaigns.id}) < (${a.pledged}::bigint, ${a.id}::uuid)`);
  const order =
    opts.sort === 'ending_soon'
      ? [asc(campaigns.deadline), asc(campaigns.id)]
      : opts.sort === 'most_funded'
        ? [desc(campaigns.pledged), desc(campaigns.id)]
        : [desc(campaigns.id)];
  return db
    .select()
    .from(campaigns)
    .where(and(...where))
    .orderBy(...order)
    .limit(opts.limit);
}

/** Distinct backers whose pledge counts (active or collected), per campaign. */
export async function backerCounts(db: Db, campaignIds: readonly string[]): Promise<Map<string, number>> {
  if (campaignIds.length === 0) return new Map();
  const rows = await db
    .select({ id: pledges.campaignId, n: sql<number>`count(DISTINCT ${pledges.backerId})::int` })
    .from(pledges)
    .where(and(inArray(pledges.campaignId, [...campaignIds]), inArray(pledges.status, ['active', 'collected'])))
    .groupBy(pledges.campaignId);
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

// --- tiers ---

export async function insertTiers(db: Db, rows: (typeof tiers.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await db.insert(tiers).values(rows);
}

export function tiersOf(db: Db, campaignId: string): Promise<TierRow[]> {
  return db.select().from(tiers).where(eq(tiers.campaignId, campaignId)).orderBy(asc(tiers.position));
}

export async function tiersById(db: Db, ids: readonly string[]): Promise<Map<string, TierRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select()
    .from(tiers)
    .where(inArray(tiers.id, [...ids]));
  return new Map(rows.map((r) => [r.id, r]));
}

/** Takes one unit of a tier if any is left; null when sold out. */
export async function claimTierUnit(db: Db, tierId: string): Promise<TierRow | null> {
  const [row] = await db
    .update(tiers)
    .set({ claimed: sql`${tiers.claimed} + 1` })
    .where(and(eq(tiers.id, tierId), lt(tiers.claimed, tiers.quantity)))
    .returning();
  return row ?? null;
}

export async function releaseTierUnit(db: Db, tierId: string): Promise<void> {
  await db
    .update(tiers)
    .set({ claimed: sql`${tiers.claimed} - 1` })
    .where(eq(tiers.id, tierId));
}

// --- pledges ---

export async function insertPledge(db: Db, row: typeof pledges.$inferInsert): Promise<PledgeRow> {
  const [created] = await db.insert(pledges).values(row).returning();
  return created as PledgeRow;
}

export async function findPledge(db: Db, id: string): Promise<PledgeRow | null> {
  const [row] = await db.select().from(pledges).where(eq(pledges.id, id));
  return row ?? null;
}

/** Moves an active pledge to `to`; null when it was no longer active (someone else settled it). */
export async function closePledge(db: Db, id: string, to: PledgeStatus, now: Date): Promise<PledgeRow | null> {
  const [row] = await db
    .update(pledges)
    .set({ status: to, updatedAt: now })
    .where(and(eq(pledges.id, id), eq(pledges.status, 'active')))
    .returning();
  return row ?? null;
}

/**
 * Locks up to `limit` active pledges of a campaign for settling, skipping those another runner
 * holds: concurrent runners work on different pledges and never on the same one twice.
 */
export async function lockActivePledges(db: Db, campaignId: string, limit: number): Promise<PledgeRow[]> {
  return db
    .select()
    .from(pledges)
    .where(and(eq(pledges.campaignId, campaignId), eq(pledges.status, 'active')))
    .orderBy(asc(pledges.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

export async function setPledgesStatus(db: Db, ids: readonly string[], to: PledgeStatus, now: Date): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db
    .update(pledges)
    .set({ status: to, updatedAt: now })
    .where(and(inArray(pledges.id, [...ids]), eq(pledges.status, 'active')))
    .returning({ id: pledges.id });
  return rows.length;
}

export async function countActivePledges(db: Db, campaignId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(pledges)
    .where(and(eq(pledges.campaignId, campaignId), eq(pledges.status, 'active')));
  return Number(row?.n ?? 0);
}

export type PledgeWithCampaign = PledgeRow & { campaignTitle: string; campaignState: CampaignState };

export function pledgesOf(
  db: Db,
  backerId: string,
  opts: { limit: number; beforeId?: string; status?: PledgeStatus },
): Promise<PledgeWithCampaign[]> {
  return db
    .select({
      id: pledges.id,
      campaignId: pledges.campaignId,
      backerId: pledges.backerId,
      tierId: pledges.tierId,
      amount: pledges.amount,
      status: pledges.status,
      createdAt: pledges.createdAt,
      updatedAt: pledges.updatedAt,
      campaignTitle: campaigns.title,
      campaignState: campaigns.state,
    })
    .from(pledges)
    .innerJoin(campaigns, eq(campaigns.id, pledges.campaignId))
    .where(
      and(
        eq(pledges.backerId, backerId),
        opts.beforeId ? lt(pledges.id, opts.beforeId) : undefined,
        opts.status ? eq(pledges.status, opts.status) : undefined,
      ),
    )
    .orderBy(desc(pledges.id))
    .limit(opts.limit);
}

// --- updates ---

export async function insertUpdate(db: Db, row: typeof updates.$inferInsert): Promise<UpdateRow> {
  const [created] = await db.insert(updates).values(row).returning();
  return created as UpdateRow;
}

export function updatesOf(db: Db, campaignId: string, limit: number): Promise<UpdateRow[]> {
  return db.select().from(updates).where(eq(updates.campaignId, campaignId)).orderBy(desc(updates.id)).limit(limit);
}

/** Everyone with a pledge that counts, for notifying backers of an update. */
export async function backerIdsOf(db: Db, campaignId: string): Promise<string[]> {
  const rows = await db
    .selectDistinct({ id: pledges.backerId })
    .from(pledges)
    .where(and(eq(pledges.campaignId, campaignId), inArray(pledges.status, ['active', 'collected'])));
  return rows.map((r) => r.id);
}
