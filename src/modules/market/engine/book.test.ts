import { describe, expect, it } from 'vitest';
import { BookIntegrityError, OrderBook } from './book.ts';
import type { IncomingOrder, Side, TimeInForce } from './types.ts';

let seq = 0;
function limit(
  ownerId: string,
  side: Side,
  price: bigint,
  quantity: bigint,
  timeInForce: TimeInForce = 'GTC',
  id = `o${++seq}`,
): IncomingOrder {
  return { type: 'limit', id, ownerId, side, price, quantity, timeInForce };
}
function market(ownerId: string, side: Side, quantity: bigint, timeInForce: TimeInForce = 'IOC'): IncomingOrder {
  return { type: 'market', id: `m${++seq}`, ownerId, side, quantity, timeInForce };
}

describe('OrderBook matching', () => {
  it('fills at the maker price, best price first, then oldest first', () => {
    const book = new OrderBook();
    book.place(limit('a', 'sell', 101n, 2n, 'GTC', 'late-cheap'));
    book.place(limit('b', 'sell', 100n, 1n, 'GTC', 'first-100'));
    book.place(limit('c', 'sell', 100n, 1n, 'GTC', 'second-100'));
    const r = book.place(limit('d', 'buy', 105n, 3n, 'GTC', 'taker'));
    expect(r.fills.map((f) => [f.makerOrderId, f.price, f.quantity])).toEqual([
      ['first-100', 100n, 1n],
      ['second-100', 100n, 1n],
      ['late-cheap', 101n, 1n],
    ]);
    expect(r).toMatchObject({ status: 'filled', filledQuantity: 3n, filledNotional: 301n, remainingQuantity: 0n });
    expect(book.get('late-cheap')?.quantity).toBe(1n);
    expect(r.fills[2]?.makerRemaining).toBe(1n);
  });

  it('rests the unfilled part of a GTC limit order at its own price', () => {
    const book = new OrderBook();
    book.place(limit('a', 'sell', 100n, 2n));
    const r = book.place(limit('b', 'buy', 100n, 5n, 'GTC', 'bid'));
    expect(r).toMatchObject({ status: 'resting', filledQuantity: 2n, remainingQuantity: 3n });
    expect(book.get('bid')).toEqual({ id: 'bid', ownerId: 'b', side: 'buy', price: 100n, quantity: 3n });
    expect([book.bestBid(), book.bestAsk()]).toEqual([100n, null]);
  });

  it('cancels the rest of an IOC order instead of resting it', () => {
    const book = new OrderBook();
    book.place(limit('a', 'buy', 50n, 1n));
    const r = book.place(limit('b', 'sell', 40n, 4n, 'IOC', 'ioc'));
    expect(r).toMatchObject({ status: 'cancelled', cancelReason: 'ioc_remainder', filledQuantity: 1n });
    expect(r.remainingQuantity).toBe(3n);
    expect(book.get('ioc')).toBeNull();
    expect(book.size).toBe(0);
  });

  it('fills a FOK order entirely or leaves the book untouched', () => {
    const book = new OrderBook();
    book.place(limit('a', 'sell', 100n, 2n));
    book.place(limit('b', 'sell', 102n, 2n));
    const before = book.snapshot();
    const killed = book.place(limit('c', 'buy', 101n, 3n, 'FOK'));
    expect(killed).toMatchObject({ status: 'cancelled', cancelReason: 'fok_unfillable', fills: [] });
    expect(book.snapshot()).toEqual(before);
    const filled = book.place(limit('c', 'buy', 102n, 3n, 'FOK'));
    expect(filled.status).toBe('filled');
    expect(filled.fills.map((f) => f.price)).toEqual([100n, 102n]);
  });

  it('does not count the owner’s own orders towards a FOK and then cancels none of them', () => {
    const book = new OrderBook();
    book.place(limit('self', 'sell', 100n, 5n, 'GTC', 'own'));
    book.place(limit('other', 'sell', 100n, 1n));
    const r = book.place(limit('self', 'buy', 100n, 2n, 'FOK'));
    expect(r).toMatchObject({ status: 'cancelled', cancelReason: 'fok_unfillable', selfTradeCancels: [] });
    expect(book.get('own')?.quantity).toBe(5n);
  });

  it('cancels the resting order of the same owner instead of trading with it', () => {
    const book = new OrderBook();
    book.place(limit('alice', 'sell', 100n, 2n, 'GTC', 'alice-ask'));
    book.place(limit('bob', 'sell', 101n, 2n, 'GTC', 'bob-ask'));
    const r = book.place(limit('alice', 'buy', 101n, 1n));
    expect(r.selfTradeCancels).toEqual([
      { id: 'alice-ask', ownerId: 'alice', side: 'sell', price: 100n, quantity: 2n, reason: 'self_trade' },
    ]);
    expect(r.fills).toHaveLength(1);
    expect(r.fills[0]).toMatchObject({ makerOrderId: 'bob-ask', makerOwnerId: 'bob', takerOwnerId: 'alice' });
    expect(book.get('alice-ask')).toBeNull();
  });
});

