import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { upgrades } from './tables.ts';

export type UpgradeRow = typeof upgrades.$inferSelect;

export async function insertUpgrade(db: Db, row: typeof upgrades.$inferInsert): Promise<UpgradeRow> {
  const [inserted] = await db.insert(upgrades).values(row).returning();
  if (!inserted) throw new Error('upgrade insert returned nothing');
  return inserted;
}

export async function upgradeById(db: Db, id: string): Promise<UpgradeRow | null> {
  const [row] = await db.select().from(upgrades).where(eq(upgrades.id, id));
  return row ?? null;
}
