// Test support of the leaderboards module: raw bot records written as the bots and market modules
// would have written them, so boards can be checked against the data they came from.
import { sql } from 'drizzle-orm';
import { uuidv7 } from 'uuidv7';
import type { Db } from '../../src/platform/db/tx.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export interface FillSpec {
  variantId: string;
  side: 'buy' | 'sell';
  price: number;
  quantity: number;
  fee: number;
  at: number;
  /** A live fill whose exchange trade carries a wash-trading flag (`dismissed`: staff dismissed it). */
  wash?: 'open' | 'dismissed';
}

export interface BotSpec {
  id?: string;
  ownerId: string;
  mode: 'live' | 'paper';
  allocation: number;
  createdAt: number;
  strategyVersion?: number;
  equity: { t: number; equity: number }[];
  fills: FillSpec[];
  variantIds?: string[];
}

/** A strategy for `ownerId` (bots need one). */
export async function insertStrategy(db: Db, ownerId: string): Promise<string> {
  const id = uuidv7();
  await db.execute(sql`
    INSERT INTO bot_strategies (id, owner_id, name, kind, latest_version) VALUES (${id}, ${ownerId}, 'S', 'rules', 3)`);
  return id;
}

/** Inserts a bot with its equity snapshots, orders, fills and (live) exchange trades and flags. */
export async function insertBotRecord(db: Db, spec: BotSpec, strategyId?: string): Promise<string> {
  const id = spec.id ?? uuidv7();
  const strategy = strategyId ?? (await insertStrategy(db, spec.ownerId));
  const variants = spec.variantIds ?? [...new Set(spec.fills.map((f) => f.variantId))];
  await db.execute(sql`
    INSERT INTO bots (id, owner_id, name, strategy_id, strategy_version, mode, status, variant_ids, interval, allocation,
                      settings, created_at, started_at)
    VALUES (${id}, ${spec.ownerId}, ${`bot ${id.slice(-6)}`}, ${strategy}, ${spec.strategyVersion ?? 1}, ${spec.mode},
            'running', ${`{${variants.join(',')}}`}::uuid[], '1h', ${spec.allocation}, '{}'::jsonb,
            ${new Date(spec.createdAt)}, ${new Date(spec.createdAt)})`);
  await addEquity(db, id, spec.equity);
  for (const f of spec.fills) await addFill(db, id, spec.ownerId, spec.mode, f);
  return id;
}

export async function addEquity(db: Db, botId: string, points: readonly { t: number; equity: number }[]) {
  for (const p of points) {
    await db.execute(sql`
      INSERT INTO bot_equity (bot_id, at, equity, cash) VALUES (${botId}, ${new Date(p.t)}, ${p.equity}, ${p.equity})`);
  }
}

export async function addFill(db: Db, botId: string, ownerId: string, mode: 'live' | 'paper', f: FillSpec) {
  const orderId = uuidv7();
  const exchangeOrderId = mode === 'live' ? uuidv7() : null;
  const at = new Date(f.at);
  await db.execute(sql`
    INSERT INTO bot_orders (id, bot_id, variant_id, side, type, price, quantity, filled, status, exchange_order_id,
                            created_at, updated_at)
    VALUES (${orderId}, ${botId}, ${f.variantId}, ${f.side}, 'limit', ${f.price}, ${f.quantity}, ${f.quantity},
            'filled', ${exchangeOrderId}, ${at}, ${at})`);
  await db.execute(sql`
    INSERT INTO bot_fills (id, bot_id, order_id, variant_id, side, price, quantity, fee, at)
    VALUES (${uuidv7()}, ${botId}, ${orderId}, ${f.variantId}, ${f.side}, ${f.price}, ${f.quantity}, ${f.fee}, ${at})`);
  if (!exchangeOrderId) return;
  const tradeId = uuidv7();
  const counterparty = uuidv7();
  const [buyer, seller] = f.side === 'buy' ? [botId, counterparty] : [counterparty, botId];
  await insertTrade(db, {
    id: tradeId,
    variantId: f.variantId,
    buyerId: buyer,
    sellerId: seller,
    makerOrderId: exchangeOrderId,
    price: f.price,
    quantity: f.quantity,
    buyerFee: f.side === 'buy' ? f.fee : 0,
    sellerFee: f.side === 'sell' ? f.fee : 0,
    at: f.at,
  });
  if (f.wash) await flagWash(db, tradeId, [buyer, seller], f.wash);
}

/** An exchange trade as the market records it (the buyer takes). */
export async function insertTrade(
  db: Db,
  t: {
    id?: string;
    variantId: string;
    buyerId: string;
    sellerId: string;
    makerOrderId?: string;
    price: number;
    quantity: number;
    buyerFee: number;
    sellerFee: number;
    at: number;
  },
): Promise<string> {
  const id = t.id ?? uuidv7();
  await db.execute(sql`
    INSERT INTO market_trades (id, variant_id, maker_order_id, taker_order_id, maker_owner_id, taker_owner_id,
                               taker_side, price, quantity, buyer_fee, seller_fee, ts)
    VALUES (${id}, ${t.variantId}, ${t.makerOrderId ?? uuidv7()}, ${uuidv7()}, ${t.sellerId}, ${t.buyerId}, 'buy',
            ${t.price}, ${t.quantity}, ${t.buyerFee}, ${t.sellerFee}, ${new Date(t.at)})`);
  return id;
}

/** A wash-trading flag on an exchange trade, open or dismissed by staff. */
export async function flagWash(db: Db, tradeId: string, userIds: string[], status: 'open' | 'dismissed') {
  const resolved = status === 'dismissed';
  await db.execute(sql`
    INSERT INTO fraud_flags (id, rule, severity, user_ids, reference, details, status, resolved_at, outcome)
    VALUES (${uuidv7()}, 'wash_trading', 'high', ${`{${userIds.join(',')}}`}::uuid[], ${`market.trade:${tradeId}`},
            '{}'::jsonb, ${resolved ? 'resolved' : 'open'}, ${resolved ? new Date() : null},
            ${resolved ? 'dismissed' : null})`);
}

/** Empties every table the boards read or write, between property runs. */
export async function clearBoards(db: Db): Promise<void> {
  await db.execute(sql`
    TRUNCATE leaderboard_entries, leaderboard_dirty, leaderboard_bot_versions, bot_fills, bot_orders, bot_equity,
             bot_runs, bots, market_trades, fraud_flags CASCADE`);
}