describe('market orders', () => {
  it('never fill beyond the protection distance from the best price at arrival', () => {
    const book = new OrderBook({ marketProtectionBps: 500n });
    book.place(limit('a', 'sell', 100n, 1n));
    book.place(limit('a', 'sell', 104n, 1n));
    book.place(limit('a', 'sell', 106n, 1n));
    expect(book.marketProtectionPrice('buy')).toBe(105n);
    const r = book.place(market('b', 'buy', 5n));
    expect(r.fills.map((f) => f.price)).toEqual([100n, 104n]);
    expect(r).toMatchObject({ status: 'cancelled', cancelReason: 'protection_limit', protectionPrice: 105n });
    expect(r.remainingQuantity).toBe(3n);
    expect(book.bestAsk()).toBe(106n);
  });

  it('round the protection price to the tick towards the best price', () => {
    const book = new OrderBook({ tickSize: 5n, marketProtectionBps: 300n });
    book.place(limit('a', 'buy', 200n, 1n));
    // 200 − 3 % = 194 → the next tick towards 200 is 195.
    expect(book.marketProtectionPrice('sell')).toBe(195n);
    book.place(limit('a', 'buy', 195n, 1n));
    book.place(limit('a', 'buy', 190n, 1n));
    const r = book.place(market('b', 'sell', 3n, 'GTC'));
    expect(r.fills.map((f) => f.price)).toEqual([200n, 195n]);
    expect(book.bestBid()).toBe(190n);
  });

  it('are cancelled without fills when the opposite side is empty', () => {
    const book = new OrderBook();
    book.place(limit('a', 'buy', 10n, 1n));
    const r = book.place(market('b', 'buy', 2n));
    expect(r).toMatchObject({ status: 'cancelled', cancelReason: 'no_liquidity', protectionPrice: null });
    expect(book.bestBid()).toBe(10n);
  });

  it('sweep the side and cancel the rest when it runs dry', () => {
    const book = new OrderBook();
    book.place(limit('a', 'buy', 10n, 1n));
    const r = book.place(market('b', 'sell', 2n));
    expect(r).toMatchObject({ status: 'cancelled', cancelReason: 'ioc_remainder', filledQuantity: 1n });
  });
});

