import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import {
  bettingBets,
  bettingEvents,
  bettingMarkets,
  bettingOutcomes,
  bettingProfiles,
  type BetRow,
  type BetStatus,
  type EventRow,
  type MarketRow,
  type MarketStatus,
  type OutcomeRow,
  type ProfileRow,
} from './tables.ts';

export async function insertEvent(db: Db, row: typeof bettingEvents.$inferInsert): Promise<EventRow> {
  const [created] = await db.insert(bettingEvents).values(row).returning();
  if (!created) throw new Error('event insert returned nothing');
  return created;
}

export async function insertMarket(db: Db, row: typeof bettingMarkets.$inferInsert): Promise<MarketRow> {
  const [created] = await db.insert(bettingMarkets).values(row).returning();
  if (!created) throw new Error('market insert returned nothing');
  return created;
}

export async function insertOutcomes(db: Db, rows: (typeof bettingOutcomes.$inferInsert)[]): Promise<OutcomeRow[]> {
  return db.insert(bettingOutcomes).values(rows).returning();
}

export async function findEvent(db: Db, id: string): Promise<EventRow | undefined> {
  const [row] = await db.select().from(bettingEvents).where(eq(bettingEvents.id, id));
  return row;
}

export async function updateEventSettlement(db: Db, id: string, settlement: unknown): Promise<void> {
  await db.update(bettingEvents).set({ settlement }).where(eq(bettingEvents.id, id));
}

export type EventFilter = 'open' | 'upcoming' | 'closed' | 'settled';

/** Events newest first; `status` is judged against `now` and the event's markets. */
export async function listEvents(
  db: Db,
  f: { status?: EventFilter; kind?: string; now: Date; limit: number; before?: string },
): Promise<EventRow[]> {
  const conditions = [];
  if (f.kind) conditions.push(eq(bettingEvents.kind, f.kind as EventRow['kind']));
  if (f.before) conditions.push(lt(bettingEvents.id, f.before));
  const live = sql`EXISTS (SELECT 1 FROM betting_markets m WHERE m.event_id = ${bettingEvents.id}
    AND m.status IN ('open', 'suspended', 'settling', 'voiding'))`;
  if (f.status === 'open') {
    conditions.push(sql`${bettingEvents.opensAt} <= ${f.now} AND ${bettingEvents.startsAt} > ${f.now}`, live);
  } else if (f.status === 'upcoming') {
    conditions.push(sql`${bettingEvents.opensAt} > ${f.now}`, live);
  } else if (f.status === 'closed') {
    conditions.push(sql`${bettingEvents.startsAt} <= ${f.now}`, live);
  } else if (f.status === 'settled') {
    conditions.push(sql`NOT ${live}`);
  }
  return db
    .select()
    .from(bettingEvents)
    .where(and(...conditions))
    .orderBy(desc(bettingEvents.id))
    .limit(f.limit);
}

export async function marketsOfEvents(db: Db, eventIds: readonly string[]): Promise<MarketRow[]> {
  if (eventIds.length === 0) return [];
  return db
    .select()
    .from(bettingMarkets)
    .where(inArray(bettingMarkets.eventId, [...eventIds]))
    .orderBy(bettingMarkets.id);
}

export async function outcomesOfMarkets(db: Db, marketIds: readonly string[]): Promise<OutcomeRow[]> {
  if (marketIds.length === 0) return [];
  return db
    .select()
    .from(bettingOutcomes)
    .where(inArray(bettingOutcomes.marketId, [...marketIds]))
    .orderBy(bettingOutcomes.marketId, bettingOutcomes.position);
}

/** A market and its event's betting window; `lock` takes the market's row lock (every change does). */
export async function findMarket(
  db: Db,
  id: string,
  lock = false,
): Promise<{ market: MarketRow; event: EventRow } | undefined> {
  const q = db
    .select({ market: bettingMarkets, event: bettingEvents })
    .from(bettingMarkets)
    .innerJoin(bettingEvents, eq(bettingEvents.id, bettingMarkets.eventId))
    .where(eq(bettingMarkets.id, id));
  const [row] = lock ? await q.for('update', { of: bettingMarkets }) : await q;
  return row;
}

/** Changes a market only while it is in one of `from`; undefined when it was not (someone else moved it). */
export async function transitionMarket(
  db: Db,
  id: string,
  from: readonly MarketStatus[],
  patch: Partial<typeof bettingMarkets.$inferInsert>,
): Promise<MarketRow | undefined> {
  const [row] = await db
    .update(bettingMarkets)
    .set(patch)
    .where(and(eq(bettingMarkets.id, id), inArray(bettingMarkets.status, [...from])))
    .returning();
  return row;
}

