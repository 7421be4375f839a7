import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

/**
 * Exchange orders, one book per card variant. Open orders are the book: it is rebuilt from them in
 * queue order under the variant's lock, so these rows (not memory) are the record of priority.
 */
export const marketOrders = pgTable(
  'market_orders',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    variantId: uuid('variant_id').notNull(),
    side: text('side', { enum: ['buy', 'sell'] }).notNull(),
    /** `listing`: a marketplace listing, a resting sell order at a fixed price in the same book. */
    source: text('source', { enum: ['order', 'listing'] })
      .notNull()
      .default('order'),
    type: text('type', { enum: ['limit', 'market'] }).notNull(),
    timeInForce: text('time_in_force', { enum: ['GTC', 'IOC', 'FOK'] }).notNull(),
    /** Limit price; for a market buy, the protection price its escrow was sized on. */
    price: amount('price'),
    quantity: amount('quantity').notNull(),
    remaining: amount('remaining').notNull(),
    filledQuantity: amount('filled_quantity')
      .notNull()
      .default(sql`0`),
    filledNotional: amount('filled_notional')
      .notNull()
      .default(sql`0`),
    /** The commission terms the order was placed under (its escrow and quotes were sized on them). */
    feeRateBps: integer('fee_rate_bps').notNull().default(500),
    minimumFee: amount('minimum_fee')
      .notNull()
      .default(sql`1`),
    feePaid: amount('fee_paid')
      .notNull()
      .default(sql`0`),
    status: text('status', { enum: ['open', 'filled', 'cancelled'] }).notNull(),
    cancelReason: text('cancel_reason'),
    escrowAccountId: uuid('escrow_account_id').notNull(),
    /**
     * Time priority: drawn from a sequence under the variant's lock when the order joins the book,
     * drawn again when an amendment sends it to the back of its price level.
     */
    queueSeq: bigserial('queue_seq', { mode: 'bigint' }).notNull(),
    /** An open order past this time is cancelled by the expiry sweep and its escrow returned. */
    expiresAt: at('expires_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('market_orders_book_idx')
      .on(t.variantId, t.queueSeq)
      .where(sql`${t.status} = 'open'`),
    // Matching reads only the opposite side up to the incoming limit: by side and price, then queue.
    index('market_orders_price_idx')
      .on(t.variantId, t.side, t.price, t.queueSeq)
      .where(sql`${t.status} = 'open'`),
    index('market_orders_owner_idx').on(t.ownerId, t.createdAt),
    index('market_orders_expiry_idx')
      .on(t.expiresAt)
      .where(sql`${t.status} = 'open' AND ${t.expiresAt} IS NOT NULL`),
    index('market_orders_listing_idx')
      .on(t.price, t.id)
      .where(sql`${t.status} = 'open' AND ${t.source} = 'listing'`),
    check('market_orders_quantity_positive', sql`${t.quantity} > 0`),
    check('market_orders_remaining_range', sql`${t.remaining} >= 0 AND ${t.remaining} <= ${t.quantity}`),
    check('market_orders_price_positive', sql`${t.price} IS NULL OR ${t.price} > 0`),
  ],
);

/** Executions, always at the maker's price. `buyerFee` went to the fees account. */
export const marketTrades = pgTable(
  'market_trades',
  {
    id: uuid('id').primaryKey(),
    variantId: uuid('variant_id').notNull(),
    makerOrderId: uuid('maker_order_id').notNull(),
    takerOrderId: uuid('taker_order_id').notNull(),
    makerOwnerId: uuid('maker_owner_id').notNull(),
    takerOwnerId: uuid('taker_owner_id').notNull(),
    takerSide: text('taker_side', { enum: ['buy', 'sell'] }).notNull(),
    price: amount('price').notNull(),
    quantity: amount('quantity').notNull(),
    buyerFee: amount('buyer_fee').notNull(),
    sellerFee: amount('seller_fee').notNull(),
    ts: at('ts').notNull().defaultNow(),
  },
  (t) => [
    index('market_trades_variant_idx').on(t.variantId, t.ts, t.id),
    // A user's fills (history and realised profit) from either side of the trade.
    index('market_trades_maker_idx').on(t.makerOwnerId, t.ts),
    index('market_trades_taker_idx').on(t.takerOwnerId, t.ts),
    check('market_trades_positive', sql`${t.price} > 0 AND ${t.quantity} > 0`),
  ],
);

/** OHLCV per variant and interval, updated trade by trade (never recomputed on read). */
export const marketCandles = pgTable(
  'market_candles',
  {
    variantId: uuid('variant_id').notNull(),
    interval: text('interval').notNull(),
    bucketStart: at('bucket_start').notNull(),
    open: amount('open').notNull(),
    high: amount('high').notNull(),
    low: amount('low').notNull(),
    close: amount('close').notNull(),
    volume: amount('volume').notNull(),
    notional: amount('notional').notNull(),
    trades: integer('trades').notNull(),
  },
  (t) => [primaryKey({ columns: [t.variantId, t.interval, t.bucketStart] })],
);

/**
 * The exchange's settings, one row, changed by admins (`PUT /api/admin/market/config`). Without a
 * row the defaults in code apply. A change applies to orders placed after it: each order keeps the
 * commission terms it was placed (and escrowed) under.
 */
export const marketConfig = pgTable(
  'market_config',
  {
    id: integer('id').primaryKey().default(1),
    commissionBps: integer('commission_bps').notNull(),
    minimumFee: amount('minimum_fee').notNull(),
    priceBand: integer('price_band').notNull(),
    marketProtectionBps: integer('market_protection_bps').notNull(),
    updatedBy: uuid('updated_by'),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    check('market_config_single_row', sql`${t.id} = 1`),
    check(
      'market_config_ranges',
      sql`${t.commissionBps} BETWEEN 0 AND 5000 AND ${t.minimumFee} >= 0 AND ${t.priceBand} >= 2 AND ${t.marketProtectionBps} BETWEEN 1 AND 10000`,
    ),
  ],
);

/**
 * One row per book: locking it serialises every change of that book across all processes, and its
 * version (raised by each locker) tells a process whether the book it keeps in memory is current.
 */
export const marketBooks = pgTable('market_books', {
  variantId: uuid('variant_id').primaryKey(),
  version: bigint('version', { mode: 'bigint' }).notNull(),
});
