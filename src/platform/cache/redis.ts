import type { Redis } from 'ioredis';
import { normalizeTtl, type Cache } from './cache.ts';

/** Redis-backed cache shared by every API process; keys live under one prefix. */
export class RedisCache implements Cache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'cache:',
    private readonly defaultTtlMs = 60_000,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(this.prefix + key);
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw) as T;
    } catch {
      // Not written by this cache (or cut short): a miss, so the caller recomputes and overwrites it.
      return undefined;
    }
  }

  async set(key: string, value: unknown, ttlMs?: number): Promise<void> {
    const raw = JSON.stringify(value);
    if (raw === undefined) return this.delete(key);
    await this.redis.set(this.prefix + key, raw, 'PX', normalizeTtl(ttlMs, this.defaultTtlMs));
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async deletePrefix(prefix: string): Promise<void> {
    const pattern = `${escapeGlob(this.prefix + prefix)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await this.redis.unlink(...keys);
    } while (cursor !== '0');
  }

  /** The connection belongs to the runtime, which closes it. */
  async close(): Promise<void> {}
}

/** Redis MATCH patterns treat `* ? [ ] \` specially (and `^ -` inside brackets): escape them all. */
const escapeGlob = (s: string) => s.replace(/[*?[\]\\^-]/g, (c) => `\\${c}`);
