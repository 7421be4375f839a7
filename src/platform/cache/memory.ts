import { LRUCache } from 'lru-cache';
import { normalizeTtl, type Cache } from './cache.ts';

/** In-process LRU: the default when no REDIS_URL is set. Values are stored as JSON copies. */
export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, string>;

  constructor(
    maxEntries = 10_000,
    private readonly defaultTtlMs = 60_000,
  ) {
    this.lru = new LRUCache({ max: maxEntries, ttl: defaultTtlMs, ttlAutopurge: false });
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = this.lru.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const raw = JSON.stringify(value);
    if (raw === undefined) {
      this.lru.delete(key);
      return;
    }
    this.lru.set(key, raw, { ttl: normalizeTtl(ttlMs, this.defaultTtlMs) });
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    for (const key of [...this.lru.keys()]) if (key.startsWith(prefix)) this.lru.delete(key);
  }

  async close(): Promise<void> {
    this.lru.clear();
  }
}
