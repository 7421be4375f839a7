import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  foreignKey,
  index,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * What can be owned: `COIN` (minor units, 1 coin = 100) and one asset per card variant, registered
 * by the module that issues it. Codes are upper-case so they never collide with account codes.
 */
export const ledgerAssets = pgTable(
  'ledger_assets',
  {
    code: text('code').primaryKey(),
    kind: text('kind', { enum: ['currency', 'card'] }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('ledger_assets_code_format', sql`${t.code} ~ '^[A-Z0-9][A-Z0-9_.:-]{0,63}$'`)],
);

/**
 * Who can hold an asset. A user's wallet account has the user's id as its own id; system accounts
 * have a well-known id and a code; escrow accounts belong to an owner and a business object.
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: ['user', 'system', 'escrow'] }).notNull(),
    code: text('code'),
    ownerId: uuid('owner_id'),
    purpose: text('purpose'),
    reference: text('reference'),
    mayGoNegative: boolean('may_go_negative').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('ledger_accounts_code_key').on(t.code),
    uniqueIndex('ledger_accounts_escrow_key')
      .on(t.purpose, t.reference)
      .where(sql`${t.kind} = 'escrow'`),
    index('ledger_accounts_owner_idx').on(t.ownerId),
    check(
      'ledger_accounts_shape',
      sql`(${t.kind} = 'user' AND ${t.ownerId} = ${t.id} AND NOT ${t.mayGoNegative})
        OR (${t.kind} = 'system' AND ${t.code} IS NOT NULL)
        OR (${t.kind} = 'escrow' AND ${t.ownerId} IS NOT NULL AND ${t.purpose} IS NOT NULL
            AND ${t.reference} IS NOT NULL AND NOT ${t.mayGoNegative})`,
    ),
  ],
);

/**
 * Current holdings per account and asset, changed only together with the entries that explain the
 * change. `held` is reserved by pending transfers; the account's total is available + held.
 */
export const ledgerBalances = pgTable(
  'ledger_balances',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => ledgerAccounts.id),
    asset: text('asset')
      .notNull()
      .references(() => ledgerAssets.code),
    available: bigint('available', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
    held: bigint('held', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
    // Copied from the account so the CHECK can see it: only mint and gateway may go below zero.
    mayGoNegative: boolean('may_go_negative').notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.asset] }),
    check('ledger_balances_no_overdraft', sql`${t.mayGoNegative} OR ${t.available} >= 0`),
    check('ledger_balances_held_non_negative', sql`${t.held} >= 0`),
  ],
);

/** One business movement: a batch of legs applied all at once, or reserved then posted/voided. */
export const ledgerTransfers = pgTable(
  'ledger_transfers',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull(),
    reference: text('reference'),
    status: text('status', { enum: ['posted', 'pending', 'voided'] }).notNull(),
    memo: text('memo'),
    actorId: uuid('actor_id'),
    timeoutAt: timestamp('timeout_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (t) => [
    index('ledger_transfers_pending_idx')
      .on(t.timeoutAt)
      .where(sql`${t.status} = 'pending'`),
    index('ledger_transfers_reference_idx').on(t.kind, t.reference),
  ],
);

/** The legs of a transfer as requested; append-only. */
export const ledgerTransferLegs = pgTable(
  'ledger_transfer_legs',
  {
    transferId: uuid('transfer_id')
      .notNull()
      .references(() => ledgerTransfers.id),
    idx: smallint('idx').notNull(),
    fromAccount: uuid('from_account')
      .notNull()
      .references(() => ledgerAccounts.id),
    toAccount: uuid('to_account')
      .notNull()
      .references(() => ledgerAccounts.id),
    asset: text('asset')
      .notNull()
      .references(() => ledgerAssets.code),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.transferId, t.idx] }),
    check('ledger_legs_amount_positive', sql`${t.amount} > 0`),
    check('ledger_legs_distinct_accounts', sql`${t.fromAccount} <> ${t.toAccount}`),
  ],
);

/**
 * Every change of a balance, append-only. A transfer writes entries when applied (`apply`) and, if
 * it was pending, again when posted or voided; the entries of each phase sum to zero per asset.
 */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint('id', { mode: 'bigint' }).generatedAlwaysAsIdentity().primaryKey(),
    transferId: uuid('transfer_id')
      .notNull()
      .references(() => ledgerTransfers.id),
    phase: text('phase', { enum: ['apply', 'post', 'void'] }).notNull(),
    accountId: uuid('account_id').notNull(),
    asset: text('asset').notNull(),
    availableDelta: bigint('available_delta', { mode: 'bigint' }).notNull(),
    heldDelta: bigint('held_delta', { mode: 'bigint' }).notNull(),
    availableAfter: bigint('available_after', { mode: 'bigint' }).notNull(),
    heldAfter: bigint('held_after', { mode: 'bigint' }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ columns: [t.accountId, t.asset], foreignColumns: [ledgerBalances.accountId, ledgerBalances.asset] }),
    index('ledger_entries_account_idx').on(t.accountId, t.transferId),
    index('ledger_entries_transfer_idx').on(t.transferId),
  ],
);

/** Amount a user moved per kind and UTC day, for daily limits; the row lock serialises checks. */
export const ledgerDailyUsage = pgTable(
  'ledger_daily_usage',
  {
    accountId: uuid('account_id').notNull(),
    kind: text('kind').notNull(),
    day: date('day').notNull(),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.kind, t.day] })],
);

