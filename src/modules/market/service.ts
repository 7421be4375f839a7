import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { DEFAULT_MARKET_SETTINGS, loadMarketSettings, type MarketSettings } from './config-service.ts';
import { catalogPrices, findVariantRef } from '../cards/index.ts';
import type { NewEvent } from '../../platform/events/index.ts';
import { COIN, assertNotFrozen, ensureWallet, openEscrow, transfer } from '../ledger/index.ts';
import {
  OrderBook,
  buyEscrow,
  checkPriceBand,
  isOnTick,
  quote,
  type IncomingOrder,
  type Side,
  type TimeInForce,
} from './engine/index.ts';
import {
  CardRetiredError,
  InvalidOrderError,
  OrderNotFoundError,
  OrderNotOpenError,
  PriceOutOfBandError,
  UnknownCardError,
} from './errors.ts';
import * as repo from './repo.ts';
import type { OrderRow, VariantRef } from './repo.ts';
import { bookChangeEvents, countOrder, recordMarketEvents, saveOrders, settleFill } from './settlement.ts';

export { DEFAULT_MARKET_SETTINGS, type MarketSettings } from './config-service.ts';

export interface PlaceOrderInput {
  userId: string;
  variantId: string;
  side: Side;
  type: 'limit' | 'market';
  timeInForce: TimeInForce;
  /** Required for limit orders, ignored for market orders. */
  price?: bigint;
  quantity: bigint;
  /** `listing` for a marketplace listing (a GTC limit sell); default `order`. */
  source?: 'order' | 'listing';
  /** GTC orders only: when the expiry sweep cancels what is left. */
  expiresAt?: Date;
  /** The time the order (and its fills) are recorded at; default now. Demo data replays history. */
  at?: Date;
  /**
   * Replaying history (demo data): the same matching and ledger movements, but nothing is published
   * and fills are not screened (the events are long past).
   */
  replay?: boolean;
}

/** The order as the matching engine takes it: a limit order at `price`, else a market order. */
export function incomingOrder(id: string, input: PlaceOrderInput, price: bigint | null): IncomingOrder {
  const base = {
    id,
    ownerId: input.userId,
    side: input.side,
    quantity: input.quantity,
    timeInForce: input.timeInForce,
  };
  return input.type === 'limit' && price !== null ? { ...base, type: 'limit', price } : { ...base, type: 'market' };
}

/** Longest an order may rest before its expiry. */
export const MAX_ORDER_LIFETIME_MS = 90 * 24 * 3_600_000;

/** Refuses a price that is not a multiple of the tick size. */
export function checkTick(price: bigint, settings: MarketSettings): void {
  if (!isOnTick(price, settings.tickSize)) {
    throw new InvalidOrderError('off_tick', `Prices must be multiples of ${settings.tickSize}`, {
      tickSize: Number(settings.tickSize),
    });
  }
}

/** Fat-finger guard (call under the variant lock): refuses a price outside the band around the reference. */
export async function checkBand(tx: Db, variantId: string, price: bigint, settings: MarketSettings): Promise<void> {
  const band = checkPriceBand(price, await bandReference(tx, variantId), settings.priceBand);
  if (!band.ok) throw new PriceOutOfBandError(band.reason, band.min, band.max);
}

export function validate(input: PlaceOrderInput, settings: MarketSettings): void {
  if (input.quantity <= 0n) throw new InvalidOrderError('invalid_quantity', 'Quantity must be at least 1');
  if (input.expiresAt !== undefined) {
    const now = (input.at ?? new Date()).getTime();
    if (input.timeInForce !== 'GTC' || input.type !== 'limit') {
      throw new InvalidOrderError('invalid_expiry', 'Only GTC limit orders rest in the book and can expire');
    }
    if (input.expiresAt.getTime() <= now || input.expiresAt.getTime() > now + MAX_ORDER_LIFETIME_MS) {
      throw new InvalidOrderError('invalid_expiry', 'expiresAt must be in the future and within 90 days');
    }
  }
  if (input.type === 'market') return;
  if (input.price === undefined || input.price <= 0n) {
    throw new InvalidOrderError('invalid_price', 'A limit order needs a positive price');
  }
  checkTick(input.price, settings);
  if (input.side === 'sell' && quote(input.price, input.quantity, settings.fees).sellerReceives <= 0n) {
    throw new InvalidOrderError('invalid_price', 'At this price the commission would take all of the proceeds');
  }
}

