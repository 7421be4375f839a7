import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Seeds that have completed on this database; the runner skips them next time. */
export const seedRuns = pgTable('platform_seed_runs', {
  name: text('name').primaryKey(),
  appliedAt: timestamp('applied_at', { withTimezone: true }).notNull().defaultNow(),
});
