import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, onPostgres, type TestDatabase } from '../../../test/helpers/db.ts';
import { pendingMigrationCount, runMigrations } from './migrate.ts';
import { appliedSeeds, runSeeds, type Seeder } from './seed.ts';
import { isTransaction, withTransaction } from './tx.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.db.execute(sql`CREATE TABLE demo_items (name text PRIMARY KEY, qty bigint NOT NULL)`);
});
afterAll(async () => {
  await database.destroy();
});

const count = async () =>
  (await database.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM demo_items`)).rows[0]?.n;

describe('transactions', () => {
  it('commits every write of the callback together', async () => {
    await withTransaction(database.db, async (tx) => {
      expect(isTransaction(tx)).toBe(true);
      await tx.execute(sql`INSERT INTO demo_items VALUES ('a', 1)`);
      await tx.execute(sql`INSERT INTO demo_items VALUES ('b', 2)`);
    });
    expect(await count()).toBe(2);
  });

  it('rolls back every write when the callback throws', async () => {
    await expect(
      withTransaction(database.db, async (tx) => {
        await tx.execute(sql`INSERT INTO demo_items VALUES ('c', 3)`);
        throw new Error('rule broken');
      }),
    ).rejects.toThrow('rule broken');
    expect(await count()).toBe(2);
  });

  it('joins an open transaction instead of opening a second one', async () => {
    await expect(
      withTransaction(database.db, async (outer) => {
        await withTransaction(outer, async (inner) => {
          expect(inner).toBe(outer);
          await inner.execute(sql`INSERT INTO demo_items VALUES ('d', 4)`);
        });
        throw new Error('outer fails after inner finished');
      }),
    ).rejects.toThrow('outer fails');
    expect(await count()).toBe(2);
  });

  it('returns int8 columns as bigint, never a lossy number', async () => {
    const r = await database.db.execute<{ v: bigint }>(sql`SELECT 9007199254740993::bigint AS v`);
    expect(r.rows[0]?.v).toBe(9007199254740993n);
  });
});

describe('migrations', () => {
  it('are current after migrating, and running them again changes nothing', async () => {
    expect(await pendingMigrationCount(database.pool)).toBe(0);
    await runMigrations(database.pool);
    expect(await pendingMigrationCount(database.pool)).toBe(0);
  });

  it.skipIf(!onPostgres)('two processes migrating a fresh database at once both succeed', async () => {
    const fresh = await createTestDatabase({ migrate: false });
    try {
      expect(await pendingMigrationCount(fresh.pool)).toBeGreaterThan(0);
      await Promise.all([runMigrations(fresh.pool), runMigrations(fresh.pool)]);
      expect(await pendingMigrationCount(fresh.pool)).toBe(0);
    } finally {
      await fresh.destroy();
    }
  });
});

describe('seed runner', () => {
  const calls: string[] = [];
  const seeders: Seeder[] = [
    {
      name: 'base-items',
      demo: false,
      run: async (tx) => {
        calls.push('base-items');
        await tx.execute(sql`INSERT INTO demo_items VALUES ('seed-base', 10)`);
      },
    },
    {
      name: 'demo-items',
      demo: true,
      run: async (tx) => {
        calls.push('demo-items');
        await tx.execute(sql`INSERT INTO demo_items VALUES ('seed-demo', 20)`);
      },
    },
  ];

  it('skips demo seeds unless asked, and never runs a seed twice', async () => {
    expect(await runSeeds(database.db, seeders, { demo: false })).toEqual(['base-items']);
    expect(await runSeeds(database.db, seeders, { demo: true })).toEqual(['demo-items']);
    expect(await runSeeds(database.db, seeders, { demo: true })).toEqual([]);
    expect(calls).toEqual(['base-items', 'demo-items']);
    expect(await appliedSeeds(database.db)).toEqual(['base-items', 'demo-items']);
  });

  it('a failing seed leaves nothing behind and runs again next time', async () => {
    let fail = true;
    const flaky: Seeder = {
      name: 'flaky',
      demo: false,
      run: async (tx) => {
        await tx.execute(sql`INSERT INTO demo_items VALUES ('seed-flaky', 1)`);
        if (fail) throw new Error('seed data invalid');
      },
    };
    await expect(runSeeds(database.db, [flaky], { demo: false })).rejects.toThrow('seed data invalid');
    expect(await appliedSeeds(database.db)).not.toContain('flaky');
    fail = false;
    expect(await runSeeds(database.db, [flaky], { demo: false })).toEqual(['flaky']);
  });
});
