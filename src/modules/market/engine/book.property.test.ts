import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderBook } from './book.ts';
import type { BookSnapshot, IncomingOrder, MatchResult, RestingOrder, Side, TimeInForce } from './types.ts';

const TICK = 5n;
const OWNERS = ['ann', 'ben', 'cat', 'dan'] as const;

type Command =
  | { kind: 'place'; type: 'limit' | 'market'; side: Side; owner: string; ticks: number; qty: number; tif: TimeInForce }
  | { kind: 'cancel'; pick: number }
  | { kind: 'amend'; pick: number; ticks: number | null; qty: number | null };

const placeArb = fc.record({
  kind: fc.constant('place' as const),
  type: fc.constantFrom('limit' as const, 'limit' as const, 'market' as const),
  side: fc.constantFrom('buy' as const, 'sell' as const),
  owner: fc.constantFrom(...OWNERS),
  ticks: fc.integer({ min: 1, max: 12 }),
  qty: fc.integer({ min: 1, max: 8 }),
  tif: fc.constantFrom('GTC' as const, 'GTC' as const, 'IOC' as const, 'FOK' as const),
});
const cancelArb = fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() });
const amendArb = fc.record({
  kind: fc.constant('amend' as const),
  pick: fc.nat(),
  ticks: fc.option(fc.integer({ min: 1, max: 12 })),
  qty: fc.option(fc.integer({ min: 1, max: 8 })),
});
const commandsArb: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof({ arbitrary: placeArb, weight: 6 }, { arbitrary: cancelArb, weight: 1 }, { arbitrary: amendArb, weight: 1 }),
  { minLength: 1, maxLength: 80 },
);
const protectionArb = fc.constantFrom(0n, 300n, 2_000n);

const all = (s: BookSnapshot) => [...s.bids, ...s.asks];
/** True when `price` is at least as good as `than` for orders on `side`. */
const atLeastAsGood = (side: Side, price: bigint, than: bigint) => (side === 'buy' ? price >= than : price <= than);

/** What the book must look like after `order` produced `r`, derived from the snapshot before. */
function expectedAfter(before: BookSnapshot, order: IncomingOrder, r: MatchResult): BookSnapshot {
  const taken = new Map<string, bigint>();
  for (const f of r.fills) taken.set(f.makerOrderId, (taken.get(f.makerOrderId) ?? 0n) + f.quantity);
  const cancelled = new Set(r.selfTradeCancels.map((c) => c.id));
  const opposite = (order.side === 'buy' ? before.asks : before.bids)
    .filter((o) => !cancelled.has(o.id))
    .map((o) => ({ ...o, quantity: o.quantity - (taken.get(o.id) ?? 0n) }))
    .filter((o) => o.quantity > 0n);
  const own = [...(order.side === 'buy' ? before.bids : before.asks)];
  if (r.status === 'resting' && order.type === 'limit') {
    const rested: RestingOrder = { ...order, quantity: r.remainingQuantity };
    const at = own.filter((o) => atLeastAsGood(order.side, o.price, order.price)).length;
    own.splice(at, 0, {
      id: rested.id,
      ownerId: rested.ownerId,
      side: rested.side,
      price: rested.price,
      quantity: rested.quantity,
    });
  }
  return order.side === 'buy' ? { bids: own, asks: opposite } : { bids: opposite, asks: own };
}

function checkPlace(book: OrderBook, before: BookSnapshot, order: IncomingOrder, r: MatchResult, bps: bigint) {
  const after = book.snapshot();
  expect(r.status).not.toBe('rejected');
  // Quantities conserved: everything asked for was either filled or is left over.
  expect(r.filledQuantity + r.remainingQuantity).toBe(order.quantity);
  expect(r.fills.reduce((s, f) => s + f.quantity, 0n)).toBe(r.filledQuantity);
  expect(after).toEqual(expectedAfter(before, order, r));

  const opposite = order.side === 'buy' ? before.asks : before.bids;
  const makers = new Map(opposite.map((o) => [o.id, o]));
  const bestAtArrival = opposite[0]?.price;
  for (const f of r.fills) {
    expect(f.makerOwnerId).not.toBe(order.ownerId);
    expect(f.price).toBe(makers.get(f.makerOrderId)?.price);
    if (order.type === 'limit') expect(atLeastAsGood(order.side, order.price, f.price)).toBe(true);
    else if (bestAtArrival !== undefined) {
      const bound = order.side === 'buy' ? bestAtArrival * (10_000n + bps) : bestAtArrival * (10_000n - bps);
      expect(order.side === 'buy' ? f.price * 10_000n <= bound : f.price * 10_000n >= bound).toBe(true);
    }
  }

  // Price-time priority: the makers touched are exactly the first ones in priority order, each met once.
  const touched = [...new Set([...r.fills.map((f) => f.makerOrderId), ...r.selfTradeCancels.map((c) => c.id)])];
  const prefix = opposite.slice(0, touched.length).map((o) => o.id);
  expect(new Set(touched)).toEqual(new Set(prefix));
  expect(r.fills.map((f) => f.makerOrderId)).toEqual(prefix.filter((id) => r.fills.some((f) => f.makerOrderId === id)));

  // Never left crossed; an order matched all it was allowed to before resting or cancelling.
  const bid = after.bids[0]?.price;
  const ask = after.asks[0]?.price;
  if (bid !== undefined && ask !== undefined) expect(bid < ask).toBe(true);
  if (r.remainingQuantity > 0n && r.cancelReason !== 'fok_unfillable') {
    const next = (order.side === 'buy' ? after.asks : after.bids)[0];
    const bound = order.type === 'limit' ? order.price : r.protectionPrice;
    if (next !== undefined && bound !== null) expect(atLeastAsGood(order.side, bound, next.price)).toBe(false);
  }

  if (order.type === 'market' || order.timeInForce !== 'GTC') expect(book.get(order.id)).toBeNull();
  if (order.timeInForce === 'FOK' && r.status !== 'filled') {
    expect(r).toMatchObject({ status: 'cancelled', fills: [], selfTradeCancels: [], filledQuantity: 0n });
    expect(after).toEqual(before);
  }
}

