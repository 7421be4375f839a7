import type { Candle } from './strategy.ts';

/**
 * The backtest fill model: how a simulated order fills against recorded closed candles, with no
 * order book. It is deterministic (same order, candle and settings → same fill) and deliberately
 * conservative:
 *
 * - The candle offered is the first one that started at or after the order was placed; an order
 *   never fills on the candle its strategy already saw.
 * - A limit buy fills at the open when the candle opened at or below its limit (a gap: the first
 *   trade was already a bargain), else at its limit when the candle traded strictly below it
 *   (`low < limit`). A low that only touches the limit is not a fill: the order might have been
 *   behind others at that price. Sells mirror this (`open >= limit` → open, `high > limit` → limit).
 * - A market order fills at the open, worsened by half the spread plus the slippage:
 *   buy ceil(open × (1 + (spreadBps / 2 + slippageBps) / 10 000)), sell floor(open × (1 − …)),
 *   rounded against the trader and never below 1.
 * - The whole quantity fills: cards are whole units and the candle's recorded volume is not a cap,
 *   unless `capByVolume` is set, when at most the candle's volume fills (the rest stays open).
 *   The runner passes the order's remaining quantity as `quantity`.
 */

export interface SimOrder {
  id: string;
  variantId: string;
  side: 'buy' | 'sell';
  type: 'limit' | 'market';
  /** Limit price (minor units); null for a market order. */
  price: number | null;
  /** Whole cards still to fill. */
  quantity: number;
  /** When the order was placed (ms): the close of the candle its strategy decided on. */
  placedAt: number;
}

export interface FillSettings {
  /** Bid-ask spread a market order crosses, in whole basis points (it pays half). */
  spreadBps: number;
  /** Extra price impact a market order pays, in whole basis points. */
  slippageBps: number;
  /** Fill at most the candle's traded volume. */
  capByVolume?: boolean;
}

export interface Fill {
  price: number;
  quantity: number;
}

/** A commission rule in numbers (minor units), as the exchange's `FeeSchedule` is in bigints. */
export interface SimFeeSchedule {
  /** Basis points of price × quantity. */
  rateBps: number;
  /** Smallest commission on a non-zero notional. */
  minimumFee: number;
  payer: 'buyer' | 'seller';
}

/** Twice 10 000: half-spreads are counted in half basis points to stay in whole numbers. */
const HALF_BPS = 20_000n;

function assertWhole(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative safe integer`);
}

/** Where a limit order fills on this candle, or null when the price never came to it. */
function limitPrice(side: 'buy' | 'sell', limit: number, candle: Candle): number | null {
  if (side === 'buy') {
    if (candle.open <= limit) return candle.open;
    return candle.low < limit ? limit : null;
  }
  if (candle.open >= limit) return candle.open;
  return candle.high > limit ? limit : null;
}

/** The open worsened by half the spread plus the slippage, rounded against the trader. */
export function marketPrice(side: 'buy' | 'sell', open: number, settings: FillSettings): number {
  assertWhole(open, 'open');
  assertWhole(settings.spreadBps, 'spreadBps');
  assertWhole(settings.slippageBps, 'slippageBps');
  // open × (1 ± (spread/2 + slippage)/10 000) = open × (20 000 ± (spread + 2 × slippage)) / 20 000,
  // exact in bigint where the float product would round (50 × 1.1 is 55.00000000000001).
  const cost = BigInt(settings.spreadBps) + 2n * BigInt(settings.slippageBps);
  const scaled = BigInt(open) * (side === 'buy' ? HALF_BPS + cost : HALF_BPS - cost);
  const price = side === 'buy' ? (scaled + HALF_BPS - 1n) / HALF_BPS : scaled / HALF_BPS;
  return price < 1n ? 1 : Number(price);
}

/**
 * What `order` gets on `candle`, the first closed candle after it was placed, or null when it does
 * not fill there. Throws when the candle started before the order (that would be look-ahead).
 */
export function fillOnCandle(order: SimOrder, candle: Candle, settings: FillSettings): Fill | null {
  if (candle.start < order.placedAt) throw new RangeError('an order cannot fill on a candle that started before it');
  if (!Number.isSafeInteger(order.quantity) || order.quantity <= 0) {
    throw new RangeError('order quantity must be a positive whole number');
  }
  const quantity = settings.capByVolume ? Math.min(order.quantity, Math.floor(candle.volume)) : order.quantity;
  if (quantity <= 0) return null;
  if (order.type === 'market') return { price: marketPrice(order.side, candle.open, settings), quantity };
  if (order.price === null) throw new RangeError('a limit order needs a price');
  const price = limitPrice(order.side, order.price, candle);
  return price === null ? null : { price, quantity };
}

/**
 * Commission `side` pays for `quantity` at `price`, by the exchange's rule: on a non-zero notional,
 * max(minimumFee, ceil(price × quantity × rateBps / 10 000)), charged to the schedule's payer only
 * (the other side pays 0). Computed in bigint so it matches the exchange to the unit for any safe
 * integers, where price × quantity × rateBps could pass 2^53.
 */
export function feeFor(price: number, quantity: number, schedule: SimFeeSchedule, side: 'buy' | 'sell'): number {
  assertWhole(price, 'price');
  assertWhole(quantity, 'quantity');
  assertWhole(schedule.rateBps, 'rateBps');
  assertWhole(schedule.minimumFee, 'minimumFee');
  const pays = schedule.payer === 'buyer' ? 'buy' : 'sell';
  const notional = BigInt(price) * BigInt(quantity);
  if (side !== pays || notional === 0n) return 0;
  const proportional = (notional * BigInt(schedule.rateBps) + 9_999n) / 10_000n;
  const minimum = BigInt(schedule.minimumFee);
  return Number(proportional > minimum ? proportional : minimum);
}
