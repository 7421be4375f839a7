import { describe, expect, it } from 'vitest';
import { chiSquare, upperRegularizedGamma } from './chi-square.ts';

describe('chi-square p-values', () => {
  it('agree with the critical values of the 0.001 level', () => {
    // Standard table values: chi-square at p = 0.001 for 1, 2, 5, 10 and 59 degrees of freedom.
    const critical: [number, number][] = [
      [1, 10.828],
      [2, 13.816],
      [5, 20.515],
      [10, 29.588],
      [59, 98.324],
    ];
    for (const [df, x] of critical) expect(upperRegularizedGamma(df / 2, x / 2)).toBeCloseTo(0.001, 5);
  });

  it('agree with closed forms', () => {
    // Two degrees of freedom: p = exp(-x/2).
    for (const x of [0.1, 1, 4, 9, 30]) expect(upperRegularizedGamma(1, x / 2)).toBeCloseTo(Math.exp(-x / 2), 12);
  });

  it('scores a perfect fit as p = 1 and an impossible cell as p = 0', () => {
    expect(chiSquare([10, 20, 30], [10, 20, 30])).toEqual({ statistic: 0, degreesOfFreedom: 2, pValue: 1 });
    expect(chiSquare([1, 5], [0, 6]).pValue).toBe(0);
    expect(chiSquare([50, 150], [100, 100]).pValue).toBeLessThan(1e-6);
  });
});