export async function addToMarket(db: Db, id: string, staked: bigint, exposure: bigint): Promise<void> {
  await db
    .update(bettingMarkets)
    .set({ totalStaked: sql`${bettingMarkets.totalStaked} + ${staked}`, exposure })
    .where(eq(bettingMarkets.id, id));
}

export async function addToOutcome(db: Db, id: string, staked: bigint, liability: bigint): Promise<void> {
  await db
    .update(bettingOutcomes)
    .set({
      staked: sql`${bettingOutcomes.staked} + ${staked}`,
      liability: sql`${bettingOutcomes.liability} + ${liability}`,
    })
    .where(eq(bettingOutcomes.id, id));
}

export async function insertBet(db: Db, row: typeof bettingBets.$inferInsert): Promise<BetRow> {
  const [created] = await db.insert(bettingBets).values(row).returning();
  if (!created) throw new Error('bet insert returned nothing');
  return created;
}

/** Bulk insert for the batch path (seeding, benchmarks). */
export async function insertBets(db: Db, rows: (typeof bettingBets.$inferInsert)[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) await db.insert(bettingBets).values(rows.slice(i, i + 5000));
}

/** What one user has open on one market: stakes and, for fixed odds, potential payouts. */
export async function userExposure(db: Db, userId: string, marketId: string) {
  const [row] = await db
    .select({
      staked: sql<string>`coalesce(sum(${bettingBets.stake}), 0)::text`,
      payout: sql<string>`coalesce(sum(${bettingBets.potentialPayout}), 0)::text`,
    })
    .from(bettingBets)
    .where(and(eq(bettingBets.userId, userId), eq(bettingBets.marketId, marketId), eq(bettingBets.status, 'open')));
  return { staked: BigInt(row?.staked ?? '0'), payout: BigInt(row?.payout ?? '0') };
}

/**
 * A user's loss since `since`, counting the worst case: stakes of open bets placed since then in
 * full, and stake − payout of bets settled since then.
 */
export async function lossSince(db: Db, userId: string, since: Date): Promise<bigint> {
  const result = await db.execute<{ loss: string }>(sql`
    SELECT (coalesce(sum(stake) FILTER (WHERE status = 'open' AND created_at >= ${since}), 0)
          + coalesce(sum(stake - payout) FILTER (WHERE status IN ('won', 'lost') AND settled_at >= ${since}), 0))::text AS loss
    FROM betting_bets WHERE user_id = ${userId}`);
  return BigInt(result.rows[0]?.loss ?? '0');
}

export async function myBets(
  db: Db,
  userId: string,
  f: { limit: number; before?: string; state?: 'open' | 'settled' },
): Promise<BetRow[]> {
  const conditions = [eq(bettingBets.userId, userId)];
  if (f.before) conditions.push(lt(bettingBets.id, f.before));
  if (f.state === 'open') conditions.push(eq(bettingBets.status, 'open'));
  if (f.state === 'settled') conditions.push(sql`${bettingBets.status} <> 'open'`);
  return db
    .select()
    .from(bettingBets)
    .where(and(...conditions))
    .orderBy(desc(bettingBets.id))
    .limit(f.limit);
}

/** Profit and loss over all of a user's settled bets. */
export async function betTotals(db: Db, userId: string) {
  const result = await db.execute<{ staked: string; returned: string; open: string }>(sql`
    SELECT coalesce(sum(stake) FILTER (WHERE status IN ('won', 'lost')), 0)::text AS staked,
           coalesce(sum(payout) FILTER (WHERE status IN ('won', 'lost')), 0)::text AS returned,
           coalesce(sum(stake) FILTER (WHERE status = 'open'), 0)::text AS open
    FROM betting_bets WHERE user_id = ${userId}`);
  const r = result.rows[0];
  return { staked: BigInt(r?.staked ?? '0'), returned: BigInt(r?.returned ?? '0'), open: BigInt(r?.open ?? '0') };
}

export async function findBet(db: Db, id: string, lock = false): Promise<BetRow | undefined> {
  const q = db.select().from(bettingBets).where(eq(bettingBets.id, id));
  const [row] = lock ? await q.for('update') : await q;
  return row;
}

