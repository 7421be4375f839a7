import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryHub } from './memory.ts';
import { applyDelta, diffState, publishState, StateStream } from './state.ts';

interface Frame {
  type: string;
  seq: number;
  version: number;
  data: unknown;
}

/** A stream whose deltas are collected as a client would read them. */
function stream(minIntervalMs: number) {
  const frames: Frame[] = [];
  const s = new StateStream({ channel: 'market.book.x', minIntervalMs, emit: (text) => frames.push(JSON.parse(text)) });
  return { s, frames };
}

const book = (bids: [number, number][], asks: [number, number][], extra: Record<string, unknown> = {}) => ({
  type: 'book',
  bids: bids.map(([price, quantity]) => ({ price, quantity, orders: 1 })),
  asks: asks.map(([price, quantity]) => ({ price, quantity, orders: 1 })),
  ...extra,
});

/** Depth as the source publishes it: best levels first, distinct prices, positive quantities. */
const levels = (descending: boolean) =>
  fc
    .uniqueArray(fc.tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 5 })), {
      selector: ([price]) => price,
      maxLength: 6,
    })
    .map((ls) => ls.sort(([a], [b]) => (descending ? b - a : a - b)));
const books = fc
  .tuple(levels(true), levels(false), fc.integer({ min: 0, max: 3 }))
  .map(([b, a, last]) => book(b, a, { last }));

describe('book deltas', () => {
  it('applying the delta between two states gives the second state', () => {
    fc.assert(
      fc.property(books, books, (prev, next) => {
        const delta = diffState(prev, next);
        expect(delta === undefined ? prev : applyDelta(prev, delta)).toEqual(next);
      }),
    );
  });

  it('sends only the levels that changed, a removed level with quantity 0', () => {
    const delta = diffState(
      book(
        [
          [10, 1],
          [9, 2],
        ],
        [[12, 1]],
      ),
      book(
        [
          [10, 1],
          [8, 4],
        ],
        [[12, 3]],
      ),
    );
    expect(delta).toEqual({
      bids: [
        { price: 8, quantity: 4, orders: 1 },
        { price: 9, quantity: 0, orders: 1 },
      ],
      asks: [{ price: 12, quantity: 3, orders: 1 }],
    });
  });

  it('a state other than a book travels whole; an unchanged one not at all', () => {
    expect(diffState({ bestBid: 1 }, { bestBid: 2 })).toEqual({ bestBid: 2 });
    expect(diffState({ bestBid: 2 }, { bestBid: 2 })).toBeUndefined();
    expect(diffState(null, book([[1, 1]], []))).toEqual(book([[1, 1]], []));
  });
});

describe('StateStream conflation', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('numbers deltas without gaps and sends at most one per interval, the newest state winning', () => {
    const { s, frames } = stream(100);
    s.accept(1, { bestBid: 1 });
    s.accept(2, { bestBid: 2 });
    s.accept(3, { bestBid: 3 });
    expect(frames.map((f) => [f.seq, f.version])).toEqual([[1, 1]]);
    vi.advanceTimersByTime(99);
    expect(frames).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(frames.map((f) => [f.seq, f.version, f.data])).toEqual([
      [1, 1, { bestBid: 1 }],
      [2, 3, { bestBid: 3 }],
    ]);
    expect(JSON.parse(s.snapshot())).toEqual({
      type: 'snapshot',
      channel: 'market.book.x',
      seq: 2,
      version: 3,
      data: { bestBid: 3 },
    });
  });

  it('never reorders and always ends at the newest state, whatever arrives when', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), books, fc.integer({ min: 0, max: 120 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (arrivals) => {
          const { s, frames } = stream(50);
          // A redelivered or late message may carry an older version than one already seen.
          let newest = { version: 0, state: null as unknown };
          for (const [version, state, waitMs] of arrivals) {
            s.accept(version, state);
            if (version >= newest.version) newest = { version, state };
            vi.advanceTimersByTime(waitMs);
          }
          vi.advanceTimersByTime(1000);
          let held: unknown = null;
          let lastVersion = 0;
          frames.forEach((f, i) => {
            expect(f.seq).toBe(i + 1);
            expect(f.version).toBeGreaterThanOrEqual(lastVersion);
            lastVersion = f.version;
            held = applyDelta(held, f.data);
          });
          expect(JSON.parse(s.snapshot())).toMatchObject({ seq: frames.length, version: newest.version });
          expect(held ?? newest.state).toEqual(newest.state);
          s.close();
        },
      ),
    );
  });

  it('starts from a loaded state without a delta, unless a newer one already arrived', () => {
    const { s, frames } = stream(100);
    s.seed(4, { bestBid: 4 });
    expect(frames).toEqual([]);
    expect(JSON.parse(s.snapshot())).toMatchObject({ seq: 0, version: 4, data: { bestBid: 4 } });
    s.accept(5, { bestBid: 5 });
    s.seed(3, { bestBid: 3 });
    vi.advanceTimersByTime(200);
    expect(frames.map((f) => [f.seq, f.version, f.data])).toEqual([[1, 5, { bestBid: 5 }]]);
  });
});

describe('publishState', () => {
  it('still publishes the change when the cache cannot keep it, and reports the failure', async () => {
    const hub = new MemoryHub();
    const received: unknown[] = [];
    await hub.subscribe('book.x', (_channel, message) => received.push(message));
    const errors: unknown[] = [];
    const down = {
      get: () => Promise.reject(new Error('cache down')),
      set: () => Promise.reject(new Error('cache down')),
      delete: () => Promise.reject(new Error('cache down')),
      deletePrefix: () => Promise.reject(new Error('cache down')),
      close: async () => {},
    };
    await publishState(hub, down, 'book.x', 7, { bids: [] }, (err) => errors.push(err));
    await vi.waitFor(() => expect(received).toEqual([{ $state: { bids: [] }, $version: 7 }]));
    expect(errors).toHaveLength(1);
    await hub.close();
  });
});
