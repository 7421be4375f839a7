import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';

export interface HistoryFilter {
  accountId: string;
  limit: number;
  kind?: string;
  asset?: string;
  from?: Date;
  to?: Date;
  /** The last item of the previous page. */
  after?: { transferId: string; asset: string };
}

export type HistoryRow = {
  transfer_id: string;
  asset: string;
  kind: string;
  status: 'posted' | 'pending' | 'voided';
  memo: string | null;
  reference: string | null;
  created_at: Date;
  amount: bigint;
  balance_after: bigint;
  counterparties: string[];
};

/**
 * The transfers that changed an account's balances, newest first, one row per transfer and
 * asset: the signed amount from the account's point of view (by its legs), the other accounts,
 * and the account's available balance after the transfer's latest entry.
 */
export async function accountHistory(db: Db, f: HistoryFilter): Promise<HistoryRow[]> {
  const r = await db.execute<HistoryRow>(sql`
    SELECT t.id AS transfer_id, g.asset, t.kind, t.status, t.memo, t.reference, t.created_at,
           le.available_after AS balance_after,
           (SELECT coalesce(sum(CASE WHEN l.to_account = ${f.accountId} THEN l.amount ELSE -l.amount END), 0)
              FROM ledger_transfer_legs l
             WHERE l.transfer_id = t.id AND l.asset = g.asset
               AND (l.from_account = ${f.accountId} OR l.to_account = ${f.accountId}))::bigint AS amount,
           (SELECT coalesce(array_agg(DISTINCT CASE WHEN l.to_account = ${f.accountId}
                                                    THEN l.from_account ELSE l.to_account END::text), '{}')
              FROM ledger_transfer_legs l
             WHERE l.transfer_id = t.id AND l.asset = g.asset
               AND (l.from_account = ${f.accountId} OR l.to_account = ${f.accountId})) AS counterparties
    FROM (
      SELECT transfer_id, asset, max(id) AS last_entry FROM ledger_entries
      WHERE account_id = ${f.accountId}
        ${f.asset ? sql`AND asset = ${f.asset}` : sql``}
        ${
          f.after
            ? sql`AND (transfer_id < ${f.after.transferId}
                   OR (transfer_id = ${f.after.transferId} AND asset COLLATE "C" < ${f.after.asset}))`
            : sql``
        }
      GROUP BY transfer_id, asset
    ) g
    JOIN ledger_transfers t ON t.id = g.transfer_id
    JOIN ledger_entries le ON le.id = g.last_entry
    WHERE TRUE
      ${f.kind ? sql`AND t.kind = ${f.kind}` : sql``}
      ${f.from ? sql`AND t.created_at >= ${f.from.toISOString()}::timestamptz` : sql``}
      ${f.to ? sql`AND t.created_at < ${f.to.toISOString()}::timestamptz` : sql``}
    ORDER BY t.id DESC, g.asset COLLATE "C" DESC
    LIMIT ${f.limit}`);
  return r.rows;
}
