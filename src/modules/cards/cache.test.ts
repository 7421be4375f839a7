import { describe, expect, it } from 'vitest';
import type { Cache } from '../../platform/cache/cache.ts';
import { cachedJson } from './cache.ts';

const unreachable: Cache = {
  get: () => Promise.reject(new Error('connection refused')),
  set: () => Promise.reject(new Error('connection refused')),
  delete: () => Promise.reject(new Error('connection refused')),
  deletePrefix: () => Promise.reject(new Error('connection refused')),
  close: async () => {},
};

describe('cached catalogue replies', () => {
  it('are served fresh while the cache is down', async () => {
    const reply = await cachedJson(unreachable, 'catalog:x', async () => ({ price: 5n }));
    expect(reply.body).toBe('{"price":5}');
    expect(reply.etag).toMatch(/^"[\w-]{27}"$/);
  });
});
