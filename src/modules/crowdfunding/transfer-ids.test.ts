import { describe, expect, it } from 'vitest';
import { UUID_PATTERN } from '../../platform/http/cursor.ts';
import { movementId } from './transfer-ids.ts';

describe('movementId', () => {
  const pledge = '01890000-0000-7000-8000-0000000000ab';

  it('is a valid UUID, the same for the same movement whatever the case of the id', () => {
    const id = movementId(pledge, 'refund');
    expect(id).toMatch(UUID_PATTERN);
    expect(id[14]).toBe('8');
    expect('89ab').toContain(id[19]);
    expect(movementId(pledge.toUpperCase(), 'refund')).toBe(id);
  });

  it('differs between movements and between subjects', () => {
    const ids = new Set([
      movementId(pledge, 'refund'),
      movementId(pledge, 'reward'),
      movementId(pledge, 'cancel'),
      movementId('01890000-0000-7000-8000-0000000000ac', 'refund'),
    ]);
    expect(ids.size).toBe(4);
  });
});
