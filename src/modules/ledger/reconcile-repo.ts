import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';

/** One broken invariant, as found in the books. Amounts are strings (they can exceed 2^53). */
export interface Violation {
  check: ReconcileCheck;
  asset: string;
  accountId?: string;
  transferId?: string;
  expected: string;
  actual: string;
}

export type ReconcileCheck =
  | 'asset_not_zero'
  | 'balance_vs_entries'
  | 'negative_balance'
  | 'held_vs_pending'
  | 'transfer_vs_entries'
  | 'phase_not_zero';

const LIMIT = 100;

type Row = Record<string, unknown> & {
  asset: string;
  account_id?: string;
  transfer_id?: string;
  expected: string;
  actual: string;
};

async function find(db: Db, check: ReconcileCheck, query: SQL): Promise<Violation[]> {
  const r = await db.execute<Row>(sql`${query} LIMIT ${LIMIT}`);
  return r.rows.map((row) => ({
    check,
    asset: row.asset,
    ...(row.account_id ? { accountId: row.account_id } : {}),
    ...(row.transfer_id ? { transferId: row.transfer_id } : {}),
    expected: String(row.expected),
    actual: String(row.actual),
  }));
}

/** Every asset's balances sum to zero: value is only ever moved, never created or lost. */
export const assetsNotZero = (db: Db) =>
  find(
    db,
    'asset_not_zero',
    sql`SELECT asset, '0' AS expected, sum(available + held)::text AS actual
        FROM ledger_balances GROUP BY asset HAVING sum(available + held) <> 0`,
  );

/** Each balance (available and held) equals the sum of its entries. */
export const balancesVsEntries = (db: Db) =>
  find(
    db,
    'balance_vs_entries',
    sql`SELECT coalesce(b.account_id, e.account_id) AS account_id, coalesce(b.asset, e.asset) AS asset,
               concat(coalesce(e.available, 0), '/', coalesce(e.held, 0)) AS expected,
               concat(coalesce(b.available, 0), '/', coalesce(b.held, 0)) AS actual
        FROM ledger_balances b
        FULL JOIN (SELECT account_id, asset, sum(available_delta) AS available, sum(held_delta) AS held
                   FROM ledger_entries GROUP BY account_id, asset) e
          ON e.account_id = b.account_id AND e.asset = b.asset
        WHERE coalesce(b.available, 0) <> coalesce(e.available, 0) OR coalesce(b.held, 0) <> coalesce(e.held, 0)`,
  );

/** No balance below zero except on the accounts allowed to (mint, gateway, house, rewards and receivable). */
export const negativeBalances = (db: Db) =>
  find(
    db,
    'negative_balance',
    sql`SELECT b.account_id, b.asset, '>= 0' AS expected, concat(b.available, '/', b.held) AS actual
        FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
        WHERE (b.available < 0 OR b.held < 0)
          AND NOT (a.kind = 'system' AND split_part(a.code, '.', 1) IN ('mint', 'gateway', 'house', 'rewards', 'receivable') AND b.held >= 0)`,
  );

/** Each held balance is exactly what its account's pending transfers reserve. */
export const heldVsPending = (db: Db) =>
  find(
    db,
    'held_vs_pending',
    sql`SELECT coalesce(b.account_id, p.account_id) AS account_id, coalesce(b.asset, p.asset) AS asset,
               coalesce(p.held, 0)::text AS expected, coalesce(b.held, 0)::text AS actual
        FROM ledger_balances b
        FULL JOIN (SELECT l.from_account AS account_id, l.asset, sum(l.amount) AS held
                   FROM ledger_transfer_legs l JOIN ledger_transfers t ON t.id = l.transfer_id
                   WHERE t.status = 'pending' GROUP BY l.from_account, l.asset) p
          ON p.account_id = b.account_id AND p.asset = b.asset
        WHERE coalesce(b.held, 0) <> coalesce(p.held, 0)`,
  );

/**
 * Each transfer's entries add up to what its legs and status say: posted → moved, voided →
 * nothing, pending → reserved on the payer. A transfer written by halves fails here.
 */
export const transfersVsEntries = (db: Db) =>
  find(
    db,
    'transfer_vs_entries',
    sql`WITH expected AS (
          SELECT l.transfer_id, x.account_id, l.asset,
                 sum(CASE WHEN t.status = 'posted' THEN x.sign * l.amount
                          WHEN t.status = 'pending' AND x.sign = -1 THEN -l.amount ELSE 0 END) AS available,
                 sum(CASE WHEN t.status = 'pending' AND x.sign = -1 THEN l.amount ELSE 0 END) AS held
          FROM ledger_transfer_legs l
          JOIN ledger_transfers t ON t.id = l.transfer_id
          CROSS JOIN LATERAL (VALUES (l.from_account, -1), (l.to_account, 1)) AS x(account_id, sign)
          GROUP BY l.transfer_id, x.account_id, l.asset
        ), actual AS (
          SELECT transfer_id, account_id, asset, sum(available_delta) AS available, sum(held_delta) AS held
          FROM ledger_entries GROUP BY transfer_id, account_id, asset
        )
        SELECT coalesce(e.transfer_id, a.transfer_id) AS transfer_id,
               coalesce(e.account_id, a.account_id) AS account_id, coalesce(e.asset, a.asset) AS asset,
               concat(coalesce(e.available, 0), '/', coalesce(e.held, 0)) AS expected,
               concat(coalesce(a.available, 0), '/', coalesce(a.held, 0)) AS actual
        FROM expected e
        FULL JOIN actual a ON a.transfer_id = e.transfer_id AND a.account_id = e.account_id AND a.asset = e.asset
        WHERE coalesce(e.available, 0) <> coalesce(a.available, 0) OR coalesce(e.held, 0) <> coalesce(a.held, 0)
           OR (e.transfer_id IS NULL AND a.transfer_id IS NOT NULL)`,
  );

/** Each phase of each transfer (apply, post, void) nets to zero per asset: double entry. */
export const phasesNotZero = (db: Db) =>
  find(
    db,
    'phase_not_zero',
    sql`SELECT transfer_id, asset, '0' AS expected, sum(available_delta + held_delta)::text AS actual
        FROM ledger_entries GROUP BY transfer_id, phase, asset
        HAVING sum(available_delta + held_delta) <> 0`,
  );

export async function ledgerSize(db: Db): Promise<{ transfers: number; entries: number; balances: number }> {
  const r = await db.execute<{ transfers: number; entries: number; balances: number }>(sql`
    SELECT (SELECT count(*) FROM ledger_transfers)::int AS transfers,
           (SELECT count(*) FROM ledger_entries)::int AS entries,
           (SELECT count(*) FROM ledger_balances)::int AS balances`);
  return r.rows[0] ?? { transfers: 0, entries: 0, balances: 0 };
}
