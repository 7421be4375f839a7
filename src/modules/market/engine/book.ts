import type { BookSide } from './levels.ts';
import { BookState, canFillEntirely, crosses, protectionPrice, sweep } from './match.ts';
import type {
  AmendChange,
  AmendResult,
  BookSnapshot,
  CancelReason,
  CancelledOrder,
  Depth,
  DepthLevel,
  Fill,
  IncomingOrder,
  MatchResult,
  OrderBookOptions,
  OrderStatus,
  RejectReason,
  RestingOrder,
  Side,
} from './types.ts';

/** The persisted orders handed to `restore` contradict each other (a bug upstream, never user input). */
export class BookIntegrityError extends Error {
  override readonly name = 'BookIntegrityError';
}

export const DEFAULT_MARKET_PROTECTION_BPS = 500n;

/**
 * One card variant's order book: price-time priority, no I/O. The persistence layer rebuilds it with
 * `restore` (resting orders in time order) and drives it one order at a time; every call returns a
 * plain result describing exactly what changed, and nothing changes when a call is rejected.
 */
export class OrderBook {
  readonly tickSize: bigint;
  readonly marketProtectionBps: bigint;
  private readonly state = new BookState();

  constructor(options: OrderBookOptions = {}) {
    this.tickSize = options.tickSize ?? 1n;
    this.marketProtectionBps = options.marketProtectionBps ?? DEFAULT_MARKET_PROTECTION_BPS;
    if (this.tickSize <= 0n) throw new RangeError('tickSize must be positive');
    if (this.marketProtectionBps < 0n) throw new RangeError('marketProtectionBps must not be negative');
  }

  /** Number of resting orders. */
  get size(): number {
    return this.state.orders.size;
  }

  place(order: IncomingOrder): MatchResult {
    const invalid =
      this.checkQuantity(order.quantity) ??
      (order.type === 'limit' ? this.checkPrice(order.price) : null) ??
      (this.state.orders.has(order.id) ? 'duplicate_order_id' : null);
    if (invalid !== null) return outcome(order.id, 'rejected', order.quantity, [], [], null, invalid, null);

    const opposite = this.state.oppositeOf(order.side);
    let limit: bigint;
    let protection: bigint | null = null;
    if (order.type === 'market') {
      const best = opposite.best();
      if (best === undefined) return outcome(order.id, 'cancelled', order.quantity, [], [], 'no_liquidity', null, null);
      protection = protectionPrice(best.price, order.side, this.marketProtectionBps, this.tickSize);
      limit = protection;
    } else {
      limit = order.price;
    }

    if (order.timeInForce === 'FOK' && !canFillEntirely(this.state, order.side, order.ownerId, order.quantity, limit)) {
      return outcome(order.id, 'cancelled', order.quantity, [], [], 'fok_unfillable', null, protection);
    }

    const fills: Fill[] = [];
    const cancels: CancelledOrder[] = [];
    const remaining = sweep(this.state, order, order.quantity, limit, fills, cancels);
    if (remaining === 0n) return outcome(order.id, 'filled', 0n, fills, cancels, null, null, protection);
    if (order.type === 'limit' && order.timeInForce === 'GTC') {
      this.state.rest(order.id, order.ownerId, order.side, order.price, remaining);
      return outcome(order.id, 'resting', remaining, fills, cancels, null, null, null);
    }
    const reason: CancelReason =
      order.type === 'market' && opposite.best() !== undefined ? 'protection_limit' : 'ioc_remainder';
    return outcome(order.id, 'cancelled', remaining, fills, cancels, reason, null, protection);
  }

  /** Removes a resting order (user cancel, expiry, retired card); null when it is not in the book. */
  cancel(orderId: string): RestingOrder | null {
    const node = this.state.orders.get(orderId);
    if (node === undefined) return null;
    const view = node.view();
    this.state.remove(node);
    return view;
  }

