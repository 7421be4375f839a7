import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buyEscrow, checkPriceBand, commission, feeForFill, isOnTick, quote, type FeeSchedule } from './fees.ts';

describe('commission', () => {
  it('is 5 % of the notional, rounded up to the next minor unit', () => {
    expect(commission(1_000n)).toBe(50n);
    expect(commission(101n)).toBe(6n); // 5.05 → 6
    expect(commission(120n)).toBe(6n); // exactly 6, no extra unit
    expect(commission(2_001n)).toBe(101n); // 100.05 → 101
  });

  it('charges at least the minimum on any paid trade and nothing on none', () => {
    expect(commission(1n)).toBe(1n);
    expect(commission(19n)).toBe(1n);
    expect(commission(0n)).toBe(0n);
    const flat: FeeSchedule = { rateBps: 0n, minimumFee: 3n, payer: 'buyer' };
    expect(commission(1_000_000n, flat)).toBe(3n);
  });

  it('charged fill by fill on the cumulative notional adds up to the commission on the total', () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 10_000n }), { minLength: 1, maxLength: 20 }),
        fc.bigInt({ min: 0n, max: 2_000n }),
        fc.bigInt({ min: 0n, max: 10_000n }),
        (fills, rateBps, slack) => {
          const schedule: FeeSchedule = { rateBps, minimumFee: 1n, payer: 'buyer' };
          let prior = 0n;
          let charged = 0n;
          for (const n of fills) {
            const fee = feeForFill(prior, n, schedule);
            expect(fee >= 0n).toBe(true);
            charged += fee;
            prior += n;
          }
          expect(charged).toBe(commission(prior, schedule));
          // Fills at or inside the limit never cost more fee than the escrow taken on the limit notional.
          expect(commission(prior + slack, schedule) >= charged).toBe(true);
        },
      ),
    );
  });
});

describe('quote', () => {
  it('shows the buyer paying price × quantity plus the fee by default', () => {
    expect(quote(250n, 4n)).toEqual({ notional: 1_000n, fee: 50n, buyerPays: 1_050n, sellerReceives: 1_000n });
    expect(buyEscrow(250n, 4n)).toBe(1_050n);
  });

  it('takes the fee from the seller when the schedule says so', () => {
    const schedule: FeeSchedule = { rateBps: 500n, minimumFee: 1n, payer: 'seller' };
    expect(quote(250n, 4n, schedule)).toEqual({ notional: 1_000n, fee: 50n, buyerPays: 1_000n, sellerReceives: 950n });
    expect(buyEscrow(250n, 4n, schedule)).toBe(1_000n);
    expect(quote(1n, 1n, schedule).sellerReceives).toBe(0n);
  });
});

describe('price band', () => {
  it('accepts prices from reference / band to reference × band, bounds included', () => {
    expect(checkPriceBand(100n, 1_000n)).toEqual({ ok: true, min: 100n, max: 10_000n });
    expect(checkPriceBand(10_000n, 1_000n).ok).toBe(true);
    expect(checkPriceBand(99n, 1_000n)).toEqual({ ok: false, reason: 'below_band', min: 100n, max: 10_000n });
    expect(checkPriceBand(10_001n, 1_000n)).toMatchObject({ ok: false, reason: 'above_band' });
  });

  it('compares exactly when the reference does not divide by the band', () => {
    expect(checkPriceBand(1n, 15n)).toMatchObject({ ok: false, reason: 'below_band', min: 2n });
    expect(checkPriceBand(2n, 15n).ok).toBe(true);
    expect(checkPriceBand(7n, 15n, 2n)).toMatchObject({ ok: false, min: 8n, max: 30n });
  });

  it('lets any price through while there is no reference', () => {
    expect(checkPriceBand(123_456n, null)).toEqual({ ok: true, min: null, max: null });
  });
});

describe('tick', () => {
  it('accepts positive multiples only', () => {
    expect([isOnTick(10n, 5n), isOnTick(12n, 5n), isOnTick(0n, 5n), isOnTick(-5n, 5n)]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });
});
