import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';

/**
 * How many owners hold some of any of `assets` now, in their wallet or in an escrow of theirs (a
 * card listed on the market is still its seller's): a count for other modules' statistics, no ids.
 */
export async function assetHolders(db: Db, assets: readonly string[]): Promise<number> {
  if (assets.length === 0) return 0;
  const r = await db.execute<{ n: number }>(sql`
    SELECT count(DISTINCT a.owner_id)::int AS n
    FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
    WHERE b.asset = ANY(${sql.param([...assets])}::text[]) AND a.kind IN ('user', 'escrow')
      AND b.available + b.held > 0`);
  return r.rows[0]?.n ?? 0;
}