/** The variant's book rebuilt from its open orders, in time priority (call under the variant lock). */
export async function loadBook(tx: Db, variantId: string, settings: MarketSettings) {
  const open = await repo.openOrders(tx, variantId);
  const book = new OrderBook({ tickSize: settings.tickSize, marketProtectionBps: settings.marketProtectionBps });
  for (const o of open) {
    if (o.price === null) continue;
    book.restore({ id: o.id, ownerId: o.ownerId, side: o.side, price: o.price, quantity: o.remaining });
  }
  return { book, orders: new Map(open.map((o) => [o.id, o])) };
}

/**
 * Takes the variant's book lock, then reads the variant: a retirement that committed while this
 * transaction waited is seen, so no order rests on a closed book.
 */
export async function lockedVariant(tx: Db, variantId: string): Promise<VariantRef & { retired: boolean }> {
  if (!repo.isUuid(variantId)) throw new UnknownCardError();
  await repo.lockVariant(tx, variantId.toLowerCase());
  const variant = await findVariantRef(tx, variantId);
  if (!variant) throw new UnknownCardError();
  if (variant.retired) throw new CardRetiredError();
  return variant;
}

/** The price the fat-finger band is drawn around: the last trade, else the catalogue price. */
export async function bandReference(tx: Db, variantId: string): Promise<bigint | null> {
  const last = await repo.lastTradePrice(tx, variantId);
  if (last !== null) return last;
  return (await catalogPrices(tx, [variantId])).get(variantId) ?? null;
}

/**
 * Closes the variant's orders whose expiry has passed (call under its lock), so nothing expired
 * trades while the sweep has yet to reach it.
 */
export async function closeDueOf(tx: Db, variantId: string, now: Date, settings: MarketSettings): Promise<void> {
  const due = await repo.dueOrdersOf(tx, variantId, now);
  if (due.length > 0) await closeOrders(tx, variantId, due, 'expired', settings);
}

/**
 * The part of the book an incoming order can trade against (call under the variant lock): the
 * opposite side's open orders up to its limit, or for a market order up to the protection price
 * from the best one, in price-time priority. Orders it cannot reach never affect its matching, so
 * an order's cost does not grow with the depth of the book.
 */
export async function loadReachable(
  tx: Db,
  variantId: string,
  side: Side,
  limit: bigint | null,
  settings: MarketSettings,
) {
  const book = new OrderBook({ tickSize: settings.tickSize, marketProtectionBps: settings.marketProtectionBps });
  let bound = limit;
  if (bound === null) {
    const best = await repo.bestOpposite(tx, variantId, side);
    if (best?.price != null) {
      const probe = new OrderBook({ tickSize: settings.tickSize, marketProtectionBps: settings.marketProtectionBps });
      probe.restore({
        id: best.id,
        ownerId: best.ownerId,
        side: best.side,
        price: best.price,
        quantity: best.remaining,
      });
      bound = probe.marketProtectionPrice(side);
    }
  }
  const reachable = bound === null ? [] : await repo.reachableOrders(tx, variantId, side, bound);
  for (const o of reachable) {
    if (o.price === null) continue;
    book.restore({ id: o.id, ownerId: o.ownerId, side: o.side, price: o.price, quantity: o.remaining });
  }
  return { book, orders: new Map(reachable.map((o) => [o.id, o])), bound };
}

