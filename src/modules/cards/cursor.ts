import { InvalidFieldError } from './errors.ts';
import type { Keyset, SortKey } from './list-repo.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Cursors are opaque to callers: the sort they belong to and the last row's sort value and id,
 * base64url JSON. A cursor from another sort order is refused rather than silently misread.
 */
export function encodeCursor(sort: SortKey, desc: boolean, keyset: Keyset): string {
  return Buffer.from(JSON.stringify([sort, desc ? 1 : 0, keyset.value, keyset.id])).toString('base64url');
}

const badCursor = () => new InvalidFieldError('query.cursor', 'is not a cursor of this list and sort order');

export function decodeCursor(cursor: string | undefined, sort: SortKey, desc: boolean): Keyset | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw badCursor();
  const [s, d, value, id] = parsed as unknown[];
  if (s !== sort || d !== (desc ? 1 : 0) || typeof value !== 'string' || typeof id !== 'string' || !UUID.test(id)) {
    throw badCursor();
  }
  if ((sort === 'rarity' || sort === 'price') && !/^-?\d{1,19}$/.test(value)) throw badCursor();
  return { value, id };
}
