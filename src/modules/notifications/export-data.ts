import { desc, eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, type Exporter } from '../../platform/privacy/export.ts';
import { notifications } from './tables.ts';

/**
 * The notifications section of a user's export: every notification they received, read or not.
 * (Which channels each type uses is a setting of the account: the account section.)
 */
export const notificationsExporter: Exporter = {
  section: 'notifications',
  async export(db: Db, userId: string) {
    return {
      notifications: await capped((n) =>
        db
          .select()
          .from(notifications)
          .where(eq(notifications.userId, userId))
          .orderBy(desc(notifications.id))
          .limit(n),
      ),
    };
  },
};
