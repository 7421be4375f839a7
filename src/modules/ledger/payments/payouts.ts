import { uuidv7 } from 'uuidv7';
import type { Config } from '../../../config.ts';
import { appendAudit, type RequestOrigin } from '../../../platform/audit/index.ts';
import { keyringOf, mask, open, seal, type Keyring } from '../../../platform/crypto/envelope.ts';
import { sealedColumn } from '../../../platform/crypto/sealed-columns.ts';
import type { Db } from '../../../platform/db/tx.ts';
import { ValidationError } from '../../../platform/http/errors.ts';
import { walletAccountId } from '../accounts.ts';
import {
  PayoutCountLimitError,
  PayoutDestinationCoolingDownError,
  PayoutDestinationNotFoundError,
  PayoutDestinationRequiredError,
  PayoutDestinationLimitError,
} from '../errors.ts';
import { addDailyUsage } from '../repo.ts';
import * as repo from './payouts-repo.ts';

/** The envelope context of `payout_destinations.details`: a value sealed for it opens nowhere else. */
const DESTINATION_CONTEXT = sealedColumn('payout_destinations', 'details').context;

/** How withdrawals are checked; built from the configuration (see `payoutPolicyOf`). */
export interface PayoutPolicy {
  keyring: Keyring;
  /** Payouts above this many coin minor units wait for an admin (status `review`). */
  reviewAbove: bigint;
  /** Withdrawals one user may request per UTC day. */
  maxPerDay: number;
  /** Seconds between adding a destination and its first payout. */
  destinationCooldownSeconds: number;
  /** Every withdrawal must name a destination (any provider that moves real money). */
  requireDestination: boolean;
}

export function payoutPolicyOf(config: Config, providerMovesRealMoney: boolean): PayoutPolicy {
  return {
    keyring: keyringOf(config),
    reviewAbove: BigInt(config.PAYOUT_REVIEW_ABOVE),
    maxPerDay: config.PAYOUT_MAX_PER_DAY,
    destinationCooldownSeconds: config.PAYOUT_DESTINATION_COOLDOWN_SECONDS,
    requireDestination: providerMovesRealMoney,
  };
}

/** Without a configured policy (a bare `Payments`, as in unit tests): no review, no count, no cooldown. */
export const OPEN_POLICY: PayoutPolicy = {
  keyring: keyringOf({}),
  reviewAbove: BigInt(Number.MAX_SAFE_INTEGER),
  maxPerDay: Number.MAX_SAFE_INTEGER,
  destinationCooldownSeconds: 0,
  requireDestination: false,
};

export interface DestinationInput {
  kind: 'stripe_account' | 'bank_account';
  label?: string | undefined;
  accountId?: string | undefined;
  holderName?: string | undefined;
  iban?: string | undefined;
  accountNumber?: string | undefined;
  routingNumber?: string | undefined;
}

type Details =
  | { accountId: string }
  | { holderName: string; iban: string }
  | { holderName: string; accountNumber: string; routingNumber: string };

const invalid = (field: string, message: string) =>
  new ValidationError(`Invalid request: body.${field}`, [{ field: `body.${field}`, message }]);

/** ISO 13616: move the first four characters to the end, letters to numbers, the result mod 97 is 1. */
export function ibanChecksumValid(iban: string): boolean {
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const digits = (iban.slice(4) + iban.slice(0, 4)).replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rest = 0;
  for (const d of digits) rest = (rest * 10 + Number(d)) % 97;
  return rest === 1;
}

/** ABA routing numbers carry a weighted checksum (3, 7, 1) that is a multiple of 10. */
export function routingNumberValid(routing: string): boolean {
  if (!/^[0-9]{9}$/.test(routing)) return false;
  const d = [...routing].map(Number);
  const sum = [0, 3, 6].reduce((s, i) => s + 3 * (d[i] ?? 0) + 7 * (d[i + 1] ?? 0) + (d[i + 2] ?? 0), 0);
  return sum % 10 === 0;
}

/** Checks the fields one kind needs (and only those); returns the details to seal and their last four. */
export function destinationDetails(input: DestinationInput): { details: Details; last4: string } {
  const given = (['accountId', 'holderName', 'iban', 'accountNumber', 'routingNumber'] as const).filter(
    (f) => input[f] !== undefined,
  );
  const allowed: readonly string[] =
    input.kind === 'stripe_account'
      ? ['accountId']
      : ['holderName', ...(input.iban !== undefined ? ['iban'] : ['accountNumber', 'routingNumber'])];
  const extra = given.find((f) => !allowed.includes(f));
  if (extra) throw invalid(extra, `is not used for a ${input.kind} destination`);
  const missing = allowed.find((f) => input[f as keyof DestinationInput] === undefined);
  if (missing) throw invalid(missing, `is required for a ${input.kind} destination`);

  if (input.kind === 'stripe_account') {
    const accountId = input.accountId ?? '';
    return { details: { accountId }, last4: accountId.slice(-4) };
  }
  const holderName = (input.holderName ?? '').trim();
  if (!holderName) throw invalid('holderName', 'must not be blank');
  if (input.iban !== undefined) {
    const iban = input.iban.replace(/\s+/g, '').toUpperCase();
    if (!ibanChecksumValid(iban)) throw invalid('iban', 'is not a valid IBAN (check digits do not match)');
    return { details: { holderName, iban }, last4: iban.slice(-4) };
  }
  const accountNumber = input.accountNumber ?? '';
  const routingNumber = input.routingNumber ?? '';
  if (!routingNumberValid(routingNumber)) throw invalid('routingNumber', 'is not a valid routing number');
  return { details: { holderName, accountNumber, routingNumber }, last4: accountNumber.slice(-4) };
}

