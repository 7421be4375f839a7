import { describe, expect, it } from 'vitest';
import { SUGGESTION_MAX_AGE_MS, suggestPrice, type PricePoint } from './suggest.ts';

const NOW = Date.UTC(2025, 5, 1);
const MIN = 60_000;
const at = (minutesAgo: number, price: bigint): PricePoint => ({ ts: NOW - minutesAgo * MIN, price });

describe('price suggestion', () => {
  it('is the median of recent trades with its sample size and age', () => {
    const trades = [at(5, 120n), at(50, 100n), at(10, 95n), at(30, 400n), at(20, 110n)];
    expect(suggestPrice({ now: NOW, trades, rarityFloor: 10n })).toEqual({
      source: 'recent_trades',
      price: 110n,
      sampleSize: 5,
      oldestTradeAt: NOW - 50 * MIN,
      newestTradeAt: NOW - 5 * MIN,
      ageMs: 50 * MIN,
    });
  });

  it('averages the two middle prices of an even sample, rounded half up to the tick', () => {
    const trades = [at(1, 100n), at(2, 101n), at(3, 90n), at(4, 200n), at(5, 300n), at(6, 10n)];
    expect(suggestPrice({ now: NOW, trades, rarityFloor: 1n }).price).toBe(101n); // (100 + 101) / 2 = 100.5
    expect(suggestPrice({ now: NOW, trades, rarityFloor: 1n, tickSize: 5n }).price).toBe(100n); // 100.5 → 100
  });

  it('uses only the newest trades of the sample size', () => {
    const trades = [...[1, 2, 3, 4, 5].map((m) => at(m, 50n)), ...[6, 7, 8, 9, 10, 11].map((m) => at(m, 900n))];
    expect(suggestPrice({ now: NOW, trades, rarityFloor: 1n, sampleSize: 5 })).toMatchObject({
      price: 50n,
      sampleSize: 5,
    });
  });

  it('falls back to the rarity floor with fewer than five recent trades, and says so', () => {
    const trades = [
      at(1, 100n),
      at(2, 100n),
      at(3, 100n),
      at(4, 100n),
      { ts: NOW - SUGGESTION_MAX_AGE_MS - 1, price: 100n },
    ];
    expect(suggestPrice({ now: NOW, trades, rarityFloor: 25n })).toEqual({
      source: 'rarity_floor',
      price: 25n,
      sampleSize: 4,
      reason: 'insufficient_trades',
      minTrades: 5,
    });
  });
});