/**
 * Where a user's payouts go: a Stripe Connect account or a bank account. The details are sealed
 * (envelope encryption, context `payout_destinations.details`); only the last four characters stay
 * in clear, for display. Removed destinations are kept (payouts made to them still name them).
 */
export const payoutDestinations = pgTable(
  'payout_destinations',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    kind: text('kind', { enum: ['stripe_account', 'bank_account'] }).notNull(),
    // Sealed JSON: `{ accountId }` for a Stripe account, `{ holderName, iban }` or
    // `{ holderName, accountNumber, routingNumber }` for a bank account.
    details: text('details').notNull(),
    last4: text('last4').notNull(),
    label: text('label'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    // Set when the user removes it: no new payout may use it.
    removedAt: timestamp('removed_at', { withTimezone: true }),
  },
  (t) => [
    index('payout_destinations_user_idx')
      .on(t.userId, t.createdAt)
      .where(sql`${t.removedAt} IS NULL`),
    check('payout_destinations_kind', sql`${t.kind} IN ('stripe_account', 'bank_account')`),
    check('payout_destinations_sealed', sql`${t.details} LIKE 'enc:%'`),
  ],
);

/** Money entering or leaving through a payment provider. */
export const ledgerPayments = pgTable(
  'ledger_payments',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id').notNull(),
    direction: text('direction', { enum: ['deposit', 'payout'] }).notNull(),
    provider: text('provider').notNull(),
    // Null until the provider has registered the payment (after the creating transaction commits).
    providerPaymentId: text('provider_payment_id'),
    // A second provider id later events may name the payment by (Stripe: the checkout's payment intent).
    providerReference: text('provider_reference'),
    // Where our own checkout link forwards the payer, learnt at registration (Stripe's hosted checkout page).
    providerCheckoutUrl: text('provider_checkout_url'),
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    // `review`: a payout held for an admin's decision, not yet sent to the provider.
    status: text('status', { enum: ['review', 'pending', 'succeeded', 'failed'] }).notNull(),
    transferId: uuid('transfer_id').references(() => ledgerTransfers.id),
    // The payout's destination (null for deposits, and payouts made before destinations existed).
    destinationId: uuid('destination_id').references(() => payoutDestinations.id),
    checkoutUrl: text('checkout_url'),
    failureReason: text('failure_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('ledger_payments_provider_key').on(t.provider, t.providerPaymentId),
    uniqueIndex('ledger_payments_provider_reference_key').on(t.provider, t.providerReference),
    index('ledger_payments_user_idx').on(t.userId, t.createdAt),
    // The admin review queue pages through payouts by status, oldest first.
    index('ledger_payments_payout_status_idx')
      .on(t.status, t.id)
      .where(sql`${t.direction} = 'payout'`),
    check('ledger_payments_amount_positive', sql`${t.amount} > 0`),
  ],
);

/** Provider events already processed: a replayed event id is acknowledged and ignored. */
export const ledgerPaymentEvents = pgTable(
  'ledger_payment_events',
  {
    provider: text('provider').notNull(),
    eventId: text('event_id').notNull(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => ledgerPayments.id),
    type: text('type').notNull(),
    outcome: text('outcome').notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.eventId] })],
);

/**
 * Money of a settled deposit taken back: a refund (asked by an admin, or made at the provider) or a
 * dispute by the payer. The coins go back to `gateway`; what the user had already spent is recorded
 * as a shortfall owed to the `receivable` account, and while any is unpaid their withdrawals,
 * coin sends and orders are refused.
 */
export const ledgerPaymentReversals = pgTable(
  'ledger_payment_reversals',
  {
    id: uuid('id').primaryKey(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => ledgerPayments.id),
    // The payer, copied from the payment so the freeze check reads one index.
    userId: uuid('user_id').notNull(),
    kind: text('kind', { enum: ['refund', 'dispute'] }).notNull(),
    // The provider's refund or dispute id; null for a refund the provider has not registered yet.
    providerRef: text('provider_ref'),
    // Coin minor units taken back (wallet part plus shortfall).
    amount: bigint('amount', { mode: 'bigint' }).notNull(),
    // Part of `amount` the wallet could not cover and is still owed (decreases as it is repaid).
    shortfall: bigint('shortfall', { mode: 'bigint' })
      .notNull()
      .default(sql`0`),
    // refund: pending → submitted → succeeded, or failed (coins returned); dispute: open → won | lost.
    status: text('status', { enum: ['pending', 'submitted', 'succeeded', 'failed', 'open', 'won', 'lost'] }).notNull(),
    reason: text('reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('ledger_payment_reversals_payment_idx').on(t.paymentId, t.kind),
    uniqueIndex('ledger_payment_reversals_provider_key').on(t.paymentId, t.kind, t.providerRef),
    // The freeze check: does this user owe anything?
    index('ledger_payment_reversals_owed_idx')
      .on(t.userId)
      .where(sql`${t.shortfall} > 0`),
    check('ledger_payment_reversals_amount_positive', sql`${t.amount} > 0`),
    check('ledger_payment_reversals_shortfall_range', sql`${t.shortfall} >= 0 AND ${t.shortfall} <= ${t.amount}`),
  ],
);
