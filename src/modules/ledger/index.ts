import { scheduleIdempotencyPurge } from '../../platform/http/idempotency.ts';
import type { ModuleDefinition } from '../../platform/module.ts';
import { userChannel } from '../../platform/realtime/ws.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { ledgerDeps } from './deps.ts';
import { ledgerExporter } from './export-data.ts';
import { eraseLedgerMemos, retirePayoutDestinations } from './erase-data.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { IDENTITY_EVENTS } from '../identity/index.ts';
import { PAYMENT_EVENTS } from './payments/service.ts';
import { REVERSAL_EVENTS } from './payments/reversals.ts';
import { reconcile } from './reconcile.ts';
import { ledgerRoutes } from './routes.ts';
import { voidExpired } from './service.ts';
import { WALLET_EVENTS } from './wallet-service.ts';

/*
 * The ledger's face for other modules. Every movement of value goes through `transfer` (or
 * `hold` + `postPending`/`voidPending`) inside the caller's transaction:
 *
 *   await withTransaction(db, async (tx) => {
 *     const escrow = await openEscrow(tx, { ownerId, purpose: 'listing', reference: listingId });
 *     await transfer(tx, { kind: 'market.list', reference: listingId,
 *       legs: [{ from: walletAccountId(ownerId), to: escrow.id, asset: cardAsset, amount: 1n }] });
 *     … the caller's own rows …
 *   });
 *
 * Assets are text codes registered once with `registerAsset(tx, code, kind)` (cards: one code per
 * variant, e.g. `CARD:<variant id>`); a leg naming an unregistered asset is refused. A user's
 * wallet account id is the user's id (`walletAccountId`); call `ensureWallet(tx, userId)` before
 * the first leg that names a new user (a leg naming a missing account is refused). Refusals
 * (`insufficient_funds`, unknown asset or account) are thrown before anything is written.
 */
export {
  COIN,
  COIN_SCALE,
  NON_TRANSFERABLE_ASSETS,
  POINTS,
  SYSTEM_ACCOUNTS,
  SYSTEM_SHARDS,
  systemShard,
  systemShardId,
  systemShardIds,
  walletAccountId,
  type SystemAccount,
} from './accounts.ts';
export { LedgerBatch } from './batch.ts';
export {
  balances,
  createEscrows,
  ensureWallet,
  ensureWallets,
  getTransferWithLegs,
  hold,
  openEscrow,
  postPending,
  registerAsset,
  systemBalance,
  transfer,
  voidExpired,
  voidPending,
  type MovementAudit,
  type TransferInput,
  type TransferResult,
} from './service.ts';
export type { BalanceKey, Leg } from './legs.ts';
export { reconcile, type ReconcileReport } from './reconcile.ts';
export { assetHolders, assetRanking } from './asset-repo.ts';
/** Read-only: other modules' indexes of holdings read balances and follow entries (writes go through `transfer`). */
export { ledgerBalances, ledgerEntries } from './tables.ts';
export {
  InsufficientFundsError,
  PendingExpiredError,
  TransferExistsError,
  TransferNotPendingError,
  UnknownAccountError,
  UnknownAssetError,
} from './errors.ts';
export { WALLET_EVENTS } from './wallet-service.ts';
export { PAYMENT_EVENTS } from './payments/service.ts';
export { assertNotFrozen, frozenAmong } from './payments/reversals.ts';
export { registerDepositGuard } from './deps.ts';
export type { DepositGuard } from './payments/service.ts';

export const LEDGER_JOBS = {
  voidExpired: 'ledger.void-expired',
  reconcile: 'ledger.reconcile',
} as const;

export const ledgerModule: ModuleDefinition = {
  name: 'ledger',
  setup(ctx) {
    const deps = ledgerDeps(ctx);
    const { config, jobs, logger } = ctx;
    jobs.define(LEDGER_JOBS.voidExpired, async () => {
      const voided = await voidExpired(ctx.db);
      if (voided > 0) logger.info({ voided }, 'voided pending transfers past their timeout');
    });
    jobs.every(LEDGER_JOBS.voidExpired, config.LEDGER_PENDING_SWEEP_SECONDS);
    jobs.define(LEDGER_JOBS.reconcile, async () => {
      const report = await reconcile(ctx.db);
      deps.gauges.record(report);
      if (!report.ok)
        logger.error({ counts: report.counts, violations: report.violations.slice(0, 20) }, 'ledger out of balance');
    });
    jobs.every(LEDGER_JOBS.reconcile, config.LEDGER_RECONCILE_INTERVAL_SECONDS);
    scheduleIdempotencyPurge(jobs, ctx.db, config.IDEMPOTENCY_TTL_HOURS);
    registerExporter(ctx, ledgerExporter);
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'ledger.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (!userId) return;
      await eraseLedgerMemos(ctx.db, userId);
      await retirePayoutDestinations(ctx.db, userId);
    });

    // The provider is called here, after the payment's transaction committed, never inside it.
    ctx.events.on(PAYMENT_EVENTS.requested, 'ledger.payments.register', async (event) => {
      await deps.payments.register((event.payload as { paymentId: string }).paymentId);
    });

    // Admin refunds reach the provider here, after the transaction that took the coins back.
    ctx.events.on(REVERSAL_EVENTS.refundRequested, 'ledger.payments.refund', async (event) => {
      await deps.refunds.submit((event.payload as { reversalId: string }).reversalId);
    });

    // Live updates on the user's private channel; durable notifications are the notifications module's.
    for (const type of [WALLET_EVENTS.transferReceived, PAYMENT_EVENTS.settled]) {
      ctx.events.on(type, 'ledger.realtime', async (event) => {
        const payload = event.payload as { userId: string };
        await ctx.realtime.publish(userChannel(payload.userId), { type, ...payload });
      });
    }
  },
  routes: ledgerRoutes,
};
