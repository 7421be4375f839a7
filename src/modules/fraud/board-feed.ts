import type { Db } from '../../platform/db/tx.ts';
import * as repo from './repo.ts';
import { fillReference } from './service.ts';

/**
 * Exchange trades flagged as wash trading, for rankings that must not count them: a flag counts
 * while open and once confirmed; a flag staff dismissed does not.
 */
export async function washTradedIds(db: Db, tradeIds: readonly string[]): Promise<Set<string>> {
  const unique = [...new Set(tradeIds)];
  const flagged = new Set<string>();
  for (let i = 0; i < unique.length; i += 1000) {
    const chunk = unique.slice(i, i + 1000);
    const refs = await repo.washFlaggedReferences(
      db,
      chunk.map((id) => fillReference(id)),
    );
    for (const id of chunk) if (refs.has(fillReference(id))) flagged.add(id);
  }
  return flagged;
}
