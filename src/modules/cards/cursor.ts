import { InvalidCursorError, UUID_PATTERN, decodeCursor, encodeCursor } from '../../platform/http/cursor.ts';
import type { Keyset, SortKey } from './list-repo.ts';

/**
 * A catalogue cursor holds the sort it belongs to and the last row's sort value and id. A cursor
 * from another sort order is refused rather than silently misread.
 */
export function encodeListCursor(sort: SortKey, desc: boolean, keyset: Keyset): string {
  return encodeCursor([sort, desc ? 1 : 0, keyset.value, keyset.id]);
}

export function decodeListCursor(cursor: string | undefined, sort: SortKey, desc: boolean): Keyset | undefined {
  return decodeCursor(cursor, (raw) => {
    if (!Array.isArray(raw) || raw.length !== 4) return undefined;
    const [s, d, value, id] = raw as unknown[];
    if (s !== sort || d !== (desc ? 1 : 0)) {
      throw new InvalidCursorError('is not a cursor of this list and sort order');
    }
    if (typeof value !== 'string' || typeof id !== 'string' || !UUID_PATTERN.test(id)) return undefined;
    if ((sort === 'rarity' || sort === 'price') && !/^-?\d{1,19}$/.test(value)) return undefined;
    return { value, id };
  });
}
