import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../../test/helpers/db.ts';
import { within } from '../../../test/helpers/ws.ts';
import { withTransaction } from '../db/tx.ts';
import { EventRegistry, OutboxDispatcher } from './dispatcher.ts';
import { listenForOutboxCommits } from './listener.ts';
import { onEventsCommitted, recordEvent, type DomainEvent } from './outbox.ts';

let database: TestDatabase;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await database.destroy();
});

/** A started dispatcher that would poll only once a minute: anything sooner came from a wake-up. */
function slowPoller(registry: EventRegistry) {
  const d = new OutboxDispatcher({ db: database.db, registry, logger, pollMs: 60_000, maxAttempts: 3 });
  d.start();
  return d;
}

function collect(registry: EventRegistry, type: string) {
  const seen: DomainEvent[] = [];
  const waiters: (() => void)[] = [];
  registry.on(type, 'collect', async (e) => {
    seen.push(e);
    for (const w of waiters.splice(0)) w();
  });
  const next = () => within(new Promise<void>((resolve) => waiters.push(resolve)), `a ${type} event`, 3000);
  return { seen, next };
}

const event = (type: string, n: number) => ({ type, aggregateType: 'wake', aggregateId: type, payload: { n } });

describe('delivery on commit', () => {
  it('a commit that recorded events wakes the dispatcher at once; a rolled-back one publishes nothing', async () => {
    const registry = new EventRegistry();
    const { seen, next } = collect(registry, 'wake.local');
    const d = slowPoller(registry);
    const forget = onEventsCommitted(() => d.nudge());
    try {
      // Let the first (start-up) round find nothing and go to sleep for a minute.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = performance.now();
      const delivered = next();
      await withTransaction(database.db, (tx) => recordEvent(tx, event('wake.local', 1)));
      await delivered;
      expect(performance.now() - started).toBeLessThan(2000);

      await expect(
        withTransaction(database.db, async (tx) => {
          await recordEvent(tx, event('wake.local', 2));
          throw new Error('changed my mind');
        }),
      ).rejects.toThrow('changed my mind');
      // A later commit's wake-up runs a round: it delivers the third event, never the second.
      const third = next();
      await withTransaction(database.db, (tx) => recordEvent(tx, event('wake.local', 3)));
      await third;
      while ((await d.runOnce()) > 0);
      expect(seen.map((e) => (e.payload as { n: number }).n)).toEqual([1, 3]);
      expect(seen.every((e) => typeof e.seq === 'bigint')).toBe(true);
    } finally {
      forget();
      await d.stop();
    }
  });

  it('a commit during a delivery round is delivered right after it, not at the next poll', async () => {
    const registry = new EventRegistry();
    const { seen, next } = collect(registry, 'wake.during');
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    registry.on('wake.during', 'slow', async (e) => {
      if ((e.payload as { n: number }).n === 1) await gate;
    });
    const d = slowPoller(registry);
    const forget = onEventsCommitted(() => d.nudge());
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await withTransaction(database.db, (tx) => recordEvent(tx, event('wake.during', 1)));
      await next();
      // The first event's round is still running (held by the gate) when the second commits.
      await withTransaction(database.db, (tx) =>
        recordEvent(tx, { ...event('wake.during', 2), aggregateId: 'another' }),
      );
      release();
      await next();
      expect(seen.map((e) => (e.payload as { n: number }).n)).toEqual([1, 2]);
    } finally {
      forget();
      await d.stop();
    }
  });

  it.skipIf(!onPostgres)('a commit in another process wakes this one through LISTEN/NOTIFY', async () => {
    const registry = new EventRegistry();
    const { seen, next } = collect(registry, 'wake.remote');
    const d = slowPoller(registry);
    // Only the notification wakes this dispatcher (no in-process signal is wired to it).
    const stop = listenForOutboxCommits({ url: database.url, logger, onCommit: () => d.nudge() });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const delivered = next();
      await withTransaction(database.db, (tx) => recordEvent(tx, event('wake.remote', 1)));
      await delivered;
      expect(seen.map((e) => (e.payload as { n: number }).n)).toEqual([1]);
    } finally {
      await stop();
      await d.stop();
    }
  });
});
