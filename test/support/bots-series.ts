// Test fixtures of the bots module: a reproducible price series and a small reference strategy.
import type { Candle, Strategy } from '../../src/modules/bots/strategy.ts';

const HOUR = 3_600_000;
export const SERIES_START = Date.UTC(2026, 0, 1);

/** A deterministic random walk of hourly candles (prices in minor units, never below 10). */
export function syntheticSeries(seed: number, length: number, start = SERIES_START): Candle[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const candles: Candle[] = [];
  let price = 1_000;
  for (let i = 0; i < length; i += 1) {
    const open = price;
    const close = Math.max(10, Math.round(open * (1 + (random() - 0.5) * 0.06)));
    const high = Math.max(open, close) + Math.round(random() * 15);
    const low = Math.max(1, Math.min(open, close) - Math.round(random() * 15));
    candles.push({ start: start + i * HOUR, open, high, low, close, volume: 1 + Math.floor(random() * 20) });
    price = close;
  }
  return candles;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Buys 5 cards at market when the fast mean of closes crosses above the slow one; sells all on the way down. */
export function smaCross(fast: number, slow: number): Strategy {
  return {
    decide(input) {
      const intents = [];
      for (const [variantId, candles] of Object.entries(input.candles)) {
        if (candles.length < slow + 1) continue;
        const closes = candles.map((c) => c.close);
        const now = mean(closes.slice(-fast)) - mean(closes.slice(-slow));
        const before = mean(closes.slice(-fast - 1, -1)) - mean(closes.slice(-slow - 1, -1));
        const held = input.holdings[variantId]?.quantity ?? 0;
        if (before <= 0 && now > 0 && held === 0)
          intents.push({ action: 'buy' as const, variantId, type: 'market' as const, quantity: 5 });
        if (before >= 0 && now < 0 && held > 0)
          intents.push({ action: 'sell' as const, variantId, type: 'market' as const, quantity: held });
      }
      return { intents };
    },
  };
}