/** Applies the commands; returns every answer of the book so two runs can be compared. */
function run(book: OrderBook, commands: readonly Command[], bps: bigint, check: boolean, prefix = 'o'): unknown[] {
  const answers: unknown[] = [];
  let n = 0;
  for (const c of commands) {
    const before = book.snapshot();
    const resting = all(before);
    if (c.kind === 'place') {
      const base = {
        id: `${prefix}${++n}`,
        ownerId: c.owner,
        side: c.side,
        quantity: BigInt(c.qty),
        timeInForce: c.tif,
      };
      const order: IncomingOrder =
        c.type === 'limit' ? { ...base, type: 'limit', price: BigInt(c.ticks) * TICK } : { ...base, type: 'market' };
      const r = book.place(order);
      answers.push(r);
      if (check) checkPlace(book, before, order, r, bps);
    } else if (c.kind === 'cancel') {
      const target = resting[c.pick % Math.max(1, resting.length)];
      const removed = book.cancel(target?.id ?? 'missing');
      answers.push(removed);
      if (check) expect(removed).toEqual(target ?? null);
    } else {
      const target = resting[c.pick % Math.max(1, resting.length)];
      const change = {
        price: c.ticks === null ? undefined : BigInt(c.ticks) * TICK,
        quantity: c.qty === null ? undefined : BigInt(c.qty),
      };
      const r = book.amend(target?.id ?? 'missing', change);
      answers.push(r);
      if (check && r.status === 'reduced') {
        expect(
          book
            .snapshot()
            .bids.map((o) => o.id)
            .concat(book.snapshot().asks.map((o) => o.id)),
        ).toEqual(resting.map((o) => o.id));
      }
      if (check && r.status === 'replaced')
        expect(r.result.fills.every((f) => f.makerOwnerId !== r.previous.ownerId)).toBe(true);
    }
    if (check) {
      const s = book.snapshot();
      const bid = s.bids[0]?.price;
      const ask = s.asks[0]?.price;
      if (bid !== undefined && ask !== undefined) expect(bid < ask).toBe(true);
      expect(all(s).every((o) => o.quantity > 0n && o.price % TICK === 0n)).toBe(true);
      expect(book.size).toBe(all(s).length);
    }
  }
  return answers;
}

describe('matching core properties', () => {
  it('keeps limits, price-time priority, quantities, self-trade prevention, IOC and FOK rules', () => {
    fc.assert(
      fc.property(commandsArb, protectionArb, (commands, bps) => {
        const book = new OrderBook({ tickSize: TICK, marketProtectionBps: bps });
        run(book, commands, bps, true);
      }),
      { numRuns: 300 },
    );
  });

  it('rebuilds from resting orders into a book that behaves the same', () => {
    fc.assert(
      fc.property(commandsArb, commandsArb, (history, future) => {
        const original = new OrderBook({ tickSize: TICK });
        run(original, history, 500n, false);
        const rebuilt = new OrderBook({ tickSize: TICK });
        for (const o of all(original.snapshot())) rebuilt.restore(o);
        expect(rebuilt.snapshot()).toEqual(original.snapshot());
        expect(run(rebuilt, future, 500n, false, 'f')).toEqual(run(original, future, 500n, false, 'f'));
        expect(rebuilt.snapshot()).toEqual(original.snapshot());
      }),
      { numRuns: 100 },
    );
  });
});
