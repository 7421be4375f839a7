/* Fee maths of a funded campaign: no I/O, unit-tested directly. */

export const BPS = 10_000n;

/**
 * Splits a funded campaign's pledged total into the platform's fee (rounded down, so the creator is
 * never charged more than the rate) and the creator's payout; the two always add up to the total.
 */
export function splitPayout(total: bigint, feeBps: number): { fee: bigint; payout: bigint } {
  if (total < 0n) throw new RangeError('total must not be negative');
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > 10_000) throw new RangeError('feeBps must be 0..10000');
  const fee = (total * BigInt(feeBps)) / BPS;
  return { fee, payout: total - fee };
}
