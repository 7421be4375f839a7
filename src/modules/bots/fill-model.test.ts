import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commission, type FeeSchedule } from '../market/index.ts';
import {
  feeFor,
  fillOnCandle,
  marketPrice,
  type FillSettings,
  type SimFeeSchedule,
  type SimOrder,
} from './fill-model.ts';
import type { Candle } from './strategy.ts';

const NO_COSTS: FillSettings = { spreadBps: 0, slippageBps: 0 };

const candle = (open: number, high: number, low: number, close: number, volume = 10): Candle => ({
  start: 1_000,
  open,
  high,
  low,
  close,
  volume,
});

const order = (side: 'buy' | 'sell', type: 'limit' | 'market', price: number | null, quantity = 5): SimOrder => ({
  id: 'o1',
  variantId: 'v1',
  side,
  type,
  price,
  quantity,
  placedAt: 1_000,
});

describe('limit buy', () => {
  it('fills at its limit when the candle traded below it', () => {
    expect(fillOnCandle(order('buy', 'limit', 100), candle(105, 110, 95, 104), NO_COSTS)).toEqual({
      price: 100,
      quantity: 5,
    });
  });

  it('fills at the open when the candle opened at or below the limit', () => {
    expect(fillOnCandle(order('buy', 'limit', 100), candle(98, 103, 97, 101), NO_COSTS)).toEqual({
      price: 98,
      quantity: 5,
    });
    expect(fillOnCandle(order('buy', 'limit', 100), candle(100, 103, 100, 101), NO_COSTS)?.price).toBe(100);
  });

  it('does not fill when the low only touched the limit or stayed above it', () => {
    expect(fillOnCandle(order('buy', 'limit', 100), candle(105, 110, 100, 104), NO_COSTS)).toBeNull();
    expect(fillOnCandle(order('buy', 'limit', 100), candle(105, 110, 101, 104), NO_COSTS)).toBeNull();
  });
});

describe('limit sell', () => {
  it('fills at its limit when the candle traded above it', () => {
    expect(fillOnCandle(order('sell', 'limit', 100), candle(95, 105, 90, 99), NO_COSTS)).toEqual({
      price: 100,
      quantity: 5,
    });
  });

  it('fills at the open when the candle opened at or above the limit', () => {
    expect(fillOnCandle(order('sell', 'limit', 100), candle(102, 104, 99, 101), NO_COSTS)?.price).toBe(102);
    expect(fillOnCandle(order('sell', 'limit', 100), candle(100, 100, 96, 97), NO_COSTS)?.price).toBe(100);
  });

  it('does not fill when the high only touched the limit or stayed below it', () => {
    expect(fillOnCandle(order('sell', 'limit', 100), candle(95, 100, 90, 99), NO_COSTS)).toBeNull();
    expect(fillOnCandle(order('sell', 'limit', 100), candle(95, 99, 90, 99), NO_COSTS)).toBeNull();
  });
});

describe('market orders', () => {
  it('pay half the spread plus slippage off the open, rounded against the trader', () => {
    // spread 20, slippage 5 → 10 + 5 = 15 bps. Buy 1000 × 1.0015 = 1001.5 → 1002; sell 998.5 → 998.
    const settings = { spreadBps: 20, slippageBps: 5 };
    const bar = candle(1000, 1100, 900, 1000);
    expect(fillOnCandle(order('buy', 'market', null), bar, settings)).toEqual({ price: 1002, quantity: 5 });
    expect(fillOnCandle(order('sell', 'market', null), bar, settings)).toEqual({ price: 998, quantity: 5 });
  });

  it('counts an odd spread in half basis points', () => {
    // spread 25 → 12.5 bps. Buy 1000 × 1.00125 = 1001.25 → 1002; sell 998.75 → 998.
    const settings = { spreadBps: 25, slippageBps: 0 };
    expect(marketPrice('buy', 1000, settings)).toBe(1002);
    expect(marketPrice('sell', 1000, settings)).toBe(998);
  });

  it('does not round an exact price up or down through float error', () => {
    // 50 × (1 + 1000/10 000) = 55 exactly (the float product is 55.00000000000001);
    // 250 × (1 − 680/10 000) = 233 exactly (the float product is 232.99999999999997).
    expect(marketPrice('buy', 50, { spreadBps: 0, slippageBps: 1000 })).toBe(55);
    expect(marketPrice('sell', 250, { spreadBps: 0, slippageBps: 680 })).toBe(233);
  });

  it('fills at the open without costs and never below 1', () => {
    expect(marketPrice('buy', 777, NO_COSTS)).toBe(777);
    expect(marketPrice('sell', 777, NO_COSTS)).toBe(777);
    // 1 × 0.99 → floor 0 → 1; 1 × 1.01 → ceil 2.
    expect(marketPrice('sell', 1, { spreadBps: 0, slippageBps: 100 })).toBe(1);
    expect(marketPrice('buy', 1, { spreadBps: 0, slippageBps: 100 })).toBe(2);
    expect(marketPrice('sell', 500, { spreadBps: 0, slippageBps: 20_000 })).toBe(1);
  });

  it('ignores a price set on a market order', () => {
    expect(fillOnCandle(order('buy', 'market', 5), candle(80, 90, 70, 85), NO_COSTS)?.price).toBe(80);
  });

  it('refuses fractional basis points', () => {
    expect(() => marketPrice('buy', 100, { spreadBps: 2.5, slippageBps: 0 })).toThrow(RangeError);
  });
});