/**
 * Escrows, matches and settles one order in `tx`: everything (ledger movements, orders, trades,
 * candles, outbox events) commits or rolls back together. Refusals throw before anything is written.
 */
export async function placeOrder(
  tx: Db,
  input: PlaceOrderInput,
  settings: MarketSettings = DEFAULT_MARKET_SETTINGS,
): Promise<OrderRow> {
  validate(input, settings);
  // A user owing coins of a refunded or disputed deposit may not trade until it is repaid.
  if (!input.replay) await assertNotFrozen(tx, input.userId);
  const variant = await lockedVariant(tx, input.variantId);
  await closeDueOf(tx, variant.id, input.at ?? new Date(), settings);
  if (input.type === 'limit' && input.price !== undefined) await checkBand(tx, variant.id, input.price, settings);
  const limit = input.type === 'limit' ? (input.price ?? null) : null;
  const { book, orders, bound } = await loadReachable(tx, variant.id, input.side, limit, settings);
  const id = uuidv7();
  // A market buy escrows for the worst price it may fill at: the book's protection price.
  const price = input.type === 'limit' ? limit : input.side === 'buy' ? bound : null;
  const order = await openOrder(tx, variant, { ...input, price }, id, settings);
  orders.set(id, order);

  const incoming = incomingOrder(id, input, order.price);
  const result = book.place(incoming);
  if (result.status === 'rejected')
    throw new InvalidOrderError('invalid_price', `Order rejected: ${result.rejectReason}`);

  const touched = new Map<string, OrderRow>([[id, order]]);
  const events: NewEvent[] = [];
  for (const c of result.selfTradeCancels) {
    const resting = orders.get(c.id);
    if (!resting) continue;
    resting.status = 'cancelled';
    resting.cancelReason = 'self_trade';
    touched.set(c.id, resting);
  }
  for (const fill of result.fills) {
    events.push(
      ...(await settleFill(tx, variant, fill, orders, settings.fees, { at: input.at, replay: input.replay })),
    );
    const maker = orders.get(fill.makerOrderId);
    if (maker) touched.set(maker.id, maker);
  }
  if (result.status === 'cancelled') {
    order.status = 'cancelled';
    order.cancelReason = result.cancelReason;
    // Only the reachable part of the book was loaded: a market order that ran out of it stopped at
    // its protection price when the book goes on beyond it, as the engine on the whole book says.
    if (input.type === 'market' && result.cancelReason === 'ioc_remainder' && bound !== null) {
      if (await repo.hasOrdersBeyond(tx, variant.id, input.side, bound)) order.cancelReason = 'protection_limit';
    }
  }
  await saveOrders(tx, touched.values());
  if (input.replay) return order;
  countOrder(tx, input);
  events.push(...(await bookEvents(tx, variant.id, settings, touched.values(), result.fills.length > 0)));
  await recordMarketEvents(tx, variant.id, events);
  return order;
}

export async function openOrder(
  tx: Db,
  variant: VariantRef,
  input: Omit<PlaceOrderInput, 'price'> & { price: bigint | null },
  id: string,
  settings: MarketSettings,
): Promise<OrderRow> {
  const wallet = await ensureWallet(tx, input.userId);
  const escrow = await openEscrow(tx, { ownerId: input.userId, purpose: 'market.order', reference: id });
  const [asset, amount] =
    input.side === 'sell'
      ? [variant.asset, input.quantity]
      : [COIN, input.price === null ? 0n : buyEscrow(input.price, input.quantity, settings.fees)];
  if (amount > 0n) {
    await transfer(tx, {
      kind: 'market.escrow',
      reference: id,
      legs: [{ from: wallet, to: escrow.id, asset, amount }],
    });
  }
  const row: OrderRow = {
    id,
    ownerId: input.userId,
    variantId: variant.id,
    side: input.side,
    type: input.type,
    timeInForce: input.timeInForce,
    price: input.price,
    quantity: input.quantity,
    remaining: input.quantity,
    filledQuantity: 0n,
    filledNotional: 0n,
    feePaid: 0n,
    feeRateBps: Number(settings.fees.rateBps),
    minimumFee: settings.fees.minimumFee,
    status: 'open',
    cancelReason: null,
    escrowAccountId: escrow.id,
    queueSeq: 0n,
    source: input.source ?? 'order',
    expiresAt: input.expiresAt ?? null,
    createdAt: input.at ?? new Date(),
    updatedAt: input.at ?? new Date(),
  };
  const { queueSeq: _assignedByTheDatabase, ...fields } = row;
  await repo.insertOrder(tx, { ...fields, createdAt: input.at, updatedAt: input.at });
  return row;
}

