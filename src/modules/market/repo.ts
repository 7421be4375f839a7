import { and, asc, desc, eq, gt, gte, inArray, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { marketCandles, marketConfig, marketOrders, marketTrades } from './tables.ts';

export type OrderRow = typeof marketOrders.$inferSelect;
export type NewOrderRow = typeof marketOrders.$inferInsert;
export type TradeRow = typeof marketTrades.$inferSelect;
export type CandleRow = typeof marketCandles.$inferSelect;

/** A card variant as the market needs it (resolved through the cards module). */
export interface VariantRef {
  id: string;
  cardId: string;
  asset: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `id` is a UUID in text form (anything else cannot name a row of this module). */
export const isUuid = (id: string): boolean => UUID.test(id);

/**
 * Locks the variant's book row until the transaction ends (serialising every change of that book
 * across all processes) and raises its version; returns the new version. A process whose copy of
 * the book in memory was saved at `version - 1` knows nobody else changed the book since.
 */
export async function lockVariant(db: Db, variantId: string): Promise<bigint> {
  const r = await db.execute<{ version: string }>(sql`
    INSERT INTO market_books (variant_id, version) VALUES (${variantId}, 1)
    ON CONFLICT (variant_id) DO UPDATE SET version = market_books.version + 1
    RETURNING version::text`);
  return BigInt(r.rows[0]?.version ?? 0);
}

/** Open orders of a variant in time priority (queue numbers are drawn under the variant's lock). */
export function openOrders(db: Db, variantId: string): Promise<OrderRow[]> {
  return db
    .select()
    .from(marketOrders)
    .where(and(eq(marketOrders.variantId, variantId), eq(marketOrders.status, 'open')))
    .orderBy(marketOrders.queueSeq);
}

/**
 * The open orders an incoming order on `side` can reach: the opposite side, priced at or better
 * than `bound` (its limit, or a market order's protection price), best price first, then queue.
 */
export function reachableOrders(db: Db, variantId: string, side: 'buy' | 'sell', bound: bigint): Promise<OrderRow[]> {
  const opposite = side === 'buy' ? 'sell' : 'buy';
  return db
    .select()
    .from(marketOrders)
    .where(
      and(
        eq(marketOrders.variantId, variantId),
        eq(marketOrders.status, 'open'),
        eq(marketOrders.side, opposite),
        side === 'buy' ? lte(marketOrders.price, bound) : gte(marketOrders.price, bound),
      ),
    )
    .orderBy(side === 'buy' ? asc(marketOrders.price) : desc(marketOrders.price), asc(marketOrders.queueSeq));
}

/** The best open order an incoming order on `side` would meet first, if any. */
export async function bestOpposite(db: Db, variantId: string, side: 'buy' | 'sell'): Promise<OrderRow | null> {
  const [row] = await db
    .select()
    .from(marketOrders)
    .where(
      and(
        eq(marketOrders.variantId, variantId),
        eq(marketOrders.status, 'open'),
        eq(marketOrders.side, side === 'buy' ? 'sell' : 'buy'),
      ),
    )
    .orderBy(side === 'buy' ? asc(marketOrders.price) : desc(marketOrders.price), asc(marketOrders.queueSeq))
    .limit(1);
  return row ?? null;
}

/** Open orders of a variant among `ids`, in queue order. */
export function openOrdersAmong(db: Db, variantId: string, ids: readonly string[]): Promise<OrderRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(marketOrders)
    .where(
      and(eq(marketOrders.variantId, variantId), eq(marketOrders.status, 'open'), inArray(marketOrders.id, [...ids])),
    )
    .orderBy(marketOrders.queueSeq);
}

export interface DepthLevel {
  price: bigint;
  quantity: bigint;
  orders: number;
}

/** Up to `levels` price levels per side, best first, summed in the database. */
export async function bookDepth(db: Db, variantId: string, levels: number) {
  const side = (s: 'buy' | 'sell') =>
    db
      .select({
        price: sql<string>`${marketOrders.price}::text`,
        quantity: sql<string>`sum(${marketOrders.remaining})::text`,
        orders: sql<number>`count(*)::int`,
      })
      .from(marketOrders)
      .where(
        and(
          eq(marketOrders.variantId, variantId),
          eq(marketOrders.status, 'open'),
          eq(marketOrders.side, s),
          // An expired order is out of the book even before the sweep closes it.
          sql`(${marketOrders.expiresAt} IS NULL OR ${marketOrders.expiresAt} > now())`,
        ),
      )
      .groupBy(marketOrders.price)
      .orderBy(s === 'buy' ? desc(marketOrders.price) : asc(marketOrders.price))
      .limit(levels);
  const toLevels = (rows: { price: string; quantity: string; orders: number }[]): DepthLevel[] =>
    rows.map((r) => ({ price: BigInt(r.price), quantity: BigInt(r.quantity), orders: Number(r.orders) }));
  return { bids: toLevels(await side('buy')), asks: toLevels(await side('sell')) };
}

/** Sends an open order to the back of the queue (an amendment that loses time priority). */
export async function requeueOrder(db: Db, id: string): Promise<void> {
  await db
    .update(marketOrders)
    .set({ queueSeq: sql`nextval(pg_get_serial_sequence('market_orders', 'queue_seq'))`, updatedAt: sql`now()` })
    .where(eq(marketOrders.id, id));
}

/** Open orders whose expiry has passed, soonest first. */
export function dueOrders(db: Db, now: Date, limit: number): Promise<{ id: string; variantId: string }[]> {
  return db
    .select({ id: marketOrders.id, variantId: marketOrders.variantId })
    .from(marketOrders)
    .where(and(eq(marketOrders.status, 'open'), lte(marketOrders.expiresAt, now)))
    .orderBy(marketOrders.expiresAt)
    .limit(limit);
}

/** Ids of a variant's open orders whose expiry has passed. */
export async function dueOrdersOf(db: Db, variantId: string, now: Date): Promise<string[]> {
  const rows = await db
    .select({ id: marketOrders.id })
    .from(marketOrders)
    .where(
      and(eq(marketOrders.status, 'open'), eq(marketOrders.variantId, variantId), lte(marketOrders.expiresAt, now)),
    );
  return rows.map((r) => r.id);
}

export async function insertOrder(db: Db, row: NewOrderRow): Promise<void> {
  await db.insert(marketOrders).values(row);
}

export async function updateOrder(
  db: Db,
  id: string,
  change: Pick<OrderRow, 'remaining' | 'filledQuantity' | 'filledNotional' | 'feePaid' | 'status' | 'cancelReason'>,
): Promise<void> {
  await db
    .update(marketOrders)
    .set({ ...change, updatedAt: sql`now()` })
    .where(eq(marketOrders.id, id));
}

export async function findOrder(db: Db, id: string): Promise<OrderRow | null> {
  if (!UUID.test(id)) return null;
  const [row] = await db.select().from(marketOrders).where(eq(marketOrders.id, id));
  return row ?? null;
}

export function ordersOf(db: Db, ownerId: string, state: 'open' | 'done', limit: number): Promise<OrderRow[]> {
  const statuses: OrderRow['status'][] = state === 'open' ? ['open'] : ['filled', 'cancelled'];
  return db
    .select()
    .from(marketOrders)
    .where(and(eq(marketOrders.ownerId, ownerId), inArray(marketOrders.status, statuses)))
    .orderBy(desc(marketOrders.id))
    .limit(limit);
}

export async function insertTrade(db: Db, row: typeof marketTrades.$inferInsert): Promise<TradeRow> {
  const [inserted] = await db.insert(marketTrades).values(row).returning();
  if (!inserted) throw new Error('trade insert returned nothing');
  return inserted;
}

export async function lastTradePrice(db: Db, variantId: string): Promise<bigint | null> {
  const [row] = await db
    .select({ price: marketTrades.price })
    .from(marketTrades)
    .where(eq(marketTrades.variantId, variantId))
    .orderBy(desc(marketTrades.ts), desc(marketTrades.id))
    .limit(1);
  return row?.price ?? null;
}

/** Trades newest first, before the `before` trade id when given. */
export function tradesOf(db: Db, variantId: string, limit: number, before?: string): Promise<TradeRow[]> {
  const conds = [eq(marketTrades.variantId, variantId)];
  if (before) conds.push(lt(marketTrades.id, before));
  return db
    .select()
    .from(marketTrades)
    .where(and(...conds))
    .orderBy(desc(marketTrades.id))
    .limit(limit);
}

export function candlesOf(db: Db, variantId: string, interval: string, from: Date, to: Date): Promise<CandleRow[]> {
  return db
    .select()
    .from(marketCandles)
    .where(
      and(
        eq(marketCandles.variantId, variantId),
        eq(marketCandles.interval, interval),
        gte(marketCandles.bucketStart, from),
        lt(marketCandles.bucketStart, to),
      ),
    )
    .orderBy(marketCandles.bucketStart);
}

/** Rewrites an open order's limit price and size (an amendment); fills and status are saved apart. */
export async function updateOrderTerms(
  db: Db,
  id: string,
  terms: Pick<OrderRow, 'price' | 'quantity' | 'remaining'>,
): Promise<void> {
  await db
    .update(marketOrders)
    .set({ ...terms, updatedAt: sql`now()` })
    .where(eq(marketOrders.id, id));
}

/** Inserts new orders in the given order (their queue numbers are drawn in that order). */
export async function insertOrders(db: Db, rows: NewOrderRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insert(marketOrders).values(rows);
}

type OrderProgress = Pick<
  OrderRow,
  'id' | 'remaining' | 'filledQuantity' | 'filledNotional' | 'feePaid' | 'status' | 'cancelReason'
>;

/** Saves the fills and status of many orders in one statement. */
export async function updateOrders(db: Db, rows: readonly OrderProgress[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: OrderProgress) => T) => sql.param(rows.map(f));
  await db.execute(sql`
    UPDATE market_orders o
    SET remaining = v.remaining, filled_quantity = v.filled_quantity, filled_notional = v.filled_notional,
        fee_paid = v.fee_paid, status = v.status, cancel_reason = v.cancel_reason, updated_at = now()
    FROM unnest(${col((r) => r.id)}::uuid[], ${col((r) => String(r.remaining))}::bigint[],
                ${col((r) => String(r.filledQuantity))}::bigint[], ${col((r) => String(r.filledNotional))}::bigint[],
                ${col((r) => String(r.feePaid))}::bigint[], ${col((r) => r.status)}::text[],
                ${col((r) => r.cancelReason)}::text[])
      AS v(id, remaining, filled_quantity, filled_notional, fee_paid, status, cancel_reason)
    WHERE o.id = v.id`);
}

