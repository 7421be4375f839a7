import { createHash } from 'node:crypto';

/**
 * Ledger transfer ids derived from what they pay: an achievement's reward for a user, a user's
 * check-in on a day. A second attempt at the same payment gets the same id and the ledger's unique
 * key refuses it (`transfer_exists`), so nothing is ever paid twice, whatever the event order.
 */
export function payoutId(userId: string, source: string): string {
  const h = createHash('sha256').update(`rewards:${userId.toLowerCase()}:${source}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const achievementSource = (code: string) => `achievement:${code}`;
export const checkinSource = (day: string) => `checkin:${day}`;