describe('order maintenance', () => {
  it('rejects bad orders without changing anything', () => {
    const book = new OrderBook({ tickSize: 5n });
    book.place(limit('a', 'sell', 100n, 1n, 'GTC', 'dup'));
    const before = book.snapshot();
    expect(book.place(limit('b', 'buy', 100n, 0n)).rejectReason).toBe('invalid_quantity');
    expect(book.place(limit('b', 'buy', 100n, -1n)).rejectReason).toBe('invalid_quantity');
    expect(book.place(limit('b', 'buy', 0n, 1n)).rejectReason).toBe('invalid_price');
    expect(book.place(limit('b', 'buy', 101n, 1n)).rejectReason).toBe('off_tick');
    const dup = book.place(limit('b', 'buy', 100n, 1n, 'GTC', 'dup'));
    expect(dup).toMatchObject({ status: 'rejected', rejectReason: 'duplicate_order_id', fills: [] });
    expect(book.snapshot()).toEqual(before);
  });

  it('cancels a resting order once', () => {
    const book = new OrderBook();
    book.place(limit('a', 'buy', 10n, 3n, 'GTC', 'x'));
    expect(book.cancel('x')).toEqual({ id: 'x', ownerId: 'a', side: 'buy', price: 10n, quantity: 3n });
    expect(book.cancel('x')).toBeNull();
    expect(book.depth(5)).toEqual({ bids: [], asks: [] });
  });

  it('keeps time priority when only the quantity goes down', () => {
    const book = new OrderBook();
    book.place(limit('a', 'sell', 100n, 5n, 'GTC', 'first'));
    book.place(limit('b', 'sell', 100n, 5n, 'GTC', 'second'));
    expect(book.amend('first', { quantity: 2n })).toMatchObject({ status: 'reduced', order: { quantity: 2n } });
    expect(book.place(limit('c', 'buy', 100n, 1n)).fills[0]?.makerOrderId).toBe('first');
  });

  it('loses time priority when the quantity goes up or the price changes', () => {
    const book = new OrderBook();
    book.place(limit('a', 'sell', 100n, 1n, 'GTC', 'first'));
    book.place(limit('b', 'sell', 100n, 1n, 'GTC', 'second'));
    expect(book.amend('first', { quantity: 3n }).status).toBe('replaced');
    expect(book.snapshot().asks.map((o) => o.id)).toEqual(['second', 'first']);
    book.amend('second', { price: 101n });
    book.amend('second', { price: 100n });
    expect(book.snapshot().asks.map((o) => o.id)).toEqual(['first', 'second']);
  });

  it('matches an amended price that crosses the book', () => {
    const book = new OrderBook();
    book.place(limit('a', 'buy', 95n, 2n, 'GTC', 'bid'));
    book.place(limit('b', 'sell', 100n, 3n, 'GTC', 'ask'));
    const r = book.amend('ask', { price: 95n });
    if (r.status !== 'replaced') throw new Error(`expected replaced, got ${r.status}`);
    expect(r.result.fills).toMatchObject([{ makerOrderId: 'bid', takerOrderId: 'ask', price: 95n, quantity: 2n }]);
    expect(book.get('ask')).toMatchObject({ price: 95n, quantity: 1n });
  });

  it('answers amend of unknown, invalid and unchanged orders', () => {
    const book = new OrderBook({ tickSize: 2n });
    book.place(limit('a', 'buy', 10n, 3n, 'GTC', 'x'));
    expect(book.amend('nope', { quantity: 1n })).toEqual({ status: 'not_found' });
    expect(book.amend('x', { quantity: 0n })).toEqual({ status: 'rejected', rejectReason: 'invalid_quantity' });
    expect(book.amend('x', { price: 11n })).toEqual({ status: 'rejected', rejectReason: 'off_tick' });
    expect(book.amend('x', { price: 10n, quantity: 3n }).status).toBe('unchanged');
  });

  it('aggregates depth by price, best first, up to the levels asked', () => {
    const book = new OrderBook();
    for (const [side, price, qty] of [
      ['buy', 10n, 1n],
      ['buy', 10n, 2n],
      ['buy', 9n, 4n],
      ['buy', 7n, 1n],
      ['sell', 12n, 5n],
      ['sell', 15n, 1n],
    ] as const) {
      book.place(limit('a', side, price, qty));
    }
    expect(book.depth(2)).toEqual({
      bids: [
        { price: 10n, quantity: 3n, orders: 2 },
        { price: 9n, quantity: 4n, orders: 1 },
      ],
      asks: [
        { price: 12n, quantity: 5n, orders: 1 },
        { price: 15n, quantity: 1n, orders: 1 },
      ],
    });
    expect(book.depth(0)).toEqual({ bids: [], asks: [] });
  });
});

describe('restore', () => {
  it('rebuilds the same book, time priority included, from a snapshot', () => {
    const book = new OrderBook();
    for (let i = 0; i < 20; i++)
      book.place(limit(`u${i % 3}`, i % 2 ? 'buy' : 'sell', BigInt(i % 2 ? 50 - i : 60 + i), 2n));
    const copy = new OrderBook();
    const snapshot = book.snapshot();
    for (const o of [...snapshot.bids, ...snapshot.asks]) copy.restore(o);
    expect(copy.snapshot()).toEqual(snapshot);
    const taker = limit('z', 'buy', 200n, 7n);
    expect(copy.place({ ...taker })).toEqual(book.place({ ...taker }));
  });

  it('refuses orders that would cross or repeat', () => {
    const book = new OrderBook();
    book.restore({ id: 'a', ownerId: 'u', side: 'sell', price: 10n, quantity: 1n });
    expect(() => book.restore({ id: 'b', ownerId: 'u', side: 'buy', price: 10n, quantity: 1n })).toThrow(
      BookIntegrityError,
    );
    expect(() => book.restore({ id: 'a', ownerId: 'u', side: 'sell', price: 11n, quantity: 1n })).toThrow(
      BookIntegrityError,
    );
  });
});
