import type { Db } from '../../platform/db/tx.ts';
import { findVariantRef } from '../cards/index.ts';
import { ValidationError } from '../../platform/http/errors.ts';
import { MAX_SERIES_POINTS, TICKER_WINDOW_MS, computeTicker, isThin, quote, seriesLength } from './engine/index.ts';
import type { CandleInterval } from './engine/index.ts';
import { UnknownCardError } from './errors.ts';
import * as repo from './repo.ts';
import { nullableUnits } from './schemas.ts';
import { DEFAULT_MARKET_SETTINGS, type MarketSettings } from './service.ts';

/** An order as its owner sees it, with what the full quantity costs the buyer and earns the seller. */
export function orderView(o: repo.OrderRow, settings: MarketSettings = DEFAULT_MARKET_SETTINGS) {
  const q = o.price === null ? null : quote(o.price, o.quantity, settings.fees);
  return {
    id: o.id,
    cardId: o.variantId,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    price: nullableUnits(o.price),
    quantity: o.quantity,
    remaining: o.remaining,
    filledQuantity: o.filledQuantity,
    filledNotional: o.filledNotional,
    feePaid: o.feePaid,
    buyerPays: nullableUnits(q?.buyerPays ?? null),
    sellerReceives: nullableUnits(q?.sellerReceives ?? null),
    status: o.status,
    cancelReason: o.cancelReason,
    createdAt: o.createdAt.toISOString(),
  };
}

async function requireVariant(db: Db, cardId: string) {
  const v = await findVariantRef(db, cardId);
  if (!v) throw new UnknownCardError();
  return v;
}

/** Depth aggregated by price, best first, from the open orders. */
export async function bookOf(db: Db, cardId: string, levels: number) {
  const v = await requireVariant(db, cardId);
  const open = await repo.openOrders(db, v.id);
  const agg = (side: 'buy' | 'sell') => {
    const byPrice = new Map<bigint, { price: bigint; quantity: bigint; orders: number }>();
    for (const o of open) {
      if (o.side !== side || o.price === null) continue;
      const l = byPrice.get(o.price) ?? { price: o.price, quantity: 0n, orders: 0 };
      l.quantity += o.remaining;
      l.orders += 1;
      byPrice.set(o.price, l);
    }
    const sorted = [...byPrice.values()].sort((a, b) => (a.price === b.price ? 0 : a.price < b.price ? -1 : 1));
    return (side === 'buy' ? sorted.reverse() : sorted).slice(0, levels);
  };
  return { cardId: v.id, bids: agg('buy'), asks: agg('sell') };
}

export async function tradesPage(db: Db, cardId: string, limit: number, cursor?: string) {
  const v = await requireVariant(db, cardId);
  const rows = await repo.tradesOf(db, v.id, limit + 1, cursor);
  const page = rows.slice(0, limit);
  return {
    trades: page.map((t) => ({
      id: t.id,
      price: t.price,
      quantity: t.quantity,
      takerSide: t.takerSide,
      ts: t.ts.toISOString(),
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

export async function tickerOf(db: Db, cardId: string, now = Date.now()) {
  const v = await requireVariant(db, cardId);
  const { trades, previousPrice } = await repo.tradesSince(db, v.id, new Date(now - TICKER_WINDOW_MS));
  const book = await bookOf(db, v.id, 1);
  const t = computeTicker({
    now,
    previousPrice,
    trades: trades.map((r) => ({ ts: r.ts.getTime(), price: r.price, quantity: r.quantity })),
    bestBid: book.bids[0]?.price ?? null,
    bestAsk: book.asks[0]?.price ?? null,
  });
  const last = trades.at(-1)?.price ?? previousPrice;
  return {
    cardId: v.id,
    last: nullableUnits(last),
    bestBid: nullableUnits(t.bestBid),
    bestAsk: nullableUnits(t.bestAsk),
    change: nullableUnits(t.change),
    high: nullableUnits(t.high),
    low: nullableUnits(t.low),
    volume: t.volume,
    trades: t.trades,
    thin: t.thin,
  };
}

/** Stored candles in [from, to); buckets without trades are absent rather than invented. */
export async function candlesOf(db: Db, cardId: string, interval: CandleInterval, from: Date, to: Date) {
  if (!(from < to))
    throw new ValidationError('from must be before to', [{ field: 'query.to', message: 'must be after from' }]);
  if (seriesLength(interval, from.getTime(), to.getTime()) > MAX_SERIES_POINTS) {
    throw new ValidationError('The range holds too many candles for this interval', [
      { field: 'query.from', message: `at most ${MAX_SERIES_POINTS} candles per request` },
    ]);
  }
  const v = await requireVariant(db, cardId);
  const rows = await repo.candlesOf(db, v.id, interval, from, to);
  const recent = await repo.tradesSince(db, v.id, new Date(Date.now() - TICKER_WINDOW_MS));
  return {
    cardId: v.id,
    interval,
    thin: isThin(recent.trades.length),
    candles: rows.map((c) => ({
      start: c.bucketStart.toISOString(),
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
      volume: c.volume,
      trades: c.trades,
    })),
  };
}
