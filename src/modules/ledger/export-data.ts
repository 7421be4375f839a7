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
    const accounts = await db.select().from(ledgerAccounts).where(eq(ledgerAccounts.ownerId, userId));
    const ids = accounts.map((a) => a.id);
    const owned = ids.length > 0 ? inArray(ledgerBalances.accountId, ids) : undefined;
    return {
      accounts,
      balances: owned
        ? await db
            .select({
              accountId: ledgerBalances.accountId,
              asset: ledgerBalances.asset,
              available: ledgerBalances.available,
              held: ledgerBalances.held,
            })
            .from(ledgerBalances)
            .where(owned)
        : [],
      entries: await capped(async (n) =>
        ids.length === 0
          ? []
          : db
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