  amend(orderId: string, change: AmendChange): AmendResult {
    const node = this.state.orders.get(orderId);
    if (node === undefined) return { status: 'not_found' };
    const price = change.price ?? node.price;
    const quantity = change.quantity ?? node.quantity;
    const invalid = this.checkQuantity(quantity) ?? this.checkPrice(price);
    if (invalid !== null) return { status: 'rejected', rejectReason: invalid };
    const previous = node.view();
    if (price === node.price && quantity === node.quantity) return { status: 'unchanged', order: previous };
    if (price === node.price && quantity < node.quantity) {
      this.state.reduce(node, quantity);
      return { status: 'reduced', order: node.view(), previous };
    }
    this.state.remove(node);
    const result = this.place({
      type: 'limit',
      id: previous.id,
      ownerId: previous.ownerId,
      side: previous.side,
      price,
      quantity,
      timeInForce: 'GTC',
    });
    return { status: 'replaced', previous, result };
  }

  /**
   * Puts a persisted resting order back without matching. Call it in time-priority order; an order
   * that is invalid, already present or would cross the book throws BookIntegrityError.
   */
  restore(order: RestingOrder): void {
    const invalid =
      this.checkQuantity(order.quantity) ??
      this.checkPrice(order.price) ??
      (this.state.orders.has(order.id) ? 'duplicate_order_id' : null);
    if (invalid !== null) throw new BookIntegrityError(`cannot restore order ${order.id}: ${invalid}`);
    const best = this.state.oppositeOf(order.side).best();
    if (best !== undefined && crosses(order.side, best.price, order.price)) {
      throw new BookIntegrityError(`cannot restore order ${order.id}: it crosses the book at ${best.price}`);
    }
    this.state.rest(order.id, order.ownerId, order.side, order.price, order.quantity);
  }

  get(orderId: string): RestingOrder | null {
    return this.state.orders.get(orderId)?.view() ?? null;
  }

  bestBid(): bigint | null {
    return this.state.bids.best()?.price ?? null;
  }

  bestAsk(): bigint | null {
    return this.state.asks.best()?.price ?? null;
  }

  /** The protection price a market order on `side` would get now (null when it could not fill). */
  marketProtectionPrice(side: Side): bigint | null {
    const best = this.state.oppositeOf(side).best();
    return best === undefined ? null : protectionPrice(best.price, side, this.marketProtectionBps, this.tickSize);
  }

  /** Up to `levels` price levels per side, best first. */
  depth(levels: number): Depth {
    return { bids: aggregate(this.state.bids, levels), asks: aggregate(this.state.asks, levels) };
  }

  snapshot(): BookSnapshot {
    return { bids: listOrders(this.state.bids), asks: listOrders(this.state.asks) };
  }

  private checkQuantity(quantity: bigint): RejectReason | null {
    return quantity > 0n ? null : 'invalid_quantity';
  }

  private checkPrice(price: bigint): RejectReason | null {
    if (price <= 0n) return 'invalid_price';
    return price % this.tickSize === 0n ? null : 'off_tick';
  }
}

function outcome(
  orderId: string,
  status: OrderStatus,
  remainingQuantity: bigint,
  fills: readonly Fill[],
  selfTradeCancels: readonly CancelledOrder[],
  cancelReason: CancelReason | null,
  rejectReason: RejectReason | null,
  protectionPrice: bigint | null,
): MatchResult {
  let filledQuantity = 0n;
  let filledNotional = 0n;
  for (const fill of fills) {
    filledQuantity += fill.quantity;
    filledNotional += fill.price * fill.quantity;
  }
  return {
    orderId,
    status,
    filledQuantity,
    filledNotional,
    remainingQuantity,
    fills,
    selfTradeCancels,
    cancelReason,
    rejectReason,
    protectionPrice,
  };
}

function aggregate(side: BookSide, levels: number): DepthLevel[] {
  const out: DepthLevel[] = [];
  const n = Math.min(Math.max(0, Math.floor(levels)), side.levelCount);
  for (let i = 0; i < n; i++) {
    const level = side.levelFromBest(i);
    if (level !== undefined) out.push({ price: level.price, quantity: level.total, orders: level.count });
  }
  return out;
}

function listOrders(side: BookSide): RestingOrder[] {
  const out: RestingOrder[] = [];
  for (let i = 0; i < side.levelCount; i++) {
    const level = side.levelFromBest(i);
    for (let node = level?.head ?? null; node !== null; node = node.next) out.push(node.view());
  }
  return out;
}
