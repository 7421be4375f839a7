import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { seedRuns } from './tables.ts';
import { withTransaction, type Db } from './tx.ts';

/** A named, one-time data load a module plugs into the seed runner. */
export interface Seeder {
  /** Unique and stable: the runner records it and never runs it twice on one database. */
  name: string;
  /** Demo data is skipped unless demo seeding is on (it is off in production by default). */
  demo: boolean;
  run(tx: Db): Promise<void>;
}

/**
 * Runs each seeder that has not run on this database yet, each in its own transaction together
 * with its record, so a crash leaves it either done or not started, and two concurrent runners
 * cannot both apply it (the second waits on the first's row, then skips).
 */
export async function runSeeds(
  db: Db,
  seeders: readonly Seeder[],
  opts: { demo: boolean; logger?: Logger },
): Promise<string[]> {
  const applied: string[] = [];
  for (const seeder of seeders) {
    if (seeder.demo && !opts.demo) continue;
    const ran = await withTransaction(db, async (tx) => {
      const claimed = await tx
        .insert(seedRuns)
        .values({ name: seeder.name })
        .onConflictDoNothing()
        .returning({ name: seedRuns.name });
      if (claimed.length === 0) return false;
      await seeder.run(tx);
      return true;
    });
    if (ran) {
      applied.push(seeder.name);
      opts.logger?.info({ seed: seeder.name }, 'seed applied');
    }
  }
  return applied;
}

export async function appliedSeeds(db: Db): Promise<string[]> {
  const rows = await db
    .select({ name: seedRuns.name })
    .from(seedRuns)
    .orderBy(sql`${seedRuns.appliedAt}`);
  return rows.map((r) => r.name);
}
