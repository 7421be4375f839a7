import { sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { ledgerAccounts, ledgerEntries, ledgerTransfers, payoutDestinations } from './tables.ts';

/**
 * Erases the free text of a deleted account's ledger history: memos of transfers that touched an
 * account it owns (they may quote a campaign title or a bot name it chose). Entries, legs and
 * balances stay, under the account's unchanged id: the books still balance and reconcile.
 */
export async function eraseLedgerMemos(db: Db, userId: string): Promise<number> {
  const r = await db.execute(sql`UPDATE ${ledgerTransfers} SET memo = NULL
    WHERE memo IS NOT NULL AND id IN (
      SELECT e.transfer_id FROM ${ledgerEntries} e
      JOIN ${ledgerAccounts} a ON a.id = e.account_id
      WHERE a.owner_id = ${userId})`);
  return r.rowCount ?? 0;
}

/**
 * A deleted account's payout destinations: the name it gave each is erased and none can be used
 * again. The sealed details and last four characters stay as the financial record of where its
 * payouts went.
 */
export async function retirePayoutDestinations(db: Db, userId: string): Promise<number> {
  const r = await db.execute(sql`UPDATE ${payoutDestinations}
    SET label = NULL, removed_at = coalesce(removed_at, now()) WHERE user_id = ${userId}`);
  return r.rowCount ?? 0;
}