/** Depth, best prices, each touched order's owner and the cache's invalidation, after a change. */
export async function bookEvents(
  tx: Db,
  variantId: string,
  settings: MarketSettings,
  touched: Iterable<OrderRow>,
  traded = false,
): Promise<NewEvent[]> {
  return bookChangeEvents(variantId, await repo.bookDepth(tx, variantId, settings.publishedLevels), touched, traded);
}

/** Cancels the caller's open order and returns its escrow. Another user's order is reported missing. */
export async function cancelOrder(
  tx: Db,
  userId: string,
  orderId: string,
  settings: MarketSettings = DEFAULT_MARKET_SETTINGS,
): Promise<OrderRow> {
  const found = await repo.findOrder(tx, orderId);
  if (!found || found.ownerId !== userId) throw new OrderNotFoundError();
  const [order] = await closeOrders(tx, found.variantId, [orderId], 'cancelled', settings);
  if (!order) throw new OrderNotOpenError();
  return order;
}

/**
 * Closes open orders of one variant under its lock and returns their escrow: the given ids (those
 * still open; others are skipped), or every open order when `ids` is `'all'` (a retired card).
 */
export async function closeOrders(
  tx: Db,
  variantId: string,
  ids: readonly string[] | 'all',
  reason: 'cancelled' | 'expired' | 'card_retired',
  settings: MarketSettings = DEFAULT_MARKET_SETTINGS,
): Promise<OrderRow[]> {
  await repo.lockVariant(tx, variantId);
  const closing = ids === 'all' ? await repo.openOrders(tx, variantId) : await repo.openOrdersAmong(tx, variantId, ids);
  if (closing.length === 0) return [];
  for (const order of closing) {
    order.status = 'cancelled';
    order.cancelReason = reason;
  }
  await saveOrders(tx, closing);
  await recordMarketEvents(tx, variantId, await bookEvents(tx, variantId, settings, closing));
  return closing;
}

/** Cancels open orders whose expiry has passed, one variant per transaction; returns how many. */
export async function expireDueOrders(db: Db, now = new Date(), batch = 200): Promise<number> {
  const due = await repo.dueOrders(db, now, batch);
  const byVariant = new Map<string, string[]>();
  for (const o of due) byVariant.set(o.variantId, [...(byVariant.get(o.variantId) ?? []), o.id]);
  let closed = 0;
  for (const [variantId, ids] of byVariant) {
    closed += await withTransaction(db, async (tx) => {
      const settings = await loadMarketSettings(tx);
      return (await closeOrders(tx, variantId, ids, 'expired', settings)).length;
    });
  }
  return closed;
}

/** Closes every open order on card variants that left circulation; returns how many. */
export async function closeRetired(db: Db, variantIds: readonly string[]): Promise<number> {
  let closed = 0;
  for (const variantId of variantIds) {
    closed += await withTransaction(db, async (tx) => {
      const settings = await loadMarketSettings(tx);
      return (await closeOrders(tx, variantId, 'all', 'card_retired', settings)).length;
    });
  }
  return closed;
}

export function listMyOrders(db: Db, userId: string, state: 'open' | 'done', limit = 100): Promise<OrderRow[]> {
  return repo.ordersOf(db, userId, state, limit);
}