describe('quantity', () => {
  it('fills fully regardless of volume by default', () => {
    expect(fillOnCandle(order('buy', 'limit', 100, 50), candle(99, 101, 98, 100, 0), NO_COSTS)?.quantity).toBe(50);
  });

  it('caps at the candle volume when asked', () => {
    const capped = { ...NO_COSTS, capByVolume: true };
    expect(fillOnCandle(order('buy', 'limit', 100, 5), candle(99, 101, 98, 100, 3), capped)).toEqual({
      price: 99,
      quantity: 3,
    });
    expect(fillOnCandle(order('sell', 'market', null, 5), candle(99, 101, 98, 100, 10), capped)?.quantity).toBe(5);
    expect(fillOnCandle(order('sell', 'market', null, 5), candle(99, 101, 98, 100, 2.7), capped)?.quantity).toBe(2);
    expect(fillOnCandle(order('buy', 'market', null, 5), candle(99, 101, 98, 100, 0), capped)).toBeNull();
  });

  it('refuses a candle from before the order, a limit without price and an empty order', () => {
    const early = { ...candle(99, 101, 98, 100), start: 999 };
    expect(() => fillOnCandle(order('buy', 'limit', 100), early, NO_COSTS)).toThrow(/before/);
    expect(() => fillOnCandle(order('buy', 'limit', null), candle(99, 101, 98, 100), NO_COSTS)).toThrow(/price/);
    expect(() => fillOnCandle(order('buy', 'limit', 100, 0), candle(99, 101, 98, 100), NO_COSTS)).toThrow(/quantity/);
  });
});

describe('fill properties', () => {
  const ohlc = fc
    .tuple(
      fc.integer({ min: 1, max: 100_000 }),
      fc.integer({ min: 1, max: 100_000 }),
      fc.integer({ min: 1, max: 100_000 }),
    )
    .chain(([a, b, c]) => {
      const low = Math.min(a, b, c);
      const high = Math.max(a, b, c);
      return fc.integer({ min: low, max: high }).map((open) => candle(open, high, low, b));
    });

  it('never fills a limit order at a worse price than its limit, nor outside the candle', () => {
    fc.assert(
      fc.property(ohlc, fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('buy', 'sell'), (bar, limit, side) => {
        const fill = fillOnCandle(order(side, 'limit', limit), bar, NO_COSTS);
        if (fill === null) return;
        if (side === 'buy') expect(fill.price).toBeLessThanOrEqual(limit);
        else expect(fill.price).toBeGreaterThanOrEqual(limit);
        expect(fill.price).toBeGreaterThanOrEqual(bar.low);
        expect(fill.price).toBeLessThanOrEqual(bar.high);
      }),
    );
  });

  it('makes a market buy cost at least the open and a market sell get at most the open', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 500 }),
        (open, spreadBps, slippageBps) => {
          const settings = { spreadBps, slippageBps };
          const exact = open * (1 + (spreadBps / 2 + slippageBps) / 10_000);
          const buy = marketPrice('buy', open, settings);
          const sell = marketPrice('sell', open, settings);
          expect(buy).toBeGreaterThanOrEqual(open);
          expect(buy - exact).toBeLessThan(1 + 1e-6);
          expect(sell).toBeLessThanOrEqual(open);
          expect(sell).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });
});

describe('feeFor', () => {
  const buyerPays: SimFeeSchedule = { rateBps: 500, minimumFee: 1, payer: 'buyer' };

  it('charges the payer side the rounded-up commission and the other side nothing', () => {
    // 250 × 4 = 1000 → 5 % = 50; 101 × 1 → 5.05 → 6.
    expect(feeFor(250, 4, buyerPays, 'buy')).toBe(50);
    expect(feeFor(250, 4, buyerPays, 'sell')).toBe(0);
    expect(feeFor(101, 1, buyerPays, 'buy')).toBe(6);
    const sellerPays: SimFeeSchedule = { ...buyerPays, payer: 'seller' };
    expect(feeFor(250, 4, sellerPays, 'sell')).toBe(50);
    expect(feeFor(250, 4, sellerPays, 'buy')).toBe(0);
  });

  it('applies the minimum on a paid trade and nothing on a zero notional', () => {
    expect(feeFor(1, 1, buyerPays, 'buy')).toBe(1);
    expect(feeFor(1_000, 1, { rateBps: 0, minimumFee: 3, payer: 'buyer' }, 'buy')).toBe(3);
    expect(feeFor(0, 5, buyerPays, 'buy')).toBe(0);
  });

  it('stays exact where the float product would round', () => {
    // 9 007 199 254 740 000 × 9 999 / 10 000 = 9 006 298 534 814 526 exactly; a float ceil gives …527.
    expect(feeFor(9_007_199_254_740_000, 1, { rateBps: 9_999, minimumFee: 1, payer: 'buyer' }, 'buy')).toBe(
      9_006_298_534_814_526,
    );
  });

  it("matches the exchange's commission for any safe integers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 0, max: 9_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom<'buyer' | 'seller'>('buyer', 'seller'),
        fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
        (price, quantity, rateBps, minimumFee, payer, side) => {
          const exchange: FeeSchedule = { rateBps: BigInt(rateBps), minimumFee: BigInt(minimumFee), payer };
          const owed = commission(BigInt(price) * BigInt(quantity), exchange);
          const expected = (payer === 'buyer') === (side === 'buy') ? owed : 0n;
          expect(BigInt(feeFor(price, quantity, { rateBps, minimumFee, payer }, side))).toBe(expected);
        },
      ),
    );
  });
});
