import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allowedTypos, coversAll, matchWord, typoDistance, wordCoverage } from './typo-match.ts';

/** Textbook optimal-string-alignment distance, without the early exit, to check the fast one. */
function reference(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const up = d[i - 1] as number[];
      row[j] = Math.min(
        (up[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

describe('typo distance', () => {
  it('counts each kind of typo as one', () => {
    expect(typoDistance('abyssal', 'abyssal', 2)).toBe(0);
    expect(typoDistance('absysal', 'abyssal', 2)).toBe(1); // two neighbours swapped
    expect(typoDistance('abysal', 'abyssal', 2)).toBe(1); // a letter missing
    expect(typoDistance('abysssal', 'abyssal', 2)).toBe(1); // a letter too many
    expect(typoDistance('abyzsal', 'abyssal', 2)).toBe(1); // a letter wrong
    expect(typoDistance('serpnet', 'serpent', 2)).toBe(1);
  });

  it('agrees with the textbook distance wherever it is within the bound', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 9 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 9 }),
        fc.integer({ min: 0, max: 3 }),
        (a, b, max) => {
          const exact = reference(a, b);
          expect(typoDistance(a, b, max)).toBe(Math.min(exact, max + 1));
        },
      ),
    );
  });
});

describe('word matching', () => {
  it('allows one typo from 5 letters and two from 9', () => {
    expect([4, 5, 8, 9, 12].map(allowedTypos)).toEqual([0, 1, 1, 2, 2]);
    expect(matchWord('drak', ['drake'], false)).toBeNull(); // 4 letters: no typo allowed
    expect(matchWord('drakk', ['drake'], false)).toEqual({ kind: 'typo', distance: 1 });
    expect(matchWord('tidecallre', ['tidecaller'], false)).toEqual({ kind: 'typo', distance: 1 });
    expect(matchWord('tidcallre', ['tidecaller'], false)).toEqual({ kind: 'typo', distance: 2 });
    expect(matchWord('tdcallre', ['tidecaller'], false)).toBeNull();
  });

  it('prefers exact to prefix to typo; prefixes only where allowed', () => {
    expect(matchWord('ember', ['embers', 'ember'], true)).toEqual({ kind: 'exact' });
    expect(matchWord('drak', ['drakeling'], true)).toEqual({ kind: 'prefix' });
    expect(matchWord('drak', ['drakeling'], false)).toBeNull();
    expect(matchWord('embar', ['ember', 'embark'], true)).toEqual({ kind: 'prefix' });
  });

  it('scores coverage by how each query word matched; all words must match to cover the card', () => {
    const card = ['abyssal', 'serpent', 'tides', 'water', 'rare'];
    expect(wordCoverage(['abyssal', 'serpent'], card)).toBe(1);
    expect(wordCoverage(['absysal', 'serp'], card)).toBeCloseTo((0.6 + 0.8) / 2);
    expect(coversAll(['absysal', 'serp'], card)).toBe(true);
    expect(coversAll(['absysal', 'dragon'], card)).toBe(false);
    expect(wordCoverage([], card)).toBe(0);
  });
});
