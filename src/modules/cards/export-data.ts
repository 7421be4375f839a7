import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, without, type Exporter } from '../../platform/privacy/export.ts';
import { fairnessSeeds, openings, pityCounters, upgrades, wishlist } from './tables.ts';

/** What a client seed of a deleted account becomes: the seed was the user's own words. */
export const ERASED_CLIENT_SEED = 'erased';

/**
 * The cards section of a user's export: fairness seeds, pack openings with their pulls, upgrades,
 * pity counters and the wishlist. (Card holdings are ledger balances: the wallet section.) A seed's
 * server seed is shown only once revealed: before that it is the secret that makes openings fair.
 */
export const cardsExporter: Exporter = {
  section: 'cards',
  async export(db: Db, userId: string) {
    const seeds = await capped((n) =>
      db
        .select()
        .from(fairnessSeeds)
        .where(eq(fairnessSeeds.userId, userId))
        .orderBy(desc(fairnessSeeds.createdAt))
        .limit(n)
        .then((rows) => rows.map((s) => (s.revealedAt ? s : without(s, 'serverSeed')))),
    );
    return {
      fairnessSeeds: seeds,
      openings: await capped((n) =>
        db.select().from(openings).where(eq(openings.userId, userId)).orderBy(desc(openings.createdAt)).limit(n),
      ),
      upgrades: await capped((n) =>
        db.select().from(upgrades).where(eq(upgrades.userId, userId)).orderBy(desc(upgrades.createdAt)).limit(n),
      ),
      pityCounters: await db.select().from(pityCounters).where(eq(pityCounters.userId, userId)),
      wishlist: await capped((n) =>
        db.select().from(wishlist).where(eq(wishlist.userId, userId)).orderBy(desc(wishlist.createdAt)).limit(n),
      ),
    };
  },
};

/**
 * Erases a deleted account's cards data: the wishlist (notes and wants) goes; openings and upgrades
 * stay as the history of supply and odds, without the client seeds the user chose.
 */
export async function eraseCardsData(db: Db, userId: string): Promise<void> {
  await db.execute(sql`DELETE FROM ${wishlist} WHERE user_id = ${userId}`);
  await db.execute(sql`DELETE FROM ${pityCounters} WHERE user_id = ${userId}`);
  for (const table of [fairnessSeeds, openings, upgrades]) {
    await db.execute(sql`UPDATE ${table} SET client_seed = ${ERASED_CLIENT_SEED}
      WHERE user_id = ${userId} AND client_seed <> ${ERASED_CLIENT_SEED}`);
  }
}
