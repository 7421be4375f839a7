import { desc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, type Exporter } from '../../platform/privacy/export.ts';
import {
  botBacktests,
  botEquity,
  botFills,
  botOrders,
  botRuns,
  botStrategies,
  botStrategyVersions,
  bots,
} from './tables.ts';

/**
 * The bots section of a user's export: strategies with every version (the user's own rules and
 * code), bots with their runs, orders, fills and equity, and backtests.
 */
export const botsExporter: Exporter = {
  section: 'bots',
  async export(db: Db, userId: string) {
    const ofOwner = eq(bots.ownerId, userId);
    return {
      strategies: await capped((n) =>
        db
          .select()
          .from(botStrategies)
          .where(eq(botStrategies.ownerId, userId))
          .orderBy(desc(botStrategies.id))
          .limit(n),
      ),
      strategyVersions: await capped((n) =>
        db
          .select(getTableColumns(botStrategyVersions))
          .from(botStrategyVersions)
          .innerJoin(botStrategies, eq(botStrategies.id, botStrategyVersions.strategyId))
          .where(eq(botStrategies.ownerId, userId))
          .orderBy(desc(botStrategyVersions.createdAt))
          .limit(n),
      ),
      bots: await capped((n) =>
        db
          .select({ ...getTableColumns(bots), leaseUntil: sql<null>`NULL` })
          .from(bots)
          .where(ofOwner)
          .orderBy(desc(bots.id))
          .limit(n),
      ),
      runs: await capped((n) =>
        db
          .select(getTableColumns(botRuns))
          .from(botRuns)
          .innerJoin(bots, eq(bots.id, botRuns.botId))
          .where(ofOwner)
          .orderBy(desc(botRuns.id))
          .limit(n),
      ),
      orders: await capped((n) =>
        db
          .select(getTableColumns(botOrders))
          .from(botOrders)
          .innerJoin(bots, eq(bots.id, botOrders.botId))
          .where(ofOwner)
          .orderBy(desc(botOrders.id))
          .limit(n),
      ),
      fills: await capped((n) =>
        db
          .select(getTableColumns(botFills))
          .from(botFills)
          .innerJoin(bots, eq(bots.id, botFills.botId))
          .where(ofOwner)
          .orderBy(desc(botFills.at))
          .limit(n),
      ),
      equity: await capped((n) =>
        db
          .select(getTableColumns(botEquity))
          .from(botEquity)
          .innerJoin(bots, eq(bots.id, botEquity.botId))
          .where(ofOwner)
          .orderBy(desc(botEquity.at))
          .limit(n),
      ),
      backtests: await capped((n) =>
        db.select().from(botBacktests).where(eq(botBacktests.ownerId, userId)).orderBy(desc(botBacktests.id)).limit(n),
      ),
    };
  },
};

/**
 * Erases the names a deleted account gave its strategies and bots (they show on leaderboards and
 * community pages): each becomes a neutral label from its id. Runs, orders and fills stay, as the
 * market and the ledger remember them too.
 */
export async function eraseBotsData(db: Db, userId: string): Promise<void> {
  await db.execute(sql`UPDATE ${botStrategies} SET name = 'Strategy ' || left(id::text, 8), updated_at = now()
    WHERE owner_id = ${userId}`);
  await db.execute(sql`UPDATE ${bots} SET name = 'Bot ' || left(id::text, 8), updated_at = now()
    WHERE owner_id = ${userId}`);
}