/** Moves one bet from `open` to `status`; false when it was not open any more. */
export async function closeBet(db: Db, id: string, status: BetStatus, payout: bigint, round: number) {
  const rows = await db
    .update(bettingBets)
    .set({ status, payout, settledRound: round, settledAt: sql`now()` })
    .where(and(eq(bettingBets.id, id), eq(bettingBets.status, 'open')))
    .returning({ id: bettingBets.id });
  return rows.length === 1;
}

/**
 * The next bets of a market still to process in `round`, locked; rows another worker holds are
 * skipped, so two settlement jobs share the work instead of waiting on each other.
 */
export async function betsToProcess(db: Db, marketId: string, round: number, limit: number): Promise<BetRow[]> {
  return db
    .select()
    .from(bettingBets)
    .where(
      and(
        eq(bettingBets.marketId, marketId),
        lt(bettingBets.settledRound, round),
        sql`${bettingBets.status} <> 'cancelled'`,
      ),
    )
    .orderBy(bettingBets.id)
    .limit(limit)
    .for('update', { skipLocked: true });
}

/**
 * Records the outcome of processed bets, each only if still unprocessed in `round` (a second
 * job that got here first wins); returns the ids this call changed.
 */
export async function markProcessed(
  db: Db,
  round: number,
  items: readonly { id: string; status: BetStatus; payout: bigint }[],
): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const values = sql.join(
    items.map((i) => sql`(${i.id}::uuid, ${i.status}, ${i.payout}::bigint)`),
    sql`, `,
  );
  const result = await db.execute<{ id: string }>(sql`
    UPDATE betting_bets b SET status = v.status, payout = v.payout, settled_round = ${round}, settled_at = now()
    FROM (VALUES ${values}) AS v(id, status, payout)
    WHERE b.id = v.id AND b.settled_round < ${round}
    RETURNING b.id`);
  return new Set(result.rows.map((r) => r.id));
}

export async function unprocessedCount(db: Db, marketId: string, round: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(bettingBets)
    .where(
      and(
        eq(bettingBets.marketId, marketId),
        lt(bettingBets.settledRound, round),
        sql`${bettingBets.status} <> 'cancelled'`,
      ),
    );
  return row?.n ?? 0;
}

/** Markets left mid-settlement or mid-void (a crashed or lost job): the sweep finishes them. */
export async function pendingMarkets(db: Db, limit = 100): Promise<string[]> {
  const rows = await db
    .select({ id: bettingMarkets.id })
    .from(bettingMarkets)
    .where(inArray(bettingMarkets.status, ['settling', 'voiding']))
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Open card-price markets whose price day has ended by `now`. */
export async function duePriceMarkets(db: Db, now: Date, limit = 100): Promise<string[]> {
  const rows = await db
    .select({ id: bettingMarkets.id })
    .from(bettingMarkets)
    .innerJoin(bettingEvents, eq(bettingEvents.id, bettingMarkets.eventId))
    .where(
      and(
        eq(bettingEvents.kind, 'card_price'),
        inArray(bettingMarkets.status, ['open', 'suspended']),
        sql`${bettingEvents.priceDate} + interval '1 day' <= ${now}`,
      ),
    )
    .limit(limit);
  return rows.map((r) => r.id);
}

export async function findProfile(db: Db, userId: string, lock = false): Promise<ProfileRow | undefined> {
  const q = db.select().from(bettingProfiles).where(eq(bettingProfiles.userId, userId));
  const [row] = lock ? await q.for('update') : await q;
  return row;
}

/** The user's profile row, created empty and locked: every change to it takes this lock first. */
export async function lockProfile(db: Db, userId: string): Promise<ProfileRow> {
  await db.insert(bettingProfiles).values({ userId }).onConflictDoNothing();
  const row = await findProfile(db, userId, true);
  if (!row) throw new Error('profile vanished');
  return row;
}

export async function updateProfile(
  db: Db,
  userId: string,
  patch: Partial<typeof bettingProfiles.$inferInsert>,
): Promise<ProfileRow> {
  const [row] = await db
    .update(bettingProfiles)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(eq(bettingProfiles.userId, userId))
    .returning();
  if (!row) throw new Error('profile vanished');
  return row;
}

export async function marketsWithEvents(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, { market: MarketRow; event: EventRow }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ market: bettingMarkets, event: bettingEvents })
    .from(bettingMarkets)
    .innerJoin(bettingEvents, eq(bettingEvents.id, bettingMarkets.eventId))
    .where(inArray(bettingMarkets.id, [...new Set(ids)]));
  return new Map(rows.map((r) => [r.market.id, r]));
}
