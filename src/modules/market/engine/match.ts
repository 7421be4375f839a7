import { BookSide, OrderNode } from './levels.ts';
import type { CancelledOrder, Fill, Side } from './types.ts';

const BPS = 10_000n;

/** The mutable state of one book, shared by the book facade and the matching steps. */
export class BookState {
  readonly bids = new BookSide('buy');
  readonly asks = new BookSide('sell');
  readonly orders = new Map<string, OrderNode>();

  sideOf(side: Side): BookSide {
    return side === 'buy' ? this.bids : this.asks;
  }

  oppositeOf(side: Side): BookSide {
    return side === 'buy' ? this.asks : this.bids;
  }

  /** Appends an order at the back of its price level's queue. */
  rest(id: string, ownerId: string, side: Side, price: bigint, quantity: bigint): OrderNode {
    const level = this.sideOf(side).obtain(price);
    const node = new OrderNode(id, ownerId, side, level, quantity);
    level.append(node);
    this.orders.set(id, node);
    return node;
  }

  remove(node: OrderNode): void {
    const level = node.level;
    level.unlink(node);
    this.orders.delete(node.id);
    if (level.count === 0) this.sideOf(node.side).discard(level);
  }

  /** Lowers an order's open quantity in place (time priority kept). */
  reduce(node: OrderNode, quantity: bigint): void {
    node.level.total -= node.quantity - quantity;
    node.quantity = quantity;
  }
}

/** True when a maker at `price` is acceptable to a taker on `side` bounded by `limit`. */
export function crosses(side: Side, price: bigint, limit: bigint): boolean {
  return side === 'buy' ? price <= limit : price >= limit;
}

/**
 * Worst price a market order on `side` may fill at: `bps` away from the best opposite price, rounded
 * to the tick towards that best price so the distance is never exceeded (never below one tick).
 */
export function protectionPrice(bestOpposite: bigint, side: Side, bps: bigint, tick: bigint): bigint {
  if (side === 'buy') {
    const raw = (bestOpposite * (BPS + bps)) / BPS;
    return (raw / tick) * tick;
  }
  const factor = BPS - bps > 0n ? BPS - bps : 0n;
  const raw = (bestOpposite * factor + BPS - 1n) / BPS;
  const ticked = ((raw + tick - 1n) / tick) * tick;
  return ticked < tick ? tick : ticked;
}

/**
 * Whether `quantity` can be filled entirely within `limit` by orders of other owners (the owner's own
 * orders would be cancelled, not filled). Reads only: the FOK decision precedes any change.
 */
export function canFillEntirely(
  state: BookState,
  side: Side,
  ownerId: string,
  quantity: bigint,
  limit: bigint,
): boolean {
  const opposite = state.oppositeOf(side);
  // Level totals first: when even they fall short there is no need to look at single orders.
  let gross = 0n;
  for (let i = 0; gross < quantity; i++) {
    const level = opposite.levelFromBest(i);
    if (level === undefined || !crosses(side, level.price, limit)) break;
    gross += level.total;
  }
  if (gross < quantity) return false;
  let net = 0n;
  for (let i = 0; i < opposite.levelCount; i++) {
    const level = opposite.levelFromBest(i);
    if (level === undefined || !crosses(side, level.price, limit)) return false;
    for (let node = level.head; node !== null; node = node.next) {
      if (node.ownerId === ownerId) continue;
      net += node.quantity;
      if (net >= quantity) return true;
    }
  }
  return false;
}

export interface Taker {
  readonly id: string;
  readonly ownerId: string;
  readonly side: Side;
}

/**
 * Takes liquidity from the opposite side, best price first and oldest first within a price, until
 * `quantity` is done or the next maker is beyond `limit`. Same-owner makers met on the way are
 * removed and reported instead of filled. Returns the quantity left.
 */
export function sweep(
  state: BookState,
  taker: Taker,
  quantity: bigint,
  limit: bigint,
  fills: Fill[],
  cancels: CancelledOrder[],
): bigint {
  const opposite = state.oppositeOf(taker.side);
  let remaining = quantity;
  while (remaining > 0n) {
    const level = opposite.best();
    if (level === undefined || !crosses(taker.side, level.price, limit)) break;
    let node = level.head;
    while (node !== null && remaining > 0n) {
      const next = node.next;
      if (node.ownerId === taker.ownerId) {
        cancels.push({ ...node.view(), reason: 'self_trade' });
        state.remove(node);
      } else {
        const q = node.quantity < remaining ? node.quantity : remaining;
        remaining -= q;
        state.reduce(node, node.quantity - q);
        fills.push({
          makerOrderId: node.id,
          makerOwnerId: node.ownerId,
          takerOrderId: taker.id,
          takerOwnerId: taker.ownerId,
          takerSide: taker.side,
          price: level.price,
          quantity: q,
          makerRemaining: node.quantity,
        });
        if (node.quantity === 0n) state.remove(node);
      }
      node = next;
    }
  }
  return remaining;
}
