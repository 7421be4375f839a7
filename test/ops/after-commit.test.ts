import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { afterCommit, withRetryableTransaction, withTransaction } from '../../src/platform/db/tx.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';

// Business counters move only for work that committed: `afterCommit` is what guarantees it.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ migrate: false, poolSize: 2 });
}, 120_000);
afterAll(async () => {
  await database?.destroy();
});

describe('afterCommit', () => {
  it('runs queued work once the outermost transaction commits, savepoints included', async () => {
    const seen: string[] = [];
    await withTransaction(database.db, async (tx) => {
      afterCommit(tx, () => seen.push('outer'));
      await withTransaction(tx, async (joined) => {
        afterCommit(joined, () => seen.push('joined'));
      });
      await tx.transaction(async (sp) => {
        afterCommit(sp, () => seen.push('savepoint'));
      });
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['outer', 'joined', 'savepoint']);
  });

  it('drops the work of a transaction that rolls back', async () => {
    const seen: string[] = [];
    await expect(
      withTransaction(database.db, async (tx) => {
        afterCommit(tx, () => seen.push('never'));
        await tx.execute(sql`SELECT 1`);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(seen).toEqual([]);
  });

  it('keeps only the attempt that committed when a transaction is retried', async () => {
    const seen: number[] = [];
    let attempt = 0;
    await withRetryableTransaction(database.db, async (tx) => {
      attempt += 1;
      afterCommit(tx, () => seen.push(attempt));
      if (attempt === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
    });
    expect(seen).toEqual([2]);
  });

  it('runs at once outside a transaction, and a failing callback never fails the work', async () => {
    const seen: string[] = [];
    afterCommit(database.db, () => seen.push('now'));
    expect(seen).toEqual(['now']);
    await expect(
      withTransaction(database.db, async (tx) => {
        afterCommit(tx, () => {
          throw new Error('counter broke');
        });
        afterCommit(tx, () => seen.push('still runs'));
        return 'committed';
      }),
    ).resolves.toBe('committed');
    expect(seen).toEqual(['now', 'still runs']);
  });
});
