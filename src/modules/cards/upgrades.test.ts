import { describe, expect, it } from 'vitest';
import { upgradeRecipe, upgradeRecipes } from './upgrades.ts';

describe('upgrade recipes', () => {
  it('step one level at a time, with fees growing by rarity and level', () => {
    expect(upgradeRecipes('rare', 3).map((r) => `${r.from}->${r.to}`)).toEqual([
      'base->foil',
      'foil->holo',
      'holo->gold',
    ]);
    expect(upgradeRecipe('common', 'base', 3)?.fee).toBe(100n);
    expect(upgradeRecipe('mythic', 'holo', 3)?.fee).toBe(20_000n);
    expect(upgradeRecipe('epic', 'foil', 3)?.successBps).toBe(7_500);
  });

  it('stop at the top level and at the card own highest variant', () => {
    expect(upgradeRecipe('rare', 'gold', 3)).toBeUndefined();
    expect(upgradeRecipe('rare', 'foil', 1)).toBeUndefined();
    expect(upgradeRecipes('rare', 0)).toEqual([]);
  });
});
