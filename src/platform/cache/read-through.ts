import type { Cache } from './cache.ts';

export interface ReadThroughOptions {
  /** How long a loaded value stays (default: the cache's own TTL). */
  ttlMs?: number;
  /** Told whether each read was served from the cache. */
  onLookup?: (result: 'hit' | 'miss') => void;
  /** Told when the cache could not be read or written; the read is then served from `load`. */
  onError?: (err: unknown, operation: 'get' | 'set', key: string) => void;
}

/**
 * The one read-through cache: the cached value of `key`, or `load()`'s, stored for the TTL. A cache
 * outage never fails the read; it falls back to `load` and reports the error.
 */
export async function readThrough<T>(
  cache: Cache,
  key: string,
  load: () => Promise<T>,
  opts: ReadThroughOptions = {},
): Promise<T> {
  let cached: T | undefined;
  try {
    cached = await cache.get<T>(key);
  } catch (err) {
    opts.onError?.(err, 'get', key);
  }
  if (cached !== undefined) {
    opts.onLookup?.('hit');
    return cached;
  }
  opts.onLookup?.('miss');
  const value = await load();
  try {
    await cache.set(key, value, opts.ttlMs);
  } catch (err) {
    opts.onError?.(err, 'set', key);
  }
  return value;
}
