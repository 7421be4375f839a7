import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TradeTick } from './candles.ts';
import { RollingTicker } from './rolling-ticker.ts';
import { TICKER_WINDOW_MS, computeTicker } from './ticker.ts';

const NOW = Date.UTC(2025, 5, 1, 12);
const H = 3_600_000;
const t = (ts: number, price: bigint, quantity = 1n): TradeTick => ({ ts, price, quantity });

describe('24 h ticker', () => {
  it('summarises the last 24 h and measures the change from the price before them', () => {
    const trades = [t(NOW - 25 * H, 100n), t(NOW - 23 * H, 110n, 2n), t(NOW - H, 90n), t(NOW - H, 120n), t(NOW, 130n)];
    expect(computeTicker({ now: NOW, trades, bestBid: 125n, bestAsk: 135n })).toEqual({
      last: 130n,
      bestBid: 125n,
      bestAsk: 135n,
      open: 100n,
      change: 30n,
      changeBps: 3_000n,
      high: 130n,
      low: 90n,
      volume: 5n,
      notional: 560n,
      trades: 4,
      thin: true,
      windowStart: NOW - TICKER_WINDOW_MS,
      windowEnd: NOW,
    });
  });

  it('leaves out a trade exactly 24 h old and any later than now', () => {
    const r = computeTicker({
      now: NOW,
      trades: [t(NOW - TICKER_WINDOW_MS, 50n), t(NOW - 1, 60n), t(NOW + 1, 999n)],
      bestBid: null,
      bestAsk: null,
    });
    expect(r).toMatchObject({ trades: 1, open: 50n, last: 60n, high: 60n, change: 10n, changeBps: 2_000n });
  });

  it('is thin below five trades and uses the first price in the window without an earlier one', () => {
    const five = [1, 2, 3, 4, 5].map((i) => t(NOW - i * H, BigInt(100 + i)));
    expect(computeTicker({ now: NOW, trades: five.slice(0, 4), bestBid: null, bestAsk: null }).thin).toBe(true);
    const r = computeTicker({ now: NOW, trades: [...five].reverse(), bestBid: null, bestAsk: null });
    expect(r).toMatchObject({ thin: false, trades: 5, open: 105n, last: 101n, change: -4n, changeBps: -380n });
  });

  it('keeps the last price of a card without trades in the window and is empty for one never traded', () => {
    expect(computeTicker({ now: NOW, trades: [t(NOW - 30 * H, 70n)], bestBid: null, bestAsk: 80n })).toMatchObject({
      last: 70n,
      open: 70n,
      change: 0n,
      high: null,
      low: null,
      volume: 0n,
      trades: 0,
      thin: true,
    });
    expect(computeTicker({ now: NOW, trades: [], bestBid: null, bestAsk: null })).toMatchObject({
      last: null,
      open: null,
      change: null,
      changeBps: null,
    });
  });

  it('kept trade by trade equals the ticker recomputed from all trades', () => {
    const step = fc.record({
      gap: fc.integer({ min: 0, max: 6 * H }),
      price: fc.bigInt({ min: 1n, max: 1_000n }),
      quantity: fc.bigInt({ min: 1n, max: 9n }),
      read: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 1, maxLength: 150 }),
        fc.option(fc.bigInt({ min: 1n, max: 1_000n })),
        (steps, prior) => {
          const rolling = new RollingTicker(prior);
          const seen: TradeTick[] = [];
          let now = NOW;
          for (const s of steps) {
            now += s.gap;
            if (s.read) {
              const expected = computeTicker({ now, trades: seen, previousPrice: prior, bestBid: 1n, bestAsk: 2n });
              expect(rolling.at(now, 1n, 2n)).toEqual(expected);
            } else {
              const trade = t(now, s.price, s.quantity);
              rolling.add(trade);
              seen.push(trade);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stays exact over days of trades while its memory is compacted', () => {
    const rolling = new RollingTicker();
    const seen: TradeTick[] = [];
    for (let i = 0; i < 4_000; i++) {
      // A zig-zag walk so highs and lows keep leaving and entering the window.
      const trade = t(NOW + i * 60_000, BigInt(500 + ((i * 37) % 211) - (i % 97)), BigInt(1 + (i % 3)));
      rolling.add(trade);
      seen.push(trade);
      if (i % 250 === 249) {
        const now = trade.ts + 30_000;
        expect(rolling.at(now, null, null)).toEqual(computeTicker({ now, trades: seen, bestBid: null, bestAsk: null }));
      }
    }
  });

  it('refuses to go back in time', () => {
    const rolling = new RollingTicker();
    rolling.add(t(NOW, 5n));
    expect(() => rolling.add(t(NOW - 1, 5n))).toThrow(RangeError);
    expect(() => rolling.at(NOW - 1, null, null)).toThrow(RangeError);
  });
});
