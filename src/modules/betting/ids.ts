import { createHash } from 'node:crypto';

/**
 * The ledger transfer id of one money movement of one bet in one settlement round: the same bet,
 * round and purpose always give the same id, so a repeated or concurrent job cannot pay twice (the
 * ledger refuses a second transfer with an existing id).
 */
export function movementId(...parts: readonly (string | number)[]): string {
  const h = createHash('sha256').update(parts.join('|')).digest('hex');
  // Shaped as a UUID version 8 (custom), variant 10xx.
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
