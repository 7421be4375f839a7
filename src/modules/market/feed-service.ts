import type { Db } from '../../platform/db/tx.ts';
import * as repo from './repo.ts';

/*
 * What automated traders read from the exchange: the recorded candles of the cards they watch and
 * the state and fills of their own orders. Candles are only those with trades; no price is
 * invented for an empty bucket.
 */

export interface RecordedCandle {
  start: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Candles with buckets starting in [from, to), per variant, ascending. */
export async function recordedCandles(
  db: Db,
  variantIds: readonly string[],
  interval: string,
  from: Date,
  to: Date,
): Promise<Record<string, RecordedCandle[]>> {
  const rows = await repo.candlesOfMany(db, variantIds, interval, from, to);
  const series: Record<string, RecordedCandle[]> = Object.fromEntries(variantIds.map((v) => [v, []]));
  for (const c of rows) {
    series[c.variantId]?.push({
      start: c.bucketStart.getTime(),
      open: Number(c.open),
      high: Number(c.high),
      low: Number(c.low),
      close: Number(c.close),
      volume: Number(c.volume),
    });
  }
  return series;
}

export interface OrderFill {
  orderId: string;
  tradeId: string;
  price: bigint;
  quantity: bigint;
  /** The fee this order's owner paid on the fill. */
  fee: bigint;
  at: Date;
}

/** The orders' current rows and every fill they got, oldest first. */
export async function ordersWithFills(db: Db, orderIds: readonly string[]) {
  const orders = await repo.ordersAmong(db, orderIds);
  const trades = await repo.tradesOfOrders(db, orderIds);
  const wanted = new Set(orderIds);
  const fills: OrderFill[] = [];
  for (const t of trades) {
    for (const orderId of [t.makerOrderId, t.takerOrderId]) {
      if (!wanted.has(orderId)) continue;
      const isTaker = orderId === t.takerOrderId;
      const buyer = (t.takerSide === 'buy') === isTaker;
      fills.push({
        orderId,
        tradeId: t.id,
        price: t.price,
        quantity: t.quantity,
        fee: buyer ? t.buyerFee : t.sellerFee,
        at: t.ts,
      });
    }
  }
  return { orders, fills };
}

/** How many trades a card's book executed since `since` (how thin its market is). */
export function tradeCountSince(db: Db, variantId: string, since: Date): Promise<number> {
  return repo.countTradesSince(db, variantId, since);
}
