import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MIN_ODDS_MILLI,
  fixedExposure,
  fixedOdds,
  fixedPayout,
  oddsAcceptable,
  overroundOf,
  parimutuelOdds,
  parimutuelPayouts,
  parimutuelShare,
} from './odds.ts';

const bets = fc.array(fc.record({ stake: fc.bigInt({ min: 1n, max: 10_000_000n }), winner: fc.boolean() }), {
  minLength: 1,
  maxLength: 200,
});

describe('parimutuel payouts', () => {
  it('payouts + takeout = total staked, to the minor unit, for any pool', () => {
    fc.assert(
      fc.property(bets, fc.integer({ min: 0, max: 5000 }), (pool, takeoutBps) => {
        const r = parimutuelPayouts(pool, takeoutBps);
        const total = pool.reduce((s, b) => s + b.stake, 0n);
        expect(r.payouts.reduce((s, p) => s + p, 0n) + r.takeout).toBe(total);
        expect(r.payouts.every((p) => p >= 0n)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('shares winners pro rata, losers get nothing, and the remainder is under one unit per winner', () => {
    fc.assert(
      fc.property(bets, fc.integer({ min: 0, max: 5000 }), (pool, takeoutBps) => {
        const r = parimutuelPayouts(pool, takeoutBps);
        const winners = pool.filter((b) => b.winner).length;
        if (r.refunded) return;
        pool.forEach((b, i) => {
          if (!b.winner) expect(r.payouts[i]).toBe(0n);
        });
        expect(r.remainder >= 0n && r.remainder < BigInt(Math.max(1, winners))).toBe(true);
        const total = pool.reduce((s, b) => s + b.stake, 0n);
        const winning = pool.reduce((s, b) => s + (b.winner ? b.stake : 0n), 0n);
        pool.forEach((b, i) => {
          if (b.winner) expect(r.payouts[i]).toBe(parimutuelShare(b.stake, total, winning, takeoutBps));
        });
      }),
      { numRuns: 300 },
    );
  });

  it('refunds everyone in full when nobody backed the winner', () => {
    const r = parimutuelPayouts(
      [
        { stake: 500n, winner: false },
        { stake: 700n, winner: false },
      ],
      1000,
    );
    expect(r).toEqual({ payouts: [500n, 700n], takeout: 0n, remainder: 0n, refunded: true });
  });

  it('a hand-computed pool: 10% takeout, 1000 + 2000 on the winner, 3000 against', () => {
    const r = parimutuelPayouts(
      [
        { stake: 1000n, winner: true },
        { stake: 2000n, winner: true },
        { stake: 3001n, winner: false },
      ],
      1000,
    );
    // total 6001, takeout 600, distributable 5401: 1000×5401/3000 = 1800.33 → 1800; 2000×… = 3600.66 → 3600
    expect(r.payouts).toEqual([1800n, 3600n, 0n]);
    expect(r.remainder).toBe(1n);
    expect(r.takeout).toBe(601n);
  });

  it('indicative odds: (pool − takeout) / outcome pool, null without a pool', () => {
    expect(parimutuelOdds([1000n, 3000n, 0n], 1000)).toEqual([3600, 1200, null]);
  });
});

describe('fixed odds', () => {
  it('carry the configured overround when no liability has built up', () => {
    const odds = fixedOdds(
      [
        { probabilityPpm: 500_000, liability: 0n },
        { probabilityPpm: 500_000, liability: 0n },
      ],
      500,
      1_000_000n,
    );
    // fair 2.00 each; with 5% margin 1 / (0.5 × 1.05) = 1.904 → 1.90
    expect(odds).toEqual([1900, 1900]);
    expect(overroundOf(odds)).toBe(526);
  });

  it('shorten an outcome as its liability builds, and never below 1.01', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 2, maxLength: 10 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.bigInt({ min: 0n, max: 2_000_000n }),
        (weights, overround, liability) => {
          const base = weights.map((w) => ({ probabilityPpm: w, liability: 0n }));
          const loaded = base.map((o, i) => (i === 0 ? { ...o, liability } : o));
          const before = fixedOdds(base, overround, 1_000_000n);
          const after = fixedOdds(loaded, overround, 1_000_000n);
          expect(after[0]).toBeLessThanOrEqual(before[0] ?? 0);
          expect(after.every((o) => o >= MIN_ODDS_MILLI)).toBe(true);
          expect(after.slice(1)).toEqual(before.slice(1));
        },
      ),
    );
  });

  it('the overround shown is at least the margin asked for, less rounding, before liability moves prices', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 10, max: 100 }), { minLength: 2, maxLength: 6 }),
        fc.integer({ min: 100, max: 2000 }),
        (weights, overround) => {
          const odds = fixedOdds(
            weights.map((w) => ({ probabilityPpm: w, liability: 0n })),
            overround,
            1n,
          );
          if (odds.some((o) => o === MIN_ODDS_MILLI)) return;
          expect(overroundOf(odds)).toBeGreaterThanOrEqual(overround - 5);
        },
      ),
    );
  });

  it('pays stake × odds rounded down, and exposure is the worst outcome less stakes taken', () => {
    expect(fixedPayout(333n, 1905)).toBe(634n);
    expect(fixedExposure([1000n, 4000n], 2500n)).toBe(1500n);
    expect(fixedExposure([1000n, 2000n], 2500n)).toBe(0n);
  });

  it('accepts better odds always and worse ones only within the tolerance', () => {
    expect(oddsAcceptable(2000, 2100, 0)).toBe(true);
    expect(oddsAcceptable(2000, 1990, 0)).toBe(false);
    expect(oddsAcceptable(2000, 1990, 50)).toBe(true);
    expect(oddsAcceptable(2000, 1989, 50)).toBe(false);
  });
});
