import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, notInArray, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import {
  botBacktests,
  botEquity,
  botFills,
  botOrders,
  botRuns,
  botStrategies,
  botStrategyVersions,
  bots,
  type BacktestRow,
  type BotFillRow,
  type BotOrderRow,
  type BotRow,
  type RunRow,
  type StrategyRow,
  type StrategyVersionRow,
} from './tables.ts';

/* Every query of the bots module. */

const before = <T extends typeof bots.id | typeof botStrategies.id>(col: T, id: string | undefined) =>
  id ? lt(col, id) : undefined;

// --- strategies ---

export async function insertStrategy(
  db: Db,
  row: typeof botStrategies.$inferInsert,
  content: { document: unknown; source: string | null },
): Promise<StrategyRow> {
  const [created] = await db.insert(botStrategies).values(row).returning();
  await db.insert(botStrategyVersions).values({ strategyId: row.id, version: 1, ...content });
  return created as StrategyRow;
}

/** Adds the next version; the strategy row's update serialises concurrent edits. */
export async function addStrategyVersion(
  db: Db,
  id: string,
  content: { document: unknown; source: string | null },
): Promise<StrategyRow | null> {
  const [row] = await db
    .update(botStrategies)
    .set({ latestVersion: sql`${botStrategies.latestVersion} + 1`, updatedAt: new Date() })
    .where(eq(botStrategies.id, id))
    .returning();
  if (!row) return null;
  await db.insert(botStrategyVersions).values({ strategyId: id, version: row.latestVersion, ...content });
  return row;
}

export async function findStrategy(db: Db, id: string): Promise<StrategyRow | null> {
  const [row] = await db.select().from(botStrategies).where(eq(botStrategies.id, id));
  return row ?? null;
}

export async function strategyVersion(db: Db, id: string, version: number): Promise<StrategyVersionRow | null> {
  const [row] = await db
    .select()
    .from(botStrategyVersions)
    .where(and(eq(botStrategyVersions.strategyId, id), eq(botStrategyVersions.version, version)));
  return row ?? null;
}

export function strategiesOf(db: Db, ownerId: string, limit: number, beforeId?: string): Promise<StrategyRow[]> {
  return db
    .select()
    .from(botStrategies)
    .where(and(eq(botStrategies.ownerId, ownerId), before(botStrategies.id, beforeId)))
    .orderBy(desc(botStrategies.id))
    .limit(limit);
}

// --- bots ---

export async function insertBot(db: Db, row: typeof bots.$inferInsert): Promise<BotRow> {
  const [created] = await db.insert(bots).values(row).returning();
  return created as BotRow;
}

export async function countBots(db: Db, ownerId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(bots)
    .where(eq(bots.ownerId, ownerId));
  return row?.n ?? 0;
}

export async function findBot(db: Db, id: string, lock = false): Promise<BotRow | null> {
  const query = db.select().from(bots).where(eq(bots.id, id));
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

export function botsOf(db: Db, ownerId: string, limit: number, beforeId?: string): Promise<BotRow[]> {
  return db
    .select()
    .from(bots)
    .where(and(eq(bots.ownerId, ownerId), before(bots.id, beforeId)))
    .orderBy(desc(bots.id))
    .limit(limit);
}

export async function updateBot(db: Db, id: string, patch: Partial<typeof bots.$inferInsert>): Promise<BotRow> {
  const [row] = await db
    .update(bots)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(bots.id, id))
    .returning();
  return row as BotRow;
}

export async function deleteBot(db: Db, id: string): Promise<void> {
  await db.delete(bots).where(eq(bots.id, id));
}

/**
 * Claims up to `limit` running bots whose tick is due and whose lease has lapsed, oldest due
 * first, skipping rows another worker is claiming: each due bot goes to exactly one worker.
 */
