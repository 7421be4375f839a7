import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../../../test/helpers/db.ts';
import type { Cache } from './cache.ts';
import { MemoryCache } from './memory.ts';
import { RedisCache } from './redis.ts';

let redis: Redis | undefined;
const connection = () => (redis ??= new Redis(REDIS_URL ?? '', { maxRetriesPerRequest: 1 }));

interface Implementation {
  name: string;
  enabled: boolean;
  create(opts?: { defaultTtlMs?: number }): Cache;
}

const implementations: Implementation[] = [
  { name: 'MemoryCache', enabled: true, create: (opts) => new MemoryCache(10_000, opts?.defaultTtlMs) },
  {
    name: 'RedisCache',
    enabled: Boolean(REDIS_URL),
    // A fresh namespace per cache keeps parallel test files (and other test apps) apart.
    create: (opts) => new RedisCache(connection(), `test:cache:${randomUUID()}:`, opts?.defaultTtlMs),
  },
];

const opened: Cache[] = [];

afterEach(async () => {
  for (const cache of opened.splice(0)) {
    await cache.deletePrefix('');
    await cache.close();
  }
});

afterAll(async () => {
  await redis?.quit();
});

/** Polls until `key` is gone; fails after `ms`. Expiry is the server's clock, so it is waited for. */
async function expectExpires(cache: Cache, key: string, ms = 5_000) {
  const deadline = Date.now() + ms;
  while ((await cache.get(key)) !== undefined) {
    if (Date.now() > deadline) throw new Error(`${key} did not expire within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(implementations)('$name', ({ enabled, create }) => {
  const make = (opts?: { defaultTtlMs?: number }) => {
    const cache = create(opts);
    opened.push(cache);
    return cache;
  };

  it.skipIf(!enabled)('gets, sets, overwrites and deletes', async () => {
    const cache = make();
    expect(await cache.get('missing')).toBeUndefined();
    await cache.set('card:1', { name: 'Ember Drake' });
    expect(await cache.get('card:1')).toEqual({ name: 'Ember Drake' });
    await cache.set('card:1', { name: 'Ember Drake', holo: true });
    expect(await cache.get('card:1')).toEqual({ name: 'Ember Drake', holo: true });
    await cache.delete('card:1');
    expect(await cache.get('card:1')).toBeUndefined();
    await expect(cache.delete('card:1')).resolves.toBeUndefined();
  });

  it.skipIf(!enabled)('keeps falsy values apart from a miss; storing undefined removes the key', async () => {
    const cache = make();
    const values: [string, unknown][] = [
      ['zero', 0],
      ['empty', ''],
      ['no', false],
      ['nothing', null],
      ['list', []],
    ];
    for (const [key, value] of values) await cache.set(key, value);
    for (const [key, value] of values) expect(await cache.get(key)).toEqual(value);
    await cache.set('zero', undefined);
    expect(await cache.get('zero')).toBeUndefined();
  });

  it.skipIf(!enabled)('returns JSON copies: neither the caller nor a reader can change what is cached', async () => {
    const cache = make();
    const original = { id: 'c1', tags: ['holo'], at: new Date('2024-01-02T03:04:05.000Z'), skipped: undefined };
    await cache.set('card', original);
    original.tags.push('changed after set');

    const first = await cache.get<{ id: string; tags: string[]; at: string }>('card');
    expect(first).toEqual({ id: 'c1', tags: ['holo'], at: '2024-01-02T03:04:05.000Z' });
    first?.tags.push('changed by a reader');
    if (first) first.id = 'mutated';

    expect(await cache.get('card')).toEqual({ id: 'c1', tags: ['holo'], at: '2024-01-02T03:04:05.000Z' });
    expect(await cache.get('card')).not.toBe(await cache.get('card'));
  });

  it.skipIf(!enabled)('refuses values JSON cannot carry and keeps the previous one', async () => {
    const cache = make();
    await cache.set('balance', 100);
    await expect(cache.set('balance', 5n)).rejects.toThrow(TypeError);
    expect(await cache.get('balance')).toBe(100);
  });

  it.skipIf(!enabled)('expires a key after its own TTL while others stay', async () => {
    const cache = make();
    await cache.set('short', 'soon gone', 400);
    await cache.set('long', 'stays', 60_000);
    expect(await cache.get('short')).toBe('soon gone');
    await expectExpires(cache, 'short');
    expect(await cache.get('long')).toBe('stays');
  });

  it.skipIf(!enabled)('applies the default TTL to keys set without one', async () => {
    const cache = make({ defaultTtlMs: 400 });
    await cache.set('k', 1);
    expect(await cache.get('k')).toBe(1);
    await expectExpires(cache, 'k');
  });

  it.skipIf(!enabled)('accepts a fractional TTL (rounded up to a whole millisecond)', async () => {
    const cache = make();
    await cache.set('fractional', 2, 0.5);
    await expectExpires(cache, 'fractional');
  });

  it.skipIf(!enabled)('refuses a TTL that is not a positive number', async () => {
    const cache = make();
    await expect(cache.set('k', 1, 0)).rejects.toThrow(RangeError);
    await expect(cache.set('k', 1, -5)).rejects.toThrow(RangeError);
    expect(await cache.get('k')).toBeUndefined();
  });

  it.skipIf(!enabled)('deletePrefix removes exactly the keys starting with the prefix', async () => {
    const cache = make();
    const keys = ['user:1', 'user:10', 'user:1:profile', 'user:2', 'users', 'other:user:1'];
    for (const key of keys) await cache.set(key, key);
    await cache.deletePrefix('user:1');
    const left = [];
    for (const key of keys) if ((await cache.get(key)) !== undefined) left.push(key);
    expect(left).toEqual(['user:2', 'users', 'other:user:1']);
  });

  it.skipIf(!enabled)('deletePrefix treats glob characters in the prefix literally', async () => {
    const cache = make();
    const keys = ['a*', 'a*b', 'ab', 'a?c', 'abc', 'a[1]x', 'a1x', 'a\\b', 'a\\*', 'a^b', 'a-b'];
    for (const key of keys) await cache.set(key, key);
    const remaining = async () => {
      const out = [];
      for (const key of keys) if ((await cache.get(key)) !== undefined) out.push(key);
      return out;
    };
    await cache.deletePrefix('a*');
    expect(await remaining()).toEqual(['ab', 'a?c', 'abc', 'a[1]x', 'a1x', 'a\\b', 'a\\*', 'a^b', 'a-b']);
    await cache.deletePrefix('a?');
    expect(await remaining()).toEqual(['ab', 'abc', 'a[1]x', 'a1x', 'a\\b', 'a\\*', 'a^b', 'a-b']);
    await cache.deletePrefix('a[1]');
    expect(await remaining()).toEqual(['ab', 'abc', 'a1x', 'a\\b', 'a\\*', 'a^b', 'a-b']);
    await cache.deletePrefix('a\\');
    expect(await remaining()).toEqual(['ab', 'abc', 'a1x', 'a^b', 'a-b']);
    await cache.deletePrefix('a^');
    expect(await remaining()).toEqual(['ab', 'abc', 'a1x', 'a-b']);
  });

  it.skipIf(!enabled)('deletePrefix reaches every matching key of a large family', async () => {
    const cache = make();
    await Promise.all(Array.from({ length: 1_200 }, (_, i) => cache.set(`book:${i}`, i)));
    await cache.set('bookmark', 'kept');
    await cache.deletePrefix('book:');
    const found = await Promise.all(Array.from({ length: 1_200 }, (_, i) => cache.get(`book:${i}`)));
    expect(found.filter((v) => v !== undefined)).toEqual([]);
    expect(await cache.get('bookmark')).toBe('kept');
  });

  it.skipIf(!enabled)('keeps separate caches apart, even for deletePrefix("")', async () => {
    const one = make();
    const two = make();
    await one.set('k', 'one');
    await two.set('k', 'two');
    await one.deletePrefix('');
    expect(await one.get('k')).toBeUndefined();
    expect(await two.get('k')).toBe('two');
  });
});

describe('MemoryCache', () => {
  it('evicts the least recently used entry once full', async () => {
    const cache = new MemoryCache(2);
    await cache.set('a', 1);
    await cache.set('b', 2);
    await cache.get('a');
    await cache.set('c', 3);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.get('c')).toBe(3);
  });
});
