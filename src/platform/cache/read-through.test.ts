import { describe, expect, it } from 'vitest';
import type { Cache } from './cache.ts';
import { MemoryCache } from './memory.ts';
import { readThrough } from './read-through.ts';

/** A cache whose server is gone: every call fails, as ioredis does once its retries are spent. */
const unreachable: Cache = {
  get: () => Promise.reject(new Error('connection refused')),
  set: () => Promise.reject(new Error('connection refused')),
  delete: () => Promise.reject(new Error('connection refused')),
  deletePrefix: () => Promise.reject(new Error('connection refused')),
  close: async () => {},
};

describe('readThrough', () => {
  it('loads once, then serves the stored value until it expires', async () => {
    const cache = new MemoryCache();
    const lookups: string[] = [];
    let loads = 0;
    const read = () =>
      readThrough(cache, 'k', async () => ({ n: ++loads }), { ttlMs: 1_000, onLookup: (r) => lookups.push(r) });
    expect(await read()).toEqual({ n: 1 });
    expect(await read()).toEqual({ n: 1 });
    expect(lookups).toEqual(['miss', 'hit']);
    await cache.close();
  });

  it('serves every read from the source while the cache is down, and reports each failure', async () => {
    const errors: string[] = [];
    let loads = 0;
    const read = () =>
      readThrough(unreachable, 'k', async () => ++loads, { onError: (_err, op, key) => errors.push(`${op} ${key}`) });
    expect(await read()).toBe(1);
    expect(await read()).toBe(2);
    expect(errors).toEqual(['get k', 'set k', 'get k', 'set k']);
  });

  it("never hides the source's own failure", async () => {
    await expect(readThrough(unreachable, 'k', () => Promise.reject(new Error('database down')))).rejects.toThrow(
      'database down',
    );
  });
});
