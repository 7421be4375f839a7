import { describe, expect, it } from 'vitest';
import { InvalidCursorError, decodeCursor, decodeIdCursor, encodeCursor, encodeIdCursor, pageById } from './cursor.ts';

const ID = '01890a5d-ac96-774b-bcce-b302099a8057';

describe('page cursors', () => {
  it('round-trips a keyset through an opaque url-safe string', () => {
    const cursor = encodeCursor(['price', 1, '250', ID]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, (raw) => raw)).toEqual(['price', 1, '250', ID]);
    expect(decodeIdCursor(encodeIdCursor(ID))).toBe(ID);
    expect(decodeIdCursor(undefined)).toBeUndefined();
  });

  it('refuses garbage and foreign cursors with a 400 naming query.cursor', () => {
    const bad = ['%%%', 'bm90IGpzb24', encodeCursor({ id: ID }), encodeCursor(['not-a-uuid']), encodeCursor([ID, ID])];
    for (const cursor of bad) {
      let caught: unknown;
      try {
        decodeIdCursor(cursor);
      } catch (err) {
        caught = err;
      }
      expect(caught, cursor).toBeInstanceOf(InvalidCursorError);
      expect(caught).toMatchObject({
        status: 400,
        code: 'validation_failed',
        extra: { errors: [{ field: 'query.cursor' }] },
      });
    }
  });

  it('pages rows and points the next cursor at the last row shown', () => {
    const rows = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    expect(pageById(rows, 2, (r) => r.id)).toEqual({ items: ['a', 'b'], nextCursor: encodeIdCursor('b') });
    expect(pageById(rows, 3, (r) => r.id)).toEqual({ items: ['a', 'b', 'c'], nextCursor: null });
  });
});
