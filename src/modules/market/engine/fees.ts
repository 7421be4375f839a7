/**
 * Commission and price-band maths. Amounts are minor coin units.
 *
 * Rounding: the commission is rounded UP to the next minor unit (in the platform's favour), so a
 * fee is never zero on a paid trade and never undercharges: ceil(notional × rateBps / 10 000),
 * then at least `minimumFee`.
 *
 * Fees of one order are charged on its cumulative notional, not fill by fill: after fills worth
 * n1, n2, … the order has paid exactly commission(n1 + n2 + …). The minimum and the rounding apply
 * once per order, and commission(limit price × quantity) bounds what a buy order can ever owe, which
 * is what its escrow holds.
 */

export type FeePayer = 'buyer' | 'seller';

export interface FeeSchedule {
  /** Basis points of price × quantity (500 = 5 %). */
  readonly rateBps: bigint;
  /** Smallest commission on a non-zero notional. */
  readonly minimumFee: bigint;
  /** Who pays it: the buyer on top of the price, or the seller out of the proceeds. */
  readonly payer: FeePayer;
}

export const DEFAULT_FEE_SCHEDULE: FeeSchedule = Object.freeze({ rateBps: 500n, minimumFee: 1n, payer: 'buyer' });

const BPS = 10_000n;

/** Commission on a notional (0 for a zero notional: nothing traded, nothing owed). */
export function commission(notional: bigint, schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE): bigint {
  if (notional <= 0n) return 0n;
  const proportional = (notional * schedule.rateBps + BPS - 1n) / BPS;
  return proportional > schedule.minimumFee ? proportional : schedule.minimumFee;
}

/**
 * Commission due on one fill of an order that had already traded `priorNotional`: the difference
 * between the commission on the cumulative notional after and before the fill.
 */
export function feeForFill(
  priorNotional: bigint,
  fillNotional: bigint,
  schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE,
): bigint {
  return commission(priorNotional + fillNotional, schedule) - commission(priorNotional, schedule);
}

export interface FeeQuote {
  /** price × quantity */
  readonly notional: bigint;
  readonly fee: bigint;
  readonly buyerPays: bigint;
  readonly sellerReceives: bigint;
}

/** What the buyer pays and the seller receives for `quantity` at `price` (a listing, an order, a fill). */
export function quote(price: bigint, quantity: bigint, schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE): FeeQuote {
  const notional = price * quantity;
  const fee = commission(notional, schedule);
  return schedule.payer === 'buyer'
    ? { notional, fee, buyerPays: notional + fee, sellerReceives: notional }
    : { notional, fee, buyerPays: notional, sellerReceives: notional > fee ? notional - fee : 0n };
}

/**
 * Coins a buy order must escrow: its worst-case notional plus, when the buyer pays the fee, the fee
 * on it. For a market buy, `price` is the book's protection price.
 */
export function buyEscrow(price: bigint, quantity: bigint, schedule: FeeSchedule = DEFAULT_FEE_SCHEDULE): bigint {
  return quote(price, quantity, schedule).buyerPays;
}

export const DEFAULT_PRICE_BAND = 10n;

export type BandCheck =
  | { readonly ok: true; readonly min: bigint | null; readonly max: bigint | null }
  | { readonly ok: false; readonly reason: 'below_band' | 'above_band'; readonly min: bigint; readonly max: bigint };

/**
 * Fat-finger guard: accepts prices within [reference / band, reference × band]. Without a reference
 * (no trade and no floor yet) every price passes. `min` is rounded up to a whole minor unit.
 */
export function checkPriceBand(price: bigint, reference: bigint | null, band: bigint = DEFAULT_PRICE_BAND): BandCheck {
  if (reference === null || reference <= 0n) return { ok: true, min: null, max: null };
  if (band < 1n) throw new RangeError('band must be at least 1');
  const min = (reference + band - 1n) / band;
  const max = reference * band;
  // price × band ≥ reference is the exact form of price ≥ reference / band.
  if (price * band < reference) return { ok: false, reason: 'below_band', min, max };
  if (price > max) return { ok: false, reason: 'above_band', min, max };
  return { ok: true, min, max };
}

/** True when `price` is a positive multiple of `tick`. */
export function isOnTick(price: bigint, tick: bigint): boolean {
  return price > 0n && tick > 0n && price % tick === 0n;
}
