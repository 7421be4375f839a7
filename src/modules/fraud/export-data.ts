import { desc, eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, type Exporter } from '../../platform/privacy/export.ts';
import { fraudHolds } from './tables.ts';

/**
 * The fraud section of a user's export: the holds placed on items they received, as the app shows
 * them. Flags and the activity the rules read are fraud-prevention records about several users and
 * the staff's notes: they stay with the staff, not in a self-service download.
 */
export const fraudExporter: Exporter = {
  section: 'holds',
  async export(db: Db, userId: string) {
    return {
      holds: await capped((n) =>
        db
          .select({
            id: fraudHolds.id,
            reference: fraudHolds.reference,
            amounts: fraudHolds.amounts,
            createdAt: fraudHolds.createdAt,
            releaseAt: fraudHolds.releaseAt,
            releasedAt: fraudHolds.releasedAt,
          })
          .from(fraudHolds)
          .where(eq(fraudHolds.userId, userId))
          .orderBy(desc(fraudHolds.id))
          .limit(n),
      ),
    };
  },
};
