import type { RestingOrder, Side } from './types.ts';

/** A resting order inside its price level's FIFO queue (a doubly linked list, so cancels are O(1)). */
export class OrderNode {
  prev: OrderNode | null = null;
  next: OrderNode | null = null;

  constructor(
    readonly id: string,
    readonly ownerId: string,
    readonly side: Side,
    readonly level: PriceLevel,
    public quantity: bigint,
  ) {}

  get price(): bigint {
    return this.level.price;
  }

  view(): RestingOrder {
    return { id: this.id, ownerId: this.ownerId, side: this.side, price: this.level.price, quantity: this.quantity };
  }
}

/** All resting orders at one price on one side, oldest first. */
export class PriceLevel {
  head: OrderNode | null = null;
  tail: OrderNode | null = null;
  total = 0n;
  count = 0;

  constructor(readonly price: bigint) {}

  append(node: OrderNode): void {
    node.prev = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.total += node.quantity;
    this.count += 1;
  }

  unlink(node: OrderNode): void {
    if (node.prev === null) this.head = node.next;
    else node.prev.next = node.next;
    if (node.next === null) this.tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = null;
    node.next = null;
    this.total -= node.quantity;
    this.count -= 1;
  }
}

/**
 * One side of a book: price levels in a sorted array with the best level last, so consuming the top
 * of the book is a pop and the levels orders usually join (near the top) move few elements, plus a
 * map from price to level for O(1) lookup of an existing level. New levels are placed by binary
 * search.
 */
export class BookSide {
  private readonly levels: PriceLevel[] = [];
  private readonly byPrice = new Map<bigint, PriceLevel>();

  constructor(readonly side: Side) {}

  /** True when price `a` is strictly better than `b` for this side. */
  better(a: bigint, b: bigint): boolean {
    return this.side === 'buy' ? a > b : a < b;
  }

  best(): PriceLevel | undefined {
    return this.levels[this.levels.length - 1];
  }

  get levelCount(): number {
    return this.levels.length;
  }

  /** The i-th level counting from the best (0 = best). */
  levelFromBest(i: number): PriceLevel | undefined {
    return this.levels[this.levels.length - 1 - i];
  }

  levelAt(price: bigint): PriceLevel | undefined {
    return this.byPrice.get(price);
  }

  /** The level for `price`, created in its sorted place when missing. */
  obtain(price: bigint): PriceLevel {
    const existing = this.byPrice.get(price);
    if (existing !== undefined) return existing;
    const level = new PriceLevel(price);
    const at = this.insertionIndex(price);
    if (at === this.levels.length) this.levels.push(level);
    else this.levels.splice(at, 0, level);
    this.byPrice.set(price, level);
    return level;
  }

  /** Drops an emptied level. */
  discard(level: PriceLevel): void {
    this.byPrice.delete(level.price);
    const last = this.levels.length - 1;
    if (this.levels[last] === level) {
      this.levels.pop();
      return;
    }
    const at = this.insertionIndex(level.price) - 1;
    if (this.levels[at] === level) this.levels.splice(at, 1);
  }

  /** First index whose level is strictly better than `price` (levels ascend in quality). */
  private insertionIndex(price: bigint): number {
    let lo = 0;
    let hi = this.levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const level = this.levels[mid];
      if (level !== undefined && this.better(level.price, price)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
