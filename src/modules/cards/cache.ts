import { createHash } from 'node:crypto';
import { scopedCache as scopeKeys, type Cache } from '../../platform/cache/cache.ts';
import { readThrough } from '../../platform/cache/read-through.ts';

/** Every cached catalogue read lives under this prefix; admin changes drop the whole family. */
export const CATALOG_PREFIX = 'catalog:';
export const PACKS_PREFIX = `${CATALOG_PREFIX}packs:`;
const TTL_MS = 60_000;

/** A response body ready to send, with its entity tag. */
export interface CachedJson {
  body: string;
  etag: string;
}

export const etagOf = (body: string | Buffer) =>
  `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;

/**
 * JSON as the response schema would write it: bigint quantities become plain integers. They stay
 * far below 2^53 here (prices, print runs, supplies); a larger one is refused rather than rounded.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new RangeError('integer too large for a cached JSON body');
    }
    return Number(v);
  });
}

/** A body that is not cached, in the same shape as a cached one. */
export function freshJson(value: unknown): CachedJson {
  const body = toJson(value);
  return { body, etag: etagOf(body) };
}

/** Reads a cached body or produces, stores (for `ttlMs`) and returns it; a cache outage serves it fresh. */
export function cachedJson(
  cache: Cache,
  key: string,
  produce: () => Promise<unknown>,
  ttlMs = TTL_MS,
): Promise<CachedJson> {
  return readThrough(cache, key, async () => freshJson(await produce()), { ttlMs });
}

export const invalidateCatalog = (cache: Cache) => cache.deletePrefix(CATALOG_PREFIX);
export const invalidatePacks = (cache: Cache) => cache.deletePrefix(PACKS_PREFIX);

/** A stable cache key for a query object (key order does not matter). */
export function queryKey(prefix: string, query: Record<string, unknown>): string {
  const parts = Object.keys(query)
    .filter((k) => query[k] !== undefined)
    .sort()
    .map((k) => `${k}=${JSON.stringify(query[k])}`);
  return `${prefix}${createHash('sha256').update(parts.join('&')).digest('base64url')}`;
}

/** The module's view of the shared cache: its keys carry the module and database name. */
export const scopedCache = (cache: Cache, scope: string): Cache => scopeKeys(cache, `cards:${scope}:`);