export function destinationView(d: repo.ListedDestination, cooldownSeconds: number) {
  return {
    id: d.id,
    kind: d.kind,
    label: d.label,
    masked: mask(d.last4),
    createdAt: d.createdAt.toISOString(),
    usableFrom: new Date(d.createdAt.getTime() + cooldownSeconds * 1000).toISOString(),
  };
}

const userActor = (userId: string) => ({ type: 'user' as const, id: userId });

/** Destinations one user may keep in use at once (a list, and a review, stays short). */
export const MAX_DESTINATIONS = 10;

/** Adds a destination; its details are sealed before they reach the database or the audit log (only kind and last four do). */
export async function addDestination(
  tx: Db,
  policy: PayoutPolicy,
  userId: string,
  input: DestinationInput,
  origin?: RequestOrigin,
) {
  const { details, last4 } = destinationDetails(input);
  if ((await repo.countDestinations(tx, userId)) >= MAX_DESTINATIONS) {
    throw new PayoutDestinationLimitError(MAX_DESTINATIONS);
  }
  const id = uuidv7();
  const row = await repo.insertDestination(tx, {
    id,
    userId,
    kind: input.kind,
    details: seal(policy.keyring, JSON.stringify(details), DESTINATION_CONTEXT),
    last4,
    label: input.label?.trim() || null,
  });
  await appendAudit(tx, {
    actor: userActor(userId),
    action: 'payout_destination.added',
    target: { type: 'payout_destination', id },
    details: { kind: input.kind, masked: mask(last4) },
    ...(origin ? { origin } : {}),
  });
  return destinationView(row, policy.destinationCooldownSeconds);
}

export async function listDestinations(db: Db, policy: PayoutPolicy, userId: string) {
  const rows = await repo.listDestinations(db, userId);
  return { items: rows.map((r) => destinationView(r, policy.destinationCooldownSeconds)) };
}

/** Removes one of the user's destinations; another user's, or an unknown one, is not found. */
export async function removeDestination(tx: Db, userId: string, id: string, origin?: RequestOrigin) {
  const row = await repo.removeDestination(tx, userId, id);
  if (!row) throw new PayoutDestinationNotFoundError();
  await appendAudit(tx, {
    actor: userActor(userId),
    action: 'payout_destination.removed',
    target: { type: 'payout_destination', id },
    details: { kind: row.kind, masked: mask(row.last4) },
    ...(origin ? { origin } : {}),
  });
}

/**
 * The destination a new withdrawal goes to, checked before any coins are held: the user's own,
 * not removed, past its cooldown. Without one, the withdrawal is allowed only when the policy
 * does not require one and the user has none (the sandbox's quick start).
 */
export async function payoutDestinationFor(
  tx: Db,
  policy: PayoutPolicy,
  userId: string,
  destinationId: string | undefined,
): Promise<string | null> {
  if (destinationId === undefined) {
    if (policy.requireDestination || (await repo.hasDestinations(tx, userId))) {
      throw new PayoutDestinationRequiredError();
    }
    return null;
  }
  const found = await repo.lockDestinationForPayout(tx, userId, destinationId, policy.destinationCooldownSeconds);
  if (!found) throw new PayoutDestinationNotFoundError();
  if (!found.ready) throw new PayoutDestinationCoolingDownError(found.usableFrom);
  return found.id;
}

/**
 * Counts one withdrawal against the user's daily number. The counter row is incremented in the
 * database and stays locked until the transaction ends, so concurrent withdrawals cannot both
 * pass; take it after the wallet's balance (the ledger's lock order: balance, then usage).
 */
export async function countPayout(tx: Db, policy: PayoutPolicy, userId: string): Promise<void> {
  const count = await addDailyUsage(tx, walletAccountId(userId), 'payout_count', 1n);
  if (count > BigInt(policy.maxPerDay)) throw new PayoutCountLimitError(policy.maxPerDay);
}

/**
 * What the provider is told a payout's destination is, opened from its sealed form for this call
 * only: the Connect account id (`acct_…`) for a Stripe account, the bank details as JSON otherwise.
 */
export async function openDestination(db: Db, policy: PayoutPolicy, id: string): Promise<string> {
  const row = await repo.getDestination(db, id);
  if (!row) throw new PayoutDestinationNotFoundError();
  const plain = open(policy.keyring, row.details, DESTINATION_CONTEXT);
  if (row.kind === 'stripe_account') return (JSON.parse(plain) as { accountId: string }).accountId;
  return plain;
}
