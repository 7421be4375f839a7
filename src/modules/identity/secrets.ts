import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A 256-bit random value, URL-safe: refresh tokens, email links, CSRF tokens. */
export const newOpaqueToken = () => randomBytes(32).toString('base64url');

/** How opaque tokens are stored and looked up: SHA-256, hex. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Constant-time string equality for secrets. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
