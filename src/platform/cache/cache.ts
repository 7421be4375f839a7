/**
 * A small key/value cache for JSON-serialisable values, in process or in Redis. Both keep JSON
 * copies, so a value read back is never the object that was stored, and behave the same way.
 */
export interface Cache {
  get<T>(key: string): Promise<T | undefined>;
  /**
   * Stores `value` for `ttlMs` (default: the cache's own TTL; fractions round up). Storing
   * `undefined` removes the key; a value JSON cannot carry (a bigint) is refused with a TypeError.
   */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Drops every key starting with `prefix` (used to invalidate a family of reads at once). */
  deletePrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** A TTL both stores accept: a whole number of milliseconds, at least 1. */
export function normalizeTtl(ttlMs: number | undefined, defaultTtlMs: number): number {
  const ttl = ttlMs ?? defaultTtlMs;
  if (!Number.isFinite(ttl) || ttl <= 0) {
    throw new RangeError(`A cache TTL must be a positive number of ms, got ${ttl}`);
  }
  return Math.ceil(ttl);
}