export async function insertTrades(db: Db, rows: (typeof marketTrades.$inferInsert)[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insert(marketTrades).values(rows);
}

/** One bucket's share of a batch of trades: its first and last price, extremes and sums. */
export interface CandleDelta {
  interval: string;
  bucketStart: Date;
  open: bigint;
  high: bigint;
  low: bigint;
  close: bigint;
  volume: bigint;
  notional: bigint;
  trades: number;
}

/** Folds a batch of trades into their candles in one statement; returns the candles as they now stand. */
export async function applyCandleDeltas(
  db: Db,
  variantId: string,
  deltas: readonly CandleDelta[],
): Promise<CandleRow[]> {
  if (deltas.length === 0) return [];
  return db
    .insert(marketCandles)
    .values(deltas.map((d) => ({ variantId, ...d })))
    .onConflictDoUpdate({
      target: [marketCandles.variantId, marketCandles.interval, marketCandles.bucketStart],
      set: {
        high: sql`GREATEST(${marketCandles.high}, excluded.high)`,
        low: sql`LEAST(${marketCandles.low}, excluded.low)`,
        close: sql`excluded.close`,
        volume: sql`${marketCandles.volume} + excluded.volume`,
        notional: sql`${marketCandles.notional} + excluded.notional`,
        trades: sql`${marketCandles.trades} + excluded.trades`,
      },
    })
    .returning();
}

/** Whether the side an incoming order on `side` trades against has open orders priced beyond `bound`. */
export async function hasOrdersBeyond(
  db: Db,
  variantId: string,
  side: 'buy' | 'sell',
  bound: bigint,
): Promise<boolean> {
  const [row] = await db
    .select({ id: marketOrders.id })
    .from(marketOrders)
    .where(
      and(
        eq(marketOrders.variantId, variantId),
        eq(marketOrders.status, 'open'),
        eq(marketOrders.side, side === 'buy' ? 'sell' : 'buy'),
        side === 'buy' ? gt(marketOrders.price, bound) : lt(marketOrders.price, bound),
      ),
    )
    .limit(1);
  return row !== undefined;
}

/** Stored candles of several variants over [from, to), each variant's ascending. */
export function candlesOfMany(
  db: Db,
  variantIds: readonly string[],
  interval: string,
  from: Date,
  to: Date,
): Promise<CandleRow[]> {
  if (variantIds.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(marketCandles)
    .where(
      and(
        inArray(marketCandles.variantId, [...variantIds]),
        eq(marketCandles.interval, interval),
        gte(marketCandles.bucketStart, from),
        lt(marketCandles.bucketStart, to),
      ),
    )
    .orderBy(marketCandles.variantId, marketCandles.bucketStart);
}

/** Orders by id (any owner, any status). */
export function ordersAmong(db: Db, ids: readonly string[]): Promise<OrderRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(marketOrders)
    .where(inArray(marketOrders.id, [...ids]));
}

/** Executions that filled any of the given orders, oldest first. */
export function tradesOfOrders(db: Db, orderIds: readonly string[]): Promise<TradeRow[]> {
  if (orderIds.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(marketTrades)
    .where(or(inArray(marketTrades.makerOrderId, [...orderIds]), inArray(marketTrades.takerOrderId, [...orderIds])))
    .orderBy(marketTrades.ts, marketTrades.id);
}

/** Trades in execution order after the keyset (`ts`, `id`), for ledgers rebuilt outside the market. */
export function tradesAfter(db: Db, after: { ts: Date; id: string } | null, limit: number): Promise<TradeRow[]> {
  return db
    .select()
    .from(marketTrades)
    .where(
      after
        ? or(gt(marketTrades.ts, after.ts), and(eq(marketTrades.ts, after.ts), gt(marketTrades.id, after.id)))
        : undefined,
    )
    .orderBy(asc(marketTrades.ts), asc(marketTrades.id))
    .limit(limit);
}

export async function countTradesSince(db: Db, variantId: string, since: Date): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(marketTrades)
    .where(and(eq(marketTrades.variantId, variantId), gte(marketTrades.ts, since)));
  return row?.n ?? 0;
}

// --- the exchange's settings (one row, id 1; absent until an admin first sets them) ---

export async function readMarketConfig(db: Db) {
  const [row] = await db.select().from(marketConfig).where(eq(marketConfig.id, 1));
  return row;
}

export async function writeMarketConfig(
  tx: Db,
  values: Omit<typeof marketConfig.$inferInsert, 'id' | 'updatedAt'>,
): Promise<void> {
  await tx
    .insert(marketConfig)
    .values({ id: 1, ...values })
    .onConflictDoUpdate({ target: marketConfig.id, set: { ...values, updatedAt: sql`now()` } });
}
