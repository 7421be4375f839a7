import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { findVariantRef } from '../cards/index.ts';
import { recordEvents, type NewEvent } from '../../platform/events/index.ts';
import { userChannel } from '../../platform/realtime/ws.ts';
import { COIN, ensureWallet, openEscrow, transfer } from '../ledger/index.ts';
import {
  DEFAULT_FEE_SCHEDULE,
  DEFAULT_MARKET_PROTECTION_BPS,
  DEFAULT_PRICE_BAND,
  OrderBook,
  buyEscrow,
  checkPriceBand,
  isOnTick,
  type FeeSchedule,
  type IncomingOrder,
  type Side,
  type TimeInForce,
} from './engine/index.ts';
import {
  InvalidOrderError,
  OrderNotFoundError,
  OrderNotOpenError,
  PriceOutOfBandError,
  UnknownCardError,
} from './errors.ts';
import * as repo from './repo.ts';
import type { OrderRow, VariantRef } from './repo.ts';
import { changedEvent, marketChannels, publishEvent, saveOrders, settleFill } from './settlement.ts';

export interface MarketSettings {
  tickSize: bigint;
  /** Orders priced outside [last / band, last × band] are refused. */
  priceBand: bigint;
  fees: FeeSchedule;
  /** Levels of depth published on the book channel after a change. */
  publishedLevels: number;
  /** A market order never fills further than this from the best price at arrival (basis points). */
  marketProtectionBps: bigint;
}

export const DEFAULT_MARKET_SETTINGS: MarketSettings = Object.freeze({
  tickSize: 1n,
  priceBand: DEFAULT_PRICE_BAND,
  fees: DEFAULT_FEE_SCHEDULE,
  publishedLevels: 10,
  marketProtectionBps: DEFAULT_MARKET_PROTECTION_BPS,
});

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
}

function validate(input: PlaceOrderInput, settings: MarketSettings): void {
  if (input.quantity <= 0n) throw new InvalidOrderError('invalid_quantity', 'Quantity must be at least 1');
  if (input.type === 'market') return;
  if (input.price === undefined || input.price <= 0n) {
    throw new InvalidOrderError('invalid_price', 'A limit order needs a positive price');
  }
  if (!isOnTick(input.price, settings.tickSize)) {
    throw new InvalidOrderError('off_tick', `Prices must be multiples of ${settings.tickSize}`, {
      tickSize: Number(settings.tickSize),
    });
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
 * Escrows, matches and settles one order in `tx`: everything (ledger movements, orders, trades,
 * candles, outbox events) commits or rolls back together. Refusals throw before anything is written.
 */
export async function placeOrder(
  tx: Db,
  input: PlaceOrderInput,
  settings: MarketSettings = DEFAULT_MARKET_SETTINGS,
): Promise<OrderRow> {
  validate(input, settings);
  const variant = await findVariantRef(tx, input.variantId);
  if (!variant) throw new UnknownCardError();
  await repo.lockVariant(tx, variant.id);
  if (input.type === 'limit' && input.price !== undefined) {
    const band = checkPriceBand(input.price, await repo.lastTradePrice(tx, variant.id), settings.priceBand);
    if (!band.ok) throw new PriceOutOfBandError(band.reason, band.min, band.max);
  }
  const { book, orders } = await loadBook(tx, variant.id, settings);
  const id = uuidv7();
  // A market buy escrows for the worst price it may fill at: the book's protection price.
  const price =
    input.type === 'limit' ? (input.price ?? null) : input.side === 'buy' ? book.marketProtectionPrice('buy') : null;
  const order = await openOrder(tx, variant, { ...input, price }, id, settings);
  orders.set(id, order);

  const incoming: IncomingOrder =
    input.type === 'limit' && order.price !== null
      ? {
          id,
          ownerId: input.userId,
          side: input.side,
          quantity: input.quantity,
          timeInForce: input.timeInForce,
          type: 'limit',
          price: order.price,
        }
      : {
          id,
          ownerId: input.userId,
          side: input.side,
          quantity: input.quantity,
          timeInForce: input.timeInForce,
          type: 'market',
        };
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
    events.push(...(await settleFill(tx, variant, fill, orders, settings.fees, input.at)));
    const maker = orders.get(fill.makerOrderId);
    if (maker) touched.set(maker.id, maker);
  }
  if (result.status === 'cancelled') {
    order.status = 'cancelled';
    order.cancelReason = result.cancelReason;
  }
  await saveOrders(tx, touched.values());
  events.push(...bookEvents(variant.id, book, settings, touched.values(), result.fills.length > 0));
  await recordEvents(tx, events);
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
export function bookEvents(
  variantId: string,
  book: OrderBook,
  settings: MarketSettings,
  touched: Iterable<OrderRow>,
  traded = false,
) {
  const depth = book.depth(settings.publishedLevels);
  const level = (l: { price: bigint; quantity: bigint; orders: number }) => ({
    price: Number(l.price),
    quantity: Number(l.quantity),
    orders: l.orders,
  });
  const events: NewEvent[] = [
    changedEvent(variantId, traded),
    publishEvent(variantId, marketChannels.book(variantId), {
      type: 'book',
      cardId: variantId,
      bids: depth.bids.map(level),
      asks: depth.asks.map(level),
    }),
    publishEvent(variantId, marketChannels.ticker(variantId), {
      type: 'ticker',
      cardId: variantId,
      bestBid: toNumber(book.bestBid()),
      bestAsk: toNumber(book.bestAsk()),
    }),
  ];
  for (const o of touched) {
    events.push(publishEvent(variantId, userChannel(o.ownerId), { type: 'order', orderId: o.id, status: o.status }));
  }
  return events;
}

const toNumber = (v: bigint | null) => (v === null ? null : Number(v));

/** Cancels the caller's open order and returns its escrow. Another user's order is reported missing. */
export async function cancelOrder(
  tx: Db,
  userId: string,
  orderId: string,
  settings: MarketSettings = DEFAULT_MARKET_SETTINGS,
): Promise<OrderRow> {
  const found = await repo.findOrder(tx, orderId);
  if (!found || found.ownerId !== userId) throw new OrderNotFoundError();
  await repo.lockVariant(tx, found.variantId);
  const { book, orders } = await loadBook(tx, found.variantId, settings);
  const order = orders.get(orderId);
  if (!order) throw new OrderNotOpenError();
  book.cancel(orderId);
  order.status = 'cancelled';
  order.cancelReason = 'cancelled';
  await saveOrders(tx, [order]);
  await recordEvents(tx, bookEvents(order.variantId, book, settings, [order]));
  return order;
}

export function listMyOrders(db: Db, userId: string, state: 'open' | 'done', limit = 100): Promise<OrderRow[]> {
  return repo.ordersOf(db, userId, state, limit);
}
