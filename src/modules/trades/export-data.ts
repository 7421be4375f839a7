import { desc, eq, getTableColumns, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, type Exporter } from '../../platform/privacy/export.ts';
import { identityUsers } from '../identity/index.ts';
import { tradeOffers } from './tables.ts';

/** The trades section of a user's export: offers made and received, with the counterparty's username. */
export const tradesExporter: Exporter = {
  section: 'trades',
  async export(db: Db, userId: string) {
    const counterparty = sql`CASE WHEN ${tradeOffers.proposerId} = ${userId} THEN ${tradeOffers.recipientId}
      ELSE ${tradeOffers.proposerId} END`;
    return {
      offers: await capped((n) =>
        db
          .select({ ...getTableColumns(tradeOffers), counterpartyUsername: identityUsers.username })
          .from(tradeOffers)
          .leftJoin(identityUsers, eq(identityUsers.id, counterparty))
          .where(or(eq(tradeOffers.proposerId, userId), eq(tradeOffers.recipientId, userId)))
          .orderBy(desc(tradeOffers.id))
          .limit(n),
      ),
    };
  },
};

/** Erases the messages a deleted account wrote on its offers; the offers stay for the counterparty's history. */
export async function eraseTradesData(db: Db, userId: string): Promise<void> {
  await db.execute(sql`UPDATE ${tradeOffers} SET message = NULL WHERE proposer_id = ${userId} AND message IS NOT NULL`);
}
