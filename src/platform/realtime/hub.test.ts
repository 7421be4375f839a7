import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REDIS_URL } from '../../../test/helpers/db.ts';
import { within } from '../../../test/helpers/ws.ts';
import type { HubOptions, RealtimeHub, RealtimeListener } from './hub.ts';
import { MemoryHub } from './memory.ts';
import { RedisHub } from './redis.ts';

/** A listener that records what it receives and can be awaited until it has `n` messages. */
function recorder() {
  const messages: [string, unknown][] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const listener: RealtimeListener = (channel, message) => {
    messages.push([channel, message]);
    for (const w of waiters.filter((w) => messages.length >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const until = (n: number) =>
    within(
      new Promise<void>((resolve) => (messages.length >= n ? resolve() : waiters.push({ n, resolve }))),
      `${n} message(s)`,
    );
  const data = () => messages.map(([, message]) => message);
  return { messages, listener, until, data };
}

interface Implementation {
  name: string;
  enabled: boolean;
  /** Hubs made with the same `namespace` talk to each other (one per process in production). */
  create(namespace: string, options?: HubOptions): RealtimeHub;
}

const implementations: Implementation[] = [
  { name: 'MemoryHub', enabled: true, create: (_namespace, options) => new MemoryHub(options) },
  {
    name: 'RedisHub',
    enabled: Boolean(REDIS_URL),
    create: (namespace, options) => new RedisHub(REDIS_URL ?? '', namespace, options),
  },
];

const opened: RealtimeHub[] = [];
afterEach(async () => {
  for (const hub of opened.splice(0)) await hub.close();
});

describe.each(implementations)('$name', ({ enabled, create }) => {
  // A namespace per test keeps parallel test files on one Redis apart.
  let namespace = '';
  const make = (options?: HubOptions) => {
    const hub = create(namespace, options);
    opened.push(hub);
    return hub;
  };
  const test = it.skipIf(!enabled);
  beforeEach(() => {
    namespace = `test:rt:${randomUUID()}:`;
  });

  test('delivers a message to every subscriber of its channel and to no other channel', async () => {
    const hub = make();
    const [a1, a2, b] = [recorder(), recorder(), recorder()];
    await hub.subscribe('market.a', a1.listener);
    await hub.subscribe('market.a', a2.listener);
    await hub.subscribe('market.b', b.listener);
    await hub.publish('market.a', { n: 1 });
    await hub.publish('market.b', { n: 2 });
    await Promise.all([a1.until(1), a2.until(1), b.until(1)]);
    expect(a1.messages).toEqual([['market.a', { n: 1 }]]);
    expect(a2.messages).toEqual([['market.a', { n: 1 }]]);
    expect(b.messages).toEqual([['market.b', { n: 2 }]]);
  });

  test('delivers a message published as soon as concurrent subscribes resolve', async () => {
    const hub = make();
    const [r1, r2] = [recorder(), recorder()];
    await Promise.all([hub.subscribe('c', r1.listener), hub.subscribe('c', r2.listener)]);
    await hub.publish('c', 'first');
    await Promise.all([r1.until(1), r2.until(1)]);
    expect([r1.data(), r2.data()]).toEqual([['first'], ['first']]);
  });

  test('unsubscribe stops delivery to that subscriber only', async () => {
    const hub = make();
    const [gone, stays] = [recorder(), recorder()];
    const off = await hub.subscribe('c', gone.listener);
    await hub.subscribe('c', stays.listener);
    await off();
    await hub.publish('c', 'after');
    await stays.until(1);
    expect(gone.messages).toEqual([]);
  });

  test('ending a subscription twice is harmless and never ends a later one', async () => {
    const hub = make();
    const [early, late] = [recorder(), recorder()];
    const offEarly = await hub.subscribe('c', early.listener);
    await offEarly();
    await hub.subscribe('c', late.listener);
    await offEarly();
    await hub.publish('c', 'still here');
    await late.until(1);
    expect(late.data()).toEqual(['still here']);
  });

  test('each subscription of the same listener is its own', async () => {
    const hub = make();
    const r = recorder();
    const off1 = await hub.subscribe('c', r.listener);
    const off2 = await hub.subscribe('c', r.listener);
    await hub.publish('c', 1);
    await r.until(2);
    await off1();
    await hub.publish('c', 2);
    await r.until(3);
    await off2();
    const marker = recorder();
    await hub.subscribe('c', marker.listener);
    await hub.publish('c', 3);
    await marker.until(1);
    expect(r.data()).toEqual([1, 1, 2]);
  });

  test('a listener that throws is reported and does not stop delivery to the others', async () => {
    const errors: [unknown, string | undefined][] = [];
    const hub = make({ onError: (err, channel) => errors.push([err, channel]) });
    const after = recorder();
    await hub.subscribe('c', () => {
      throw new Error('listener bug');
    });
    await hub.subscribe('c', after.listener);
    await expect(hub.publish('c', 'x')).resolves.toBeUndefined();
    await after.until(1);
    expect(errors).toEqual([[new Error('listener bug'), 'c']]);
  });

  test('delivers messages in the order they were published', async () => {
    const hub = make();
    const r = recorder();
    await hub.subscribe('c', r.listener);
    const sent = Array.from({ length: 200 }, (_, i) => i);
    await Promise.all(sent.map((i) => hub.publish('c', i)));
    await r.until(sent.length);
    expect(r.data()).toEqual(sent);
  });

  test('a message published from inside a listener reaches everyone after the current one', async () => {
    const hub = make();
    const [first, second] = [recorder(), recorder()];
    await hub.subscribe('c', (channel, message) => {
      first.listener(channel, message);
      if (message === 'outer') void hub.publish('c', 'inner');
    });
    await hub.subscribe('c', second.listener);
    await hub.publish('c', 'outer');
    await Promise.all([first.until(2), second.until(2)]);
    expect(first.data()).toEqual(['outer', 'inner']);
    expect(second.data()).toEqual(['outer', 'inner']);
  });

  test('delivers the JSON form of a message, untouched by later changes of the publisher', async () => {
    const hub = make();
    const r = recorder();
    await hub.subscribe('c', r.listener);
    const message = { price: 125, at: new Date('2024-05-06T07:08:09.000Z'), note: undefined, tags: ['a'] };
    const published = hub.publish('c', message);
    message.tags.push('changed');
    message.price = 0;
    await published;
    await hub.publish('c', undefined);
    await r.until(2);
    expect(r.data()).toEqual([{ price: 125, at: '2024-05-06T07:08:09.000Z', tags: ['a'] }, null]);
  });

  test('refuses a message JSON cannot carry', async () => {
    const hub = make();
    const r = recorder();
    await hub.subscribe('c', r.listener);
    await expect(hub.publish('c', { amount: 10n })).rejects.toThrow(TypeError);
    await hub.publish('c', 'next');
    await r.until(1);
    expect(r.data()).toEqual(['next']);
  });

  test('a subscription ended while the hub closes settles quietly', async () => {
    const hub = make();
    const off = await hub.subscribe('c', () => undefined);
    const ending = off();
    await hub.close();
    await expect(ending).resolves.toBeUndefined();
    await expect(off()).resolves.toBeUndefined();
  });
});

describe.skipIf(!REDIS_URL)('RedisHub across processes', () => {
  const namespace = () => `test:rt:${randomUUID()}:`;
  const make = (ns: string, options?: HubOptions) => {
    const hub = new RedisHub(REDIS_URL ?? '', ns, options);
    opened.push(hub);
    return hub;
  };
  const withRedis = async <T>(fn: (redis: Redis) => Promise<T>) => {
    const redis = new Redis(REDIS_URL ?? '');
    try {
      return await fn(redis);
    } finally {
      redis.disconnect();
    }
  };

  it('a message published by one process reaches subscribers in every process', async () => {
    const ns = namespace();
    const [one, two] = [make(ns), make(ns)];
    const [onOne, onTwo, otherChannel] = [recorder(), recorder(), recorder()];
    await one.subscribe('user.1', onOne.listener);
    await two.subscribe('user.1', onTwo.listener);
    await two.subscribe('user.2', otherChannel.listener);
    await one.publish('user.1', { fill: 1 });
    await one.publish('user.2', { fill: 2 });
    await Promise.all([onOne.until(1), onTwo.until(1), otherChannel.until(1)]);
    expect(onTwo.messages).toEqual([['user.1', { fill: 1 }]]);
    expect(otherChannel.messages).toEqual([['user.2', { fill: 2 }]]);
  });

  it('keeps hubs with different prefixes apart', async () => {
    const [one, other] = [make(namespace()), make(namespace())];
    const [mine, theirs] = [recorder(), recorder()];
    await one.subscribe('c', mine.listener);
    await other.subscribe('c', theirs.listener);
    await other.publish('c', 'theirs');
    await one.publish('c', 'mine');
    await Promise.all([mine.until(1), theirs.until(1)]);
    expect(mine.data()).toEqual(['mine']);
  });

  it('drops a malformed payload, reports it, and keeps delivering', async () => {
    const ns = namespace();
    const errors: (string | undefined)[] = [];
    const hub = make(ns, { onError: (_err, channel) => errors.push(channel) });
    const r = recorder();
    await hub.subscribe('c', r.listener);
    await withRedis((redis) => redis.publish(`${ns}c`, '{not json'));
    await hub.publish('c', 'valid');
    await r.until(1);
    expect(r.data()).toEqual(['valid']);
    expect(errors).toEqual(['c']);
  });

  it('leaves the Redis channel once its last local subscriber is gone, and can rejoin at once', async () => {
    const ns = namespace();
    const hub = make(ns);
    const numsub = () =>
      withRedis(async (redis) => Number((await redis.pubsub('NUMSUB', `${ns}c`))[1] as string | number));
    const offA = await hub.subscribe('c', () => undefined);
    const offB = await hub.subscribe('c', () => undefined);
    expect(await numsub()).toBe(1);
    await offA();
    expect(await numsub()).toBe(1);
    await offB();
    expect(await numsub()).toBe(0);

    const r = recorder();
    const offC = await hub.subscribe('c', () => undefined);
    const leaving = offC();
    await hub.subscribe('c', r.listener);
    await leaving;
    await hub.publish('c', 'back');
    await r.until(1);
    expect(await numsub()).toBe(1);
  });
});
