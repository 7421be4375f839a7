import { desc, eq, or, sql } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { capped, type Exporter } from '../../platform/privacy/export.ts';
import { marketOrders, marketTrades } from './tables.ts';

/**
 * The market section of a user's export: orders and marketplace listings (`source: listing`), and
 * the user's side of every execution. The exchange is anonymous, so a fill never names the other side.
 */
export const marketExporter: Exporter = {
  section: 'market',
  async export(db: Db, userId: string) {
    const isMaker = sql<boolean>`(${marketTrades.makerOwnerId} = ${userId})`;
    return {
      orders: await capped((n) =>
        db
          .select()
          .from(marketOrders)
          .where(eq(marketOrders.ownerId, userId))
          .orderBy(desc(marketOrders.createdAt))
          .limit(n),
      ),
      fills: await capped((n) =>
        db
          .select({
            id: marketTrades.id,
            variantId: marketTrades.variantId,
            orderId: sql<string>`CASE WHEN ${isMaker} THEN ${marketTrades.makerOrderId} ELSE ${marketTrades.takerOrderId} END`,
            role: sql<string>`CASE WHEN ${isMaker} THEN 'maker' ELSE 'taker' END`,
            side: sql<string>`CASE WHEN ${isMaker} = (${marketTrades.takerSide} = 'sell') THEN 'buy' ELSE 'sell' END`,
            price: marketTrades.price,
            quantity: marketTrades.quantity,
            fee: sql<string>`CASE WHEN ${isMaker} = (${marketTrades.takerSide} = 'sell')
              THEN ${marketTrades.buyerFee} ELSE ${marketTrades.sellerFee} END`,
            ts: marketTrades.ts,
          })
          .from(marketTrades)
          .where(or(eq(marketTrades.makerOwnerId, userId), eq(marketTrades.takerOwnerId, userId)))
          .orderBy(desc(marketTrades.ts))
          .limit(n),
      ),
    };
  },
};
