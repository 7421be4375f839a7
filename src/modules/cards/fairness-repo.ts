import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { fairnessSeeds } from './tables.ts';

export type SeedRow = typeof fairnessSeeds.$inferSelect;

/** Inserts a seed unless the user already has an active one (then nothing happens). */
export async function insertSeed(db: Db, values: typeof fairnessSeeds.$inferInsert): Promise<void> {
  await db.insert(fairnessSeeds).values(values).onConflictDoNothing();
}

/** The user's active seed, locked when `lock` is set: openings and upgrades of a user run one at a time. */
export async function activeSeed(db: Db, userId: string, lock: boolean): Promise<SeedRow | null> {
  const query = db
    .select()
    .from(fairnessSeeds)
    .where(and(eq(fairnessSeeds.userId, userId), isNull(fairnessSeeds.revealedAt)));
  const [row] = lock ? await query.for('update') : await query;
  return row ?? null;
}

export async function findSeed(db: Db, id: string): Promise<SeedRow | null> {
  const [row] = await db.select().from(fairnessSeeds).where(eq(fairnessSeeds.id, id));
  return row ?? null;
}

/** Uses one nonce: succeeds only if the seed is still active at the expected nonce. */
export async function useNonce(db: Db, seedId: string, nonce: bigint): Promise<boolean> {
  const rows = await db
    .update(fairnessSeeds)
    .set({ nonce: sql`${fairnessSeeds.nonce} + 1` })
    .where(and(eq(fairnessSeeds.id, seedId), eq(fairnessSeeds.nonce, nonce), isNull(fairnessSeeds.revealedAt)))
    .returning({ id: fairnessSeeds.id });
  return rows.length === 1;
}

export async function setClientSeed(db: Db, seedId: string, clientSeed: string): Promise<void> {
  await db.update(fairnessSeeds).set({ clientSeed }).where(eq(fairnessSeeds.id, seedId));
}

export async function revealSeed(db: Db, seedId: string): Promise<SeedRow | null> {
  const [row] = await db
    .update(fairnessSeeds)
    .set({ revealedAt: sql`now()` })
    .where(and(eq(fairnessSeeds.id, seedId), isNull(fairnessSeeds.revealedAt)))
    .returning();
  return row ?? null;
}