export async function claimDueBots(db: Db, now: Date, limit: number, leaseUntil: Date): Promise<BotRow[]> {
  const due = db
    .select({ id: bots.id })
    .from(bots)
    .where(
      and(eq(bots.status, 'running'), lte(bots.nextRunAt, now), or(isNull(bots.leaseUntil), lt(bots.leaseUntil, now))),
    )
    .orderBy(asc(bots.nextRunAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return db.update(bots).set({ leaseUntil: leaseUntil }).where(inArray(bots.id, due)).returning();
}

// --- runs ---

/** Records a tick's run; null when that tick already has one (it ran elsewhere). */
export async function insertRun(db: Db, row: typeof botRuns.$inferInsert): Promise<string | null> {
  const [created] = await db.insert(botRuns).values(row).onConflictDoNothing().returning({ id: botRuns.id });
  return created?.id ?? null;
}

export function runsOf(
  db: Db,
  botId: string,
  limit: number,
  beforeId?: string,
  status?: RunRow['status'],
): Promise<RunRow[]> {
  return db
    .select()
    .from(botRuns)
    .where(
      and(
        eq(botRuns.botId, botId),
        beforeId ? lt(botRuns.id, beforeId) : undefined,
        status ? eq(botRuns.status, status) : undefined,
      ),
    )
    .orderBy(desc(botRuns.id))
    .limit(limit);
}

/** The first `limit` runs of a bot in tick order: what a replay compares against. */
export function runsInTickOrder(db: Db, botId: string, limit: number) {
  return db
    .select({ tick: botRuns.tick, status: botRuns.status, decisions: botRuns.decisions })
    .from(botRuns)
    .where(eq(botRuns.botId, botId))
    .orderBy(asc(botRuns.tick))
    .limit(limit);
}

export async function pruneRuns(db: Db, olderThan: Date): Promise<number> {
  const rows = await db.delete(botRuns).where(lt(botRuns.finishedAt, olderThan)).returning({ id: botRuns.id });
  return rows.length;
}

/** Stop-loss exits in the bot's recent runs (for the stop-loss guard). */
export async function recentStopOuts(db: Db, botId: string, since: Date): Promise<number> {
  const [row] = await db
    .execute<{ n: number }>(
      sql`
    SELECT count(*)::int AS n
    FROM ${botRuns}, jsonb_array_elements(${botRuns.decisions}) AS d
    WHERE ${botRuns.botId} = ${botId} AND ${botRuns.tick} >= ${since} AND d->'intent'->>'reason' LIKE 'stop-loss%'`,
    )
    .then((r) => r.rows);
  return Number(row?.n ?? 0);
}

// --- orders and fills ---

export async function insertOrders(db: Db, rows: (typeof botOrders.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await db.insert(botOrders).values(rows);
}

export async function setOrderProgress(
  db: Db,
  id: string,
  progress: { filled: bigint; status: BotOrderRow['status'] },
): Promise<void> {
  await db
    .update(botOrders)
    .set({ ...progress, updatedAt: new Date() })
    .where(eq(botOrders.id, id));
}

export function openOrdersOf(db: Db, botId: string): Promise<BotOrderRow[]> {
  return db
    .select()
    .from(botOrders)
    .where(and(eq(botOrders.botId, botId), eq(botOrders.status, 'open')))
    .orderBy(asc(botOrders.id));
}

export function ordersOf(db: Db, botId: string, limit: number, beforeId?: string): Promise<BotOrderRow[]> {
  return db
    .select()
    .from(botOrders)
    .where(and(eq(botOrders.botId, botId), beforeId ? lt(botOrders.id, beforeId) : undefined))
    .orderBy(desc(botOrders.id))
    .limit(limit);
}

export async function insertFills(db: Db, rows: (typeof botFills.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await db.insert(botFills).values(rows);
}

export function fillsOf(db: Db, botId: string): Promise<BotFillRow[]> {
  return db.select().from(botFills).where(eq(botFills.botId, botId)).orderBy(asc(botFills.at), asc(botFills.id));
}

export async function insertEquity(db: Db, row: typeof botEquity.$inferInsert): Promise<void> {
  await db.insert(botEquity).values(row).onConflictDoNothing();
}

export function equityOf(db: Db, botId: string) {
  return db.select().from(botEquity).where(eq(botEquity.botId, botId)).orderBy(asc(botEquity.at));
}

// --- backtests ---

export async function insertBacktest(db: Db, row: typeof botBacktests.$inferInsert): Promise<BacktestRow> {
  const [created] = await db.insert(botBacktests).values(row).returning();
  return created as BacktestRow;
}

export async function findBacktest(db: Db, id: string): Promise<BacktestRow | null> {
  const [row] = await db.select().from(botBacktests).where(eq(botBacktests.id, id));
  return row ?? null;
}

export function backtestsOf(db: Db, ownerId: string, limit: number, beforeId?: string): Promise<BacktestRow[]> {
  return db
    .select()
    .from(botBacktests)
    .where(and(eq(botBacktests.ownerId, ownerId), beforeId ? lt(botBacktests.id, beforeId) : undefined))
    .orderBy(desc(botBacktests.id))
    .limit(limit);
}

/** Moves a backtest on only from the statuses given; null when it was not in one of them. */
export async function moveBacktest(
  db: Db,
  id: string,
  from: readonly BacktestRow['status'][],
  patch: Partial<typeof botBacktests.$inferInsert>,
): Promise<BacktestRow | null> {
  const [row] = await db
    .update(botBacktests)
    .set(patch)
    .where(and(eq(botBacktests.id, id), inArray(botBacktests.status, [...from])))
    .returning();
  return row ?? null;
}

/** Orders (placed or refused) a bot created since `since`, for its orders-per-hour budget. */
export async function ordersSince(db: Db, botId: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(botOrders)
    .where(and(eq(botOrders.botId, botId), gte(botOrders.createdAt, since)));
  return row?.n ?? 0;
}

/** Adds a simulated fill to a paper order. */
export async function addOrderFill(db: Db, id: string, quantity: bigint, status: 'open' | 'filled'): Promise<void> {
  await db
    .update(botOrders)
    .set({ filled: sql`${botOrders.filled} + ${quantity}`, status, updatedAt: new Date() })
    .where(eq(botOrders.id, id));
}

/** Paper orders the simulated account no longer holds open (filled or dropped) are closed. */
export async function closeMissingOrders(db: Db, botId: string, stillOpen: readonly string[]): Promise<void> {
  await db
    .update(botOrders)
    .set({
      status: sql`CASE WHEN ${botOrders.filled} >= ${botOrders.quantity} THEN 'filled' ELSE 'cancelled' END`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(botOrders.botId, botId),
        eq(botOrders.status, 'open'),
        stillOpen.length > 0 ? notInArray(botOrders.id, [...stillOpen]) : undefined,
      ),
    );
}

/** Every open order of a bot is closed (stop). */
export async function cancelOpenOrders(db: Db, botId: string): Promise<void> {
  await closeMissingOrders(db, botId, []);
}

// --- community sharing: read-only views of strategies and bots for the community module ---

export function strategiesByIds(db: Db, ids: readonly string[]): Promise<StrategyRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(botStrategies)
    .where(inArray(botStrategies.id, [...ids]));
}

/** A strategy's versions, newest first, below `beforeVersion`: numbers and times only. */
export function strategyVersionStamps(db: Db, strategyId: string, limit: number, beforeVersion?: number) {
  return db
    .select({ version: botStrategyVersions.version, createdAt: botStrategyVersions.createdAt })
    .from(botStrategyVersions)
    .where(
      and(
        eq(botStrategyVersions.strategyId, strategyId),
        beforeVersion !== undefined ? lt(botStrategyVersions.version, beforeVersion) : undefined,
      ),
    )
    .orderBy(desc(botStrategyVersions.version))
    .limit(limit);
}

/** A strategy's versions, newest first, below `beforeVersion`, with their document or source. */
export function strategyVersionsWithContent(
  db: Db,
  strategyId: string,
  limit: number,
  beforeVersion?: number,
): Promise<StrategyVersionRow[]> {
  return db
    .select()
    .from(botStrategyVersions)
    .where(
      and(
        eq(botStrategyVersions.strategyId, strategyId),
        beforeVersion !== undefined ? lt(botStrategyVersions.version, beforeVersion) : undefined,
      ),
    )
    .orderBy(desc(botStrategyVersions.version))
    .limit(limit);
}

const botSummaryColumns = {
  id: bots.id,
  ownerId: bots.ownerId,
  name: bots.name,
  strategyId: bots.strategyId,
  strategyVersion: bots.strategyVersion,
  mode: bots.mode,
  status: bots.status,
  createdAt: bots.createdAt,
};

/** Every bot running one of these strategies, newest first: what a shared bot page shows. */
export function botSummariesOfStrategies(db: Db, strategyIds: readonly string[]) {
  if (strategyIds.length === 0) return Promise.resolve([]);
  return db
    .select(botSummaryColumns)
    .from(bots)
    .where(inArray(bots.strategyId, [...strategyIds]))
    .orderBy(desc(bots.id));
}

export async function botSummary(db: Db, id: string) {
  const [row] = await db.select(botSummaryColumns).from(bots).where(eq(bots.id, id));
  return row ?? null;
}

/** A bot's latest fills at or before `until`, newest first. */
export function fillsUntil(db: Db, botId: string, until: Date, limit: number): Promise<BotFillRow[]> {
  return db
    .select()
    .from(botFills)
    .where(and(eq(botFills.botId, botId), lte(botFills.at, until)))
    .orderBy(desc(botFills.at), desc(botFills.id))
    .limit(limit);
}

// --- leaderboards: read-only feed of bots' records (see board-feed.ts) ---

const boardBotColumns = {
  id: bots.id,
  ownerId: bots.ownerId,
  name: bots.name,
  mode: bots.mode,
  status: bots.status,
  strategyId: bots.strategyId,
  strategyVersion: bots.strategyVersion,
  variantIds: bots.variantIds,
  allocation: bots.allocation,
  createdAt: bots.createdAt,
  startedAt: bots.startedAt,
};

/** Bots by id (when `ids` is given) or every bot after `afterId`, ascending by id. */
export function boardBotRows(db: Db, opts: { ids?: readonly string[]; afterId?: string; limit: number }) {
  if (opts.ids?.length === 0) return Promise.resolve([]);
  return db
    .select(boardBotColumns)
    .from(bots)
    .where(
      and(
        opts.ids ? inArray(bots.id, [...opts.ids]) : undefined,
        opts.afterId ? sql`${bots.id} > ${opts.afterId}` : undefined,
      ),
    )
    .orderBy(asc(bots.id))
    .limit(opts.limit);
}

/** Equity snapshots of these bots at or after `since`, by bot then time. */
export function equityOfBots(db: Db, ids: readonly string[], since: Date | null) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select({ botId: botEquity.botId, at: botEquity.at, equity: botEquity.equity, cash: botEquity.cash })
    .from(botEquity)
    .where(and(inArray(botEquity.botId, [...ids]), since ? gte(botEquity.at, since) : undefined))
    .orderBy(asc(botEquity.botId), asc(botEquity.at));
}

/** Fills of these bots at or after `since`, with the exchange order each belongs to (live bots). */
export function fillsOfBots(db: Db, ids: readonly string[], since: Date | null) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select({
      id: botFills.id,
      botId: botFills.botId,
      orderId: botFills.orderId,
      exchangeOrderId: botOrders.exchangeOrderId,
      variantId: botFills.variantId,
      side: botFills.side,
      price: botFills.price,
      quantity: botFills.quantity,
      fee: botFills.fee,
      at: botFills.at,
    })
    .from(botFills)
    .leftJoin(botOrders, eq(botOrders.id, botFills.orderId))
    .where(and(inArray(botFills.botId, [...ids]), since ? gte(botFills.at, since) : undefined))
    .orderBy(asc(botFills.botId), asc(botFills.at), asc(botFills.id));
}

/** The latest finished backtest of each strategy version finished at or after `since`, with its metrics. */
export function latestDoneBacktests(db: Db, since: Date | null) {
  return db
    .selectDistinctOn([botBacktests.strategyId, botBacktests.strategyVersion], {
      id: botBacktests.id,
      ownerId: botBacktests.ownerId,
      strategyId: botBacktests.strategyId,
      strategyVersion: botBacktests.strategyVersion,
      strategyName: botStrategies.name,
      variantIds: botBacktests.variantIds,
      from: botBacktests.from,
      to: botBacktests.to,
      initialCash: sql<number | null>`(${botBacktests.settings} ->> 'initialCash')::float8`,
      finishedAt: botBacktests.finishedAt,
      metrics: sql<unknown>`${botBacktests.result} -> 'metrics'`,
    })
    .from(botBacktests)
    .innerJoin(botStrategies, eq(botStrategies.id, botBacktests.strategyId))
    .where(and(eq(botBacktests.status, 'done'), since ? gte(botBacktests.finishedAt, since) : undefined))
    .orderBy(
      asc(botBacktests.strategyId),
      asc(botBacktests.strategyVersion),
      desc(botBacktests.finishedAt),
      desc(botBacktests.id),
    );
}

/** Which of these ids are bots (bots trade as their own accounts). */
export async function botIdsAmong(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .select({ id: bots.id })
    .from(bots)
    .where(inArray(bots.id, [...ids]));
  return new Set(rows.map((r) => r.id));
}
