import { isSealed, open, seal, type Keyring } from './envelope.ts';

/**
 * Every column that holds personal data sealed with the envelope (`envelope.ts`), in one place:
 * the repositories seal and open through it, `npm run keys:rotate` walks it and the personal-data
 * catalogue test checks that what it calls sealed is listed here. A module that seals a new
 * column adds one line.
 */
export interface SealedColumn {
  readonly table: string;
  /** The single-column primary key the rotation pages by. */
  readonly primaryKey: string;
  /** SQL type of the primary key (the rotation casts its batch of keys to it). */
  readonly primaryKeyType: 'uuid' | 'text' | 'bigint';
  readonly column: string;
  /** Authenticated with the value: a sealed value copied into another column does not open. */
  readonly context: string;
}

const column = (table: string, name: string): SealedColumn => ({
  table,
  primaryKey: 'id',
  primaryKeyType: 'uuid',
  column: name,
  context: `${table}.${name}`,
});

export const SEALED_COLUMNS: SealedColumn[] = [
  // Shown to the owner in their session list; never searched.
  column('identity_sessions', 'user_agent'),
  // Security history shown to the owner and admins; the address is compared only for a few reset rows.
  column('identity_activity', 'ip'),
  column('identity_activity', 'user_agent'),
  // Where a user's payouts go (Stripe account id or bank details); opened only for the payout call.
  column('payout_destinations', 'details'),
];

/** The registered column `table.column`; throws when it is not registered (a programming error). */
export function sealedColumn(table: string, name: string): SealedColumn {
  const found = SEALED_COLUMNS.find((c) => c.table === table && c.column === name);
  if (!found) throw new Error(`${table}.${name} is not a registered sealed column`);
  return found;
}

/** The stored form of `value` for `col` (null stays null). */
export function sealValue(keyring: Keyring, col: SealedColumn, value: string | null): string | null {
  return value === null ? null : seal(keyring, value, col.context);
}

/**
 * The plaintext of a stored value of `col`. Rows written before the column was sealed hold clear
 * text until `npm run keys:rotate` seals them, so a value that is not sealed is returned as it is.
 */
export function openValue(keyring: Keyring, col: SealedColumn, stored: string | null): string | null {
  if (stored === null) return null;
  return isSealed(stored) ? open(keyring, stored, col.context) : stored;
}
