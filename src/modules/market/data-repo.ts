import { asc, eq, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { marketTrades } from './tables.ts';

/*
 * Read-only queries of market data. Amounts come back as text from raw SQL (int8 is read as a
 * string by the pg driver and the embedded one alike) and are turned into bigint here.
 */

const big = (v: string | null): bigint | null => (v === null ? null : BigInt(v));

/** Window aggregates of one variant's ticker, straight from SQL. */
export interface TickerAggregate {
  variantId: string;
  trades: number;
  volume: bigint;
  high: bigint | null;
  low: bigint | null;
  /** First and last price with windowStart < ts ≤ now. */
  first: bigint | null;
  last: bigint | null;
  /** Last price at or before windowStart. */
  previous: bigint | null;
  bestBid: bigint | null;
  bestAsk: bigint | null;
}

type RawTicker = {
  variant_id: string;
  trades: number;
  volume: string;
  high: string | null;
  low: string | null;
  first: string | null;
  last: string | null;
  previous: string | null;
  best_bid: string | null;
  best_ask: string | null;
};

const idList = (ids: readonly string[]) =>
  sql.join(
    ids.map((id) => sql`(${id}::uuid)`),
    sql`, `,
  );

/** Every variant that ever traded (a loose index scan of market_trades_variant_idx) or has open orders. */
const ACTIVE = sql`
  WITH RECURSIVE traded(variant_id) AS (
    (SELECT variant_id FROM market_trades ORDER BY variant_id LIMIT 1)
    UNION ALL
    SELECT (SELECT t.variant_id FROM market_trades t WHERE t.variant_id > traded.variant_id
            ORDER BY t.variant_id LIMIT 1)
    FROM traded WHERE traded.variant_id IS NOT NULL
  ),
  v AS (
    SELECT variant_id FROM traded WHERE variant_id IS NOT NULL
    UNION
    SELECT DISTINCT variant_id FROM market_orders WHERE status = 'open'
  )`;

/** The listed variants that have traded or have open orders. */
const activeAmong = (ids: readonly string[]) => sql`
  WITH v AS (
    SELECT l.variant_id FROM (VALUES ${idList(ids)}) AS l(variant_id)
    WHERE EXISTS (SELECT 1 FROM market_trades t WHERE t.variant_id = l.variant_id)
       OR EXISTS (SELECT 1 FROM market_orders o WHERE o.variant_id = l.variant_id AND o.status = 'open')
  )`;

/** Exactly the listed variants. */
const exactly = (ids: readonly string[]) =>
  sql`WITH v AS (SELECT l.variant_id FROM (VALUES ${idList(ids)}) AS l(variant_id))`;

/**
 * 24 h ticker aggregates, one row per variant, in one statement: per variant the window's count,
 * volume, high and low (a range of market_trades_variant_idx), its first and last price, the last
 * price before it and the best bid and ask of the open orders. Sorted by window volume, busiest first.
 *
 * `variantIds` undefined: every active variant; with `onlyActive` the listed ones that are active;
 * otherwise exactly the listed ones.
 */
export async function tickerAggregates(
  db: Db,
  opts: { windowStart: Date; now: Date; limit: number; variantIds?: readonly string[]; onlyActive?: boolean },
): Promise<TickerAggregate[]> {
  const { variantIds } = opts;
  if (variantIds !== undefined && variantIds.length === 0) return [];
  const source: SQL =
    variantIds === undefined ? ACTIVE : opts.onlyActive ? activeAmong(variantIds) : exactly(variantIds);
  const since = opts.windowStart.toISOString();
  const now = opts.now.toISOString();
  const r = await db.execute<RawTicker>(sql`
    ${source}
    SELECT v.variant_id::text AS variant_id,
           w.trades, w.volume::text AS volume, w.high::text AS high, w.low::text AS low,
           f.price::text AS first, l.price::text AS last, p.price::text AS previous,
           b.price::text AS best_bid, a.price::text AS best_ask
    FROM v
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS trades, COALESCE(sum(t.quantity), 0) AS volume,
             max(t.price) AS high, min(t.price) AS low
      FROM market_trades t
      WHERE t.variant_id = v.variant_id AND t.ts > ${since}::timestamptz AND t.ts <= ${now}::timestamptz
    ) w
    LEFT JOIN LATERAL (
      SELECT t.price FROM market_trades t
      WHERE t.variant_id = v.variant_id AND t.ts > ${since}::timestamptz AND t.ts <= ${now}::timestamptz
      ORDER BY t.ts, t.id LIMIT 1
    ) f ON true
    LEFT JOIN LATERAL (
      SELECT t.price FROM market_trades t
      WHERE t.variant_id = v.variant_id AND t.ts > ${since}::timestamptz AND t.ts <= ${now}::timestamptz
      ORDER BY t.ts DESC, t.id DESC LIMIT 1
    ) l ON true
    LEFT JOIN LATERAL (
      SELECT t.price FROM market_trades t
      WHERE t.variant_id = v.variant_id AND t.ts <= ${since}::timestamptz
      ORDER BY t.ts DESC, t.id DESC LIMIT 1
    ) p ON true
    LEFT JOIN LATERAL (
      SELECT max(o.price) AS price FROM market_orders o
      WHERE o.variant_id = v.variant_id AND o.status = 'open' AND o.side = 'buy'
        AND (o.expires_at IS NULL OR o.expires_at > now())
    ) b ON true
    LEFT JOIN LATERAL (
      SELECT min(o.price) AS price FROM market_orders o
      WHERE o.variant_id = v.variant_id AND o.status = 'open' AND o.side = 'sell'
        AND (o.expires_at IS NULL OR o.expires_at > now())
    ) a ON true
    ORDER BY w.volume DESC, w.trades DESC, v.variant_id
    LIMIT ${opts.limit}`);
  return r.rows.map((row) => ({
    variantId: row.variant_id,
    trades: Number(row.trades),
    volume: BigInt(row.volume),
    high: big(row.high),
    low: big(row.low),
    first: big(row.first),
    last: big(row.last),
    previous: big(row.previous),
    bestBid: big(row.best_bid),
    bestAsk: big(row.best_ask),
  }));
}

/** Trades of a variant with since < ts ≤ now. */
export async function tradeCountBetween(db: Db, variantId: string, since: Date, now: Date): Promise<number> {
  const r = await db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM market_trades
    WHERE variant_id = ${variantId} AND ts > ${since.toISOString()}::timestamptz
      AND ts <= ${now.toISOString()}::timestamptz`);
  return Number(r.rows[0]?.n ?? 0);
}

export type UserTradeRow = typeof marketTrades.$inferSelect;

/** Every trade a user took part in (as maker or taker), oldest first. */
export function tradesOfUser(db: Db, userId: string): Promise<UserTradeRow[]> {
  return db
    .select()
    .from(marketTrades)
    .where(or(eq(marketTrades.makerOwnerId, userId), eq(marketTrades.takerOwnerId, userId)))
    .orderBy(asc(marketTrades.ts), asc(marketTrades.id));
}
