import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { withTransaction } from '../db/tx.ts';
import { EventRegistry, OutboxDispatcher } from './dispatcher.ts';
import {
  listParked,
  outboxStats,
  purgeDelivered,
  recordEvent,
  recordEvents,
  replayParked,
  type DomainEvent,
} from './outbox.ts';

const logger = pino({ level: 'silent' });
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.destroy();
});
beforeEach(async () => {
  await database.db.execute(sql`DELETE FROM platform_outbox_events`);
});

function dispatcher(registry: EventRegistry, maxAttempts = 3) {
  return new OutboxDispatcher({
    db: database.db,
    registry,
    logger,
    pollMs: 20,
    maxAttempts,
    backoffMs: () => 0,
  });
}

async function statusOf(id: string) {
  const r = await database.db.execute<{ status: string; attempts: number; last_error: string | null }>(
    sql`SELECT status, attempts, last_error FROM platform_outbox_events WHERE id = ${id}`,
  );
  return r.rows[0];
}

describe('transactional outbox', () => {
  it('delivers an event once its transaction commits', async () => {
    const seen: DomainEvent[] = [];
    const registry = new EventRegistry();
    registry.on('card.minted', 'collector', async (e) => {
      seen.push(e);
    });
    const id = await withTransaction(database.db, (tx) =>
      recordEvent(tx, { type: 'card.minted', aggregateType: 'card', aggregateId: 'c1', payload: { qty: 3 } }),
    );
    expect(await dispatcher(registry).runOnce()).toBe(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id, type: 'card.minted', aggregateId: 'c1', payload: { qty: 3 }, attempt: 1 });
    expect((await statusOf(id))?.status).toBe('delivered');
    expect(await dispatcher(registry).runOnce()).toBe(0);
  });

  it('never delivers an event whose transaction rolled back', async () => {
    const registry = new EventRegistry();
    let calls = 0;
    registry.on('card.minted', 'counter', async () => {
      calls++;
    });
    await expect(
      withTransaction(database.db, async (tx) => {
        await recordEvent(tx, { type: 'card.minted', aggregateType: 'card', aggregateId: 'c2', payload: {} });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await dispatcher(registry).runOnce()).toBe(0);
    expect(calls).toBe(0);
    expect((await outboxStats(database.db)).pending).toBe(0);
  });

  it('retries a failing handler, parks the event after the last attempt, and replays it on demand', async () => {
    const registry = new EventRegistry();
    let healthy = false;
    let calls = 0;
    registry.on('trade.settled', 'flaky', async () => {
      calls++;
      if (!healthy) throw new Error('mail server down');
    });
    const id = await recordEvent(database.db, {
      type: 'trade.settled',
      aggregateType: 'trade',
      aggregateId: 't1',
      payload: {},
    });
    const d = dispatcher(registry, 3);
    for (let i = 0; i < 5; i++) await d.runOnce();
    expect(calls).toBe(3);
    expect(await statusOf(id)).toMatchObject({ status: 'parked', attempts: 3, last_error: 'mail server down' });
    expect((await listParked(database.db)).map((p) => p.id)).toEqual([id]);
    expect((await outboxStats(database.db)).parked).toBe(1);

    healthy = true;
    expect(await replayParked(database.db, id)).toBe(true);
    expect(await replayParked(database.db, id)).toBe(false);
    await d.runOnce();
    expect((await statusOf(id))?.status).toBe('delivered');
    expect(calls).toBe(4);
  });

  it('on a retry runs only the handlers that failed, not the ones that already succeeded', async () => {
    const registry = new EventRegistry();
    const calls: string[] = [];
    let mailServerUp = false;
    registry.on('user.registered', 'push', async () => {
      calls.push('push');
    });
    registry.on('user.registered', 'mail', async () => {
      calls.push('mail');
      if (!mailServerUp) throw new Error('mail server down');
    });
    const id = await recordEvent(database.db, {
      type: 'user.registered',
      aggregateType: 'user',
      aggregateId: 'u1',
      payload: {},
    });
    const d = dispatcher(registry);
    await d.runOnce();
    mailServerUp = true;
    await d.runOnce();
    expect(calls).toEqual(['push', 'mail', 'mail']);
    expect((await statusOf(id))?.status).toBe('delivered');
  });

  it('waits for a failed event before delivering later events of the same aggregate', async () => {
    const registry = new EventRegistry();
    const delivered: string[] = [];
    let failOnce = true;
    registry.on('order.changed', 'log', async (e) => {
      const step = (e.payload as { step: string }).step;
      if (step === 'a1' && failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
      delivered.push(step);
    });
    await recordEvents(database.db, [
      { type: 'order.changed', aggregateType: 'order', aggregateId: 'A', payload: { step: 'a1' } },
      { type: 'order.changed', aggregateType: 'order', aggregateId: 'A', payload: { step: 'a2' } },
      { type: 'order.changed', aggregateType: 'order', aggregateId: 'B', payload: { step: 'b1' } },
      { type: 'order.changed', aggregateType: 'order', aggregateId: 'A', payload: { step: 'a3' } },
    ]);
    const d = dispatcher(registry);
    await d.runOnce();
    // a1 failed: b1 (another aggregate) goes ahead, a2 and a3 wait behind a1.
    expect(delivered).toEqual(['b1']);
    while ((await d.runOnce()) > 0);
    expect(delivered).toEqual(['b1', 'a1', 'a2', 'a3']);
  });

  it('two dispatchers working the same outbox deliver each event once, in order per aggregate', async () => {
    const registry = new EventRegistry();
    const perAggregate = new Map<string, number[]>();
    const ids: string[] = [];
    registry.on('tick', 'order-check', async (e) => {
      ids.push(e.id);
      const list = perAggregate.get(e.aggregateId) ?? [];
      list.push((e.payload as { n: number }).n);
      perAggregate.set(e.aggregateId, list);
    });
    const events = Array.from({ length: 60 }, (_, n) => ({
      type: 'tick',
      aggregateType: 'card',
      aggregateId: `agg-${n % 6}`,
      payload: { n },
    }));
    await recordEvents(database.db, events);
    const a = dispatcher(registry);
    const b = dispatcher(registry);
    for (;;) {
      const [x, y] = await Promise.all([a.runOnce(), b.runOnce()]);
      if (x + y === 0) break;
    }
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    for (const list of perAggregate.values()) expect(list).toEqual([...list].sort((p, q) => p - q));
  });

  it('polls on its own once started and stops cleanly', async () => {
    const registry = new EventRegistry();
    const got = new Promise<DomainEvent>((resolve) => registry.on('ping', 'resolver', async (e) => resolve(e)));
    const d = dispatcher(registry);
    d.start();
    await recordEvent(database.db, { type: 'ping', aggregateType: 'x', aggregateId: '1', payload: { ok: true } });
    d.nudge();
    await expect(got).resolves.toMatchObject({ type: 'ping', payload: { ok: true } });
    await d.stop();
  });

  it('purges delivered events past their retention, and never pending or parked ones', async () => {
    const registry = new EventRegistry();
    registry.on('card.minted', 'collector', async () => undefined);
    const event = (aggregateId: string) =>
      recordEvent(database.db, { type: 'card.minted', aggregateType: 'card', aggregateId, payload: {} });
    const [old, recent] = [await event('old'), await event('recent')];
    expect(await dispatcher(registry).runOnce()).toBe(2);
    const pending = await event('pending');
    const parked = await recordEvent(database.db, {
      type: 'card.minted',
      aggregateType: 'card',
      aggregateId: 'parked',
      payload: {},
    });
    await database.db.execute(sql`
      UPDATE platform_outbox_events SET status = 'parked', created_at = now() - interval '30 days' WHERE id = ${parked}`);
    await database.db.execute(sql`
      UPDATE platform_outbox_events SET delivered_at = now() - interval '8 days' WHERE id = ${old}`);

    expect(await purgeDelivered(database.db, 7)).toBe(1);
    expect(await statusOf(old)).toBeUndefined();
    expect((await statusOf(recent))?.status).toBe('delivered');
    expect((await statusOf(pending))?.status).toBe('pending');
    expect((await statusOf(parked))?.status).toBe('parked');
    expect(await purgeDelivered(database.db, 7)).toBe(0);
  });

  it('refuses to register the same handler name twice for a type', () => {
    const registry = new EventRegistry();
    registry.on('x', 'h', async () => {});
    expect(() => registry.on('x', 'h', async () => {})).toThrow(/already registered/);
  });
});
