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

/**
 * Users' wallets ranked by their total holding of `asset` (most first, then by account id), the
 * page after `after`: a keyset over the balances, for rankings such as the points leaderboard.
 */
export async function assetRanking(
  db: Db,
  asset: string,
  opts: { limit: number; after?: { total: bigint; accountId: string } | undefined },
): Promise<{ accountId: string; total: bigint }[]> {
  const after = opts.after
    ? sql`AND (b.available + b.held < ${opts.after.total.toString()}::bigint
             OR (b.available + b.held = ${opts.after.total.toString()}::bigint AND b.account_id > ${opts.after.accountId}::uuid))`
    : sql``;
  const r = await db.execute<{ account_id: string; total: string }>(sql`
    SELECT b.account_id, (b.available + b.held)::text AS total
    FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
    WHERE b.asset = ${asset} AND a.kind = 'user' AND b.available + b.held > 0 ${after}
    ORDER BY b.available + b.held DESC, b.account_id
    LIMIT ${opts.limit}`);
  return r.rows.map((row) => ({ accountId: row.account_id, total: BigInt(row.total) }));
}
