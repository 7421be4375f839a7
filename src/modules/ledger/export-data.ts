import { desc, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, without, type Exporter } from '../../platform/privacy/export.ts';
import {
  ledgerAccounts,
  ledgerBalances,
  ledgerEntries,
  ledgerPaymentReversals,
  ledgerPayments,
  ledgerTransfers,
  payoutDestinations,
} from './tables.ts';

/**
 * The wallet section of a user's export: the accounts the user owns (wallet, escrows, bot
 * accounts), their balances, every entry on them with its transfer, payments, reversals and payout
 * destinations. Sealed bank details stay sealed: the export names a destination by its last digits.
 */
export const ledgerExporter: Exporter = {
  section: 'wallet',
  async export(db: Db, userId: string) {
    // A heavy trader owns an escrow account per order: the owned ids stay in the database (a subquery).
    const ids = db.select({ id: ledgerAccounts.id }).from(ledgerAccounts).where(eq(ledgerAccounts.ownerId, userId));
    return {
      accounts: await capped((n) =>
        db
          .select()
          .from(ledgerAccounts)
          .where(eq(ledgerAccounts.ownerId, userId))
          .orderBy(desc(ledgerAccounts.createdAt))
          .limit(n),
      ),
      balances: await capped((n) =>
        db
          .select({
            accountId: ledgerBalances.accountId,
            asset: ledgerBalances.asset,
            available: ledgerBalances.available,
            held: ledgerBalances.held,
          })
          .from(ledgerBalances)
          .where(inArray(ledgerBalances.accountId, ids))
          .limit(n),
      ),
      entries: await capped(async (n) =>
        db
          .select({
            id: ledgerEntries.id,
            accountId: ledgerEntries.accountId,
            asset: ledgerEntries.asset,
            phase: ledgerEntries.phase,
            availableDelta: ledgerEntries.availableDelta,
            heldDelta: ledgerEntries.heldDelta,
            availableAfter: ledgerEntries.availableAfter,
            heldAfter: ledgerEntries.heldAfter,
            createdAt: ledgerEntries.createdAt,
            transferId: ledgerEntries.transferId,
            transferKind: ledgerTransfers.kind,
            transferReference: ledgerTransfers.reference,
            transferStatus: ledgerTransfers.status,
            transferMemo: ledgerTransfers.memo,
          })
          .from(ledgerEntries)
          .innerJoin(ledgerTransfers, eq(ledgerTransfers.id, ledgerEntries.transferId))
          .where(inArray(ledgerEntries.accountId, ids))
          .orderBy(desc(ledgerEntries.id))
          .limit(n),
      ),
      payments: await capped((n) =>
        db
          .select()
          .from(ledgerPayments)
          .where(eq(ledgerPayments.userId, userId))
          .orderBy(desc(ledgerPayments.createdAt))
          .limit(n),
      ),
      reversals: await capped((n) =>
        db
          .select()
          .from(ledgerPaymentReversals)
          .where(eq(ledgerPaymentReversals.userId, userId))
          .orderBy(desc(ledgerPaymentReversals.createdAt))
          .limit(n),
      ),
      payoutDestinations: (
        await db
          .select()
          .from(payoutDestinations)
          .where(eq(payoutDestinations.userId, userId))
          .orderBy(desc(payoutDestinations.createdAt))
      ).map((d) => without(d, 'details')),
    };
  },
};
