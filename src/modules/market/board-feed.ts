import type { Db } from '../../platform/db/tx.ts';
import * as repo from './repo.ts';

/** One exchange execution from both sides: who bought, who sold, at what price and fees. */
export interface ExecutedTrade {
  id: string;
  variantId: string;
  buyerId: string;
  sellerId: string;
  price: bigint;
  quantity: bigint;
  buyerFee: bigint;
  sellerFee: bigint;
  at: Date;
}

/**
 * Every exchange trade in execution order, a page at a time: pass the last trade of a page back as
 * `after`. For rankings that rebuild each trader's cost basis.
 */
export async function executedTrades(
  db: Db,
  after: { at: Date; id: string } | null,
  limit: number,
): Promise<ExecutedTrade[]> {
  const rows = await repo.tradesAfter(db, after ? { ts: after.at, id: after.id } : null, limit);
  return rows.map((t) => {
    const takerBuys = t.takerSide === 'buy';
    return {
      id: t.id,
      variantId: t.variantId,
      buyerId: takerBuys ? t.takerOwnerId : t.makerOwnerId,
      sellerId: takerBuys ? t.makerOwnerId : t.takerOwnerId,
      price: t.price,
      quantity: t.quantity,
      buyerFee: t.buyerFee,
      sellerFee: t.sellerFee,
      at: t.ts,
    };
  });
}
