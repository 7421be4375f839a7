import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { withTransaction } from '../db/tx.ts';
import { JobQueue, toDrizzleSql } from './queue.ts';

const logger = pino({ level: 'silent' });
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.destroy();
});

function queue() {
  return new JobQueue({ url: database.url, logger, poolSize: 2, pollingIntervalSeconds: 0.5 });
}

/** Resolves when `check` passes, polling; rejects after `ms`. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('durable jobs', () => {
  it('turns pg-boss parameters into drizzle parameters in order', () => {
    const q = toDrizzleSql('SELECT $1, $2, $10', ['a', 'b', 3, 4, 5, 6, 7, 8, 9, 'ten']);
    expect(q.queryChunks.length).toBeGreaterThan(3);
  });

  it('a job enqueued in a rolled-back transaction never exists; a committed one runs', async () => {
    const q = queue();
    const ran: string[] = [];
    q.define<{ tag: string }>('mail.send', async (data) => {
      ran.push(data.tag);
    });
    await q.start({ work: true });
    try {
      await expect(
        withTransaction(database.db, async (tx) => {
          await q.enqueue(tx, 'mail.send', { tag: 'rolled-back' });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      await withTransaction(database.db, (tx) => q.enqueue(tx, 'mail.send', { tag: 'committed' }));
      await eventually(() => ran.includes('committed'));
      const stats = await q.stats(database.db);
      expect(stats.find((s) => s.name === 'mail.send')?.ready).toBe(0);
      expect(ran).toEqual(['committed']);
    } finally {
      await q.stop();
    }
  });

  it('two worker instances run each job exactly once', async () => {
    const runs = new Map<number, number>();
    const make = () => {
      const q = queue();
      q.define<{ n: number }>('ledger.settle', async ({ n }) => {
        runs.set(n, (runs.get(n) ?? 0) + 1);
      });
      return q;
    };
    const a = make();
    const b = make();
    await a.start({ work: true });
    await b.start({ work: true });
    try {
      for (let n = 0; n < 30; n++) await a.enqueue(null, 'ledger.settle', { n });
      await eventually(() => runs.size === 30, 30_000);
      // Give a duplicate delivery the chance to show up before counting.
      await new Promise((r) => setTimeout(r, 1500));
      expect([...runs.values()].every((count) => count === 1)).toBe(true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('a queued job survives a restart and runs on the next worker', async () => {
    const producer = queue();
    producer.define('report.build', async () => {
      throw new Error('the producer does not run jobs');
    });
    await producer.start({ work: false });
    const id = await producer.enqueue(null, 'report.build', { month: '2026-11' });
    expect(id).toBeTruthy();
    const before = await producer.stats(database.db);
    expect(before.find((s) => s.name === 'report.build')?.ready).toBe(1);
    await producer.stop();

    const got: unknown[] = [];
    const worker = queue();
    worker.define('report.build', async (data) => {
      got.push(data);
    });
    await worker.start({ work: true });
    try {
      await eventually(() => got.length === 1);
      expect(got[0]).toEqual({ month: '2026-11' });
    } finally {
      await worker.stop();
    }
  });

  it('retries a failed job', async () => {
    const q = queue();
    let attempts = 0;
    q.define(
      'flaky.job',
      async () => {
        attempts++;
        if (attempts === 1) throw new Error('first try fails');
      },
      { retryLimit: 2 },
    );
    await q.start({ work: true });
    try {
      await q.enqueue(null, 'flaky.job', {});
      await eventually(() => attempts === 2, 20_000);
    } finally {
      await q.stop();
    }
  });

  it('an interval schedule shared by two workers runs at most once per period', async () => {
    let runs = 0;
    const make = () => {
      const q = queue();
      q.define('reconcile', async () => {
        runs++;
      });
      q.every('reconcile', 2);
      return q;
    };
    const a = make();
    const b = make();
    const started = Date.now();
    await Promise.all([a.start({ work: true }), b.start({ work: true })]);
    try {
      await eventually(() => runs >= 2, 15_000);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const periods = Math.ceil((Date.now() - started) / 2000);
    expect(runs).toBeLessThanOrEqual(periods + 1);
  });

  it('rejects unknown job names and late definitions', async () => {
    const q = queue();
    q.define('known', async () => {});
    await q.start({ work: false });
    try {
      await expect(q.enqueue(null, 'unknown', {})).rejects.toThrow(/unknown job/);
      expect(() => q.define('late', async () => {})).toThrow(/before the queue starts/);
    } finally {
      await q.stop();
    }
  });
});
