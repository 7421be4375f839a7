import { ValidationError } from './errors.ts';

/**
 * Page cursors are opaque to callers: base64url JSON of whatever keyset a list pages by. Every
 * list decodes through here, so a tampered or foreign cursor is always the same 400 naming
 * `query.cursor`, never a 500 or a silently different page.
 */

const FIELD = 'query.cursor';

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class InvalidCursorError extends ValidationError {
  constructor(message = 'is not a cursor from a previous page of this list') {
    super(`Invalid request: ${FIELD}`, [{ field: FIELD, message }]);
  }
}

export function encodeCursor(keyset: unknown): string {
  return Buffer.from(JSON.stringify(keyset)).toString('base64url');
}

/**
 * Reads a cursor back. `read` checks the decoded JSON and returns the keyset, or undefined when
 * it has the wrong shape.
 */
export function decodeCursor<T>(cursor: string | undefined, read: (raw: unknown) => T | undefined): T | undefined {
  if (cursor === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  const keyset = read(raw);
  if (keyset === undefined) throw new InvalidCursorError();
  return keyset;
}

/** Lists paged by a time-ordered id: the cursor holds the last id of the page. */
export const encodeIdCursor = (id: string): string => encodeCursor([id]);

export function decodeIdCursor(cursor: string | undefined): string | undefined {
  return decodeCursor(cursor, (raw) =>
    Array.isArray(raw) && raw.length === 1 && typeof raw[0] === 'string' && UUID_PATTERN.test(raw[0])
      ? raw[0]
      : undefined,
  );
}

/** Splits `limit + 1` rows, newest id first, into one page and the cursor of the next. */
export function pageById<T extends { id: string }, V>(rows: T[], limit: number, view: (row: T) => V) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(view), nextCursor: rows.length > limit && last ? encodeIdCursor(last.id) : null };
}
