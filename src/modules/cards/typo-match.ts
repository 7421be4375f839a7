/*
 * Typo-tolerant word matching for card search, as search engines for people do it: a query word
 * matches a word of the card exactly, as the prefix of it (the last word only, for search as you
 * type), or within a number of typos that grows with its length: one typo for words of 5 letters
 * or more, two for 9 or more. A typo is an inserted, deleted or substituted letter, or two
 * neighbouring letters swapped ("absysal" → "abyssal"). Exact beats prefix beats typo.
 */

export type WordMatch = { kind: 'exact' } | { kind: 'prefix' } | { kind: 'typo'; distance: number };

/** Typos a query word of this length may carry. */
export function allowedTypos(length: number): number {
  if (length >= 9) return 2;
  if (length >= 5) return 1;
  return 0;
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment), or `max + 1` as soon as
 * it is certain to exceed `max`.
 */
export function typoDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (prev2[j - 2] as number) + 1);
      }
      row.push(d);
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = row;
  }
  return Math.min(prev[b.length] as number, max + 1);
}

/** How `word` matches the best of `targets`, or null. */
export function matchWord(word: string, targets: readonly string[], allowPrefix: boolean): WordMatch | null {
  let best: WordMatch | null = null;
  const max = allowedTypos(word.length);
  for (const target of targets) {
    if (target === word) return { kind: 'exact' };
    if (allowPrefix && target.startsWith(word)) {
      best = { kind: 'prefix' };
      continue;
    }
    if (max === 0 || best?.kind === 'prefix') continue;
    const distance = typoDistance(word, target, max);
    if (distance <= max && (best === null || (best.kind === 'typo' && distance < best.distance))) {
      best = { kind: 'typo', distance };
    }
  }
  return best;
}

const WEIGHT = { exact: 1, prefix: 0.8 } as const;

/**
 * The share of query words the card's words match, weighted by how (exact 1, prefix 0.8, one typo
 * 0.6, two typos 0.4), in [0, 1]; 1 only when every word matched exactly.
 */
export function wordCoverage(queryWords: readonly string[], cardWords: readonly string[]): number {
  if (queryWords.length === 0) return 0;
  let total = 0;
  queryWords.forEach((word, i) => {
    const m = matchWord(word, cardWords, i === queryWords.length - 1);
    if (!m) return;
    total += m.kind === 'typo' ? 0.8 - 0.2 * m.distance : WEIGHT[m.kind];
  });
  return total / queryWords.length;
}

/** Whether every query word matched (exactly, as a prefix or within its typos). */
export function coversAll(queryWords: readonly string[], cardWords: readonly string[]): boolean {
  return queryWords.every((word, i) => matchWord(word, cardWords, i === queryWords.length - 1) !== null);
}
