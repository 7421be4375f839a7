import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitPayout } from './fees.ts';

describe('splitPayout', () => {
  it('takes the fee rounded down and pays the rest', () => {
    expect(splitPayout(105_001n, 250)).toEqual({ fee: 2_625n, payout: 102_376n });
    expect(splitPayout(100n, 500)).toEqual({ fee: 5n, payout: 95n });
    expect(splitPayout(19n, 500)).toEqual({ fee: 0n, payout: 19n });
    expect(splitPayout(0n, 500)).toEqual({ fee: 0n, payout: 0n });
  });

  it('never creates or loses a unit and never charges above the rate', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.integer({ min: 0, max: 10_000 }), (total, bps) => {
        const { fee, payout } = splitPayout(total, bps);
        expect(fee + payout).toBe(total);
        expect(fee >= 0n && payout >= 0n).toBe(true);
        expect(fee * 10_000n <= total * BigInt(bps)).toBe(true);
        expect((fee + 1n) * 10_000n > total * BigInt(bps)).toBe(true);
      }),
    );
  });

  it('refuses a negative total or a rate outside 0..10000 bps', () => {
    expect(() => splitPayout(-1n, 100)).toThrow(RangeError);
    expect(() => splitPayout(1n, 10_001)).toThrow(RangeError);
    expect(() => splitPayout(1n, 1.5)).toThrow(RangeError);
  });
});
