import { createHash } from 'node:crypto';

/*
 * Ledger transfer ids derived from what they settle: the refund of a pledge, the reward delivered
 * for it, a campaign's payout. A second attempt at the same movement gets the same id, and the
 * ledger's unique key refuses it (`transfer_exists`), so even a path that skipped the state checks
 * could not move the value twice.
 */

export type Movement = 'refund' | 'reward' | 'cancel' | 'payout' | 'return';

/** A UUID (version 8, name-based) from the subject's id and the movement. */
export function movementId(subjectId: string, movement: Movement): string {
  const h = createHash('sha256').update(`crowdfunding:${movement}:${subjectId.toLowerCase()}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
