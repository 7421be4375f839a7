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

/**
 * A view of `cache` whose keys all start with `prefix`: a module's keys, scoped to its database, so
 * several databases behind one Redis (test runs, side-by-side installs) never read each other's data.
 */
export function scopedCache(cache: Cache, prefix: string): Cache {
  return {
    get: (key) => cache.get(prefix + key),
    set: (key, value, ttlMs) => cache.set(prefix + key, value, ttlMs),
    delete: (key) => cache.delete(prefix + key),
    deletePrefix: (p) => cache.deletePrefix(prefix + p),
    close: async () => {},
  };
}
