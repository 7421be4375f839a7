import { describe, expect, it } from 'vitest';
import { demoCatalog } from './demo-data.ts';
import { RARITIES } from './rarity.ts';

describe('demo catalogue', () => {
  const { sets, packs } = demoCatalog();
  const cards = sets.flatMap((s) => s.cards);

  it('is the same on every run', () => {
    expect(demoCatalog()).toEqual({ sets, packs });
  });

  it('has at least 6 sets, 300 cards over every rarity and 3 products', () => {
    expect(sets.length).toBeGreaterThanOrEqual(6);
    expect(cards.length).toBeGreaterThanOrEqual(300);
    for (const r of RARITIES) expect(cards.filter((c) => c.rarity === r).length).toBeGreaterThan(0);
    expect(packs).toHaveLength(3);
    expect(new Set(cards.map((c) => c.element)).size).toBeGreaterThan(5);
  });

  it('numbers and names cards uniquely within each set', () => {
    for (const s of sets) {
      expect(new Set(s.cards.map((c) => c.number)).size).toBe(s.cards.length);
      expect(new Set(s.cards.map((c) => c.name)).size).toBe(s.cards.length);
    }
  });
});
