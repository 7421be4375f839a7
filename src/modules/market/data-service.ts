import type { Db } from '../../platform/db/tx.ts';
import { InvalidCursorError, decodeIdCursor, encodeIdCursor } from '../../platform/http/cursor.ts';
import { ValidationError } from '../../platform/http/errors.ts';
import { VARIANTS, findVariantRef, variantsOfCard } from '../cards/index.ts';
import * as dataRepo from './data-repo.ts';
import type { BookReply, CandlesReply, HistoryReply, TickerReply, TickersReply, TradesReply } from './data-schemas.ts';
import {
  INTERVAL_MS,
  MAX_SERIES_POINTS,
  TICKER_WINDOW_MS,
  bucketStart,
  fillSeries,
  isThin,
  realisedPnlFifo,
  seriesLength,
  type Candle,
  type CandleInterval,
  type UserFill,
} from './engine/index.ts';
import { tickerOf as assembleTicker } from './engine/ticker.ts';
import { CardHasVariantsError, UnknownCardError } from './errors.ts';
import * as repo from './repo.ts';

/*
 * Market data: depth, trades, tickers, candles and a user's fills. Replies carry numbers (never
 * bigint) so they can be cached as JSON; amounts stay far below 2^53.
 */

/**
 * The book a market-data route names: a variant id, or the id of a card with a single variant.
 * A card with several variants is refused with their ids, so the caller can pick one.
 */
async function requireVariant(db: Db, cardId: string) {
  const v = await findVariantRef(db, cardId);
  if (v) return v;
  const variants = await variantsOfCard(db, cardId);
  const only = variants.length === 1 ? await findVariantRef(db, (variants[0] as { id: string }).id) : null;
  if (only) return only;
  if (variants.length > 1) {
    throw new CardHasVariantsError(variants.map((x) => ({ id: x.id, variant: VARIANTS[x.level] ?? 'base' })));
  }
  throw new UnknownCardError();
}

/** Depth aggregated by price, best first, from the open orders. */
export async function bookOf(db: Db, cardId: string, levels: number): Promise<BookReply> {
  const v = await requireVariant(db, cardId);
  const depth = await repo.bookDepth(db, v.id, levels);
  const view = (l: repo.DepthLevel) => ({ price: Number(l.price), quantity: Number(l.quantity), orders: l.orders });
  return { cardId: v.id, bids: depth.bids.map(view), asks: depth.asks.map(view) };
}

/** Executions newest first, before the `cursor` trade when given. */
export async function tradesPage(db: Db, cardId: string, limit: number, cursor?: string): Promise<TradesReply> {
  const v = await requireVariant(db, cardId);
  const rows = await repo.tradesOf(db, v.id, limit + 1, cursor);
  const page = rows.slice(0, limit);
  return {
    trades: page.map((t) => ({
      id: t.id,
      price: Number(t.price),
      quantity: Number(t.quantity),
      takerSide: t.takerSide,
      ts: t.ts.toISOString(),
    })),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}

const n = (v: bigint | null): number | null => (v === null ? null : Number(v));

function tickerView(a: dataRepo.TickerAggregate, windowStart: number, now: number): TickerReply {
  const t = assembleTicker({
    windowStart,
    windowEnd: now,
    previous: a.previous,
    first: a.first,
    last: a.last,
    high: a.high,
    low: a.low,
    volume: a.volume,
    notional: 0n,
    trades: a.trades,
    bestBid: a.bestBid,
    bestAsk: a.bestAsk,
  });
  return {
    cardId: a.variantId,
    last: n(t.last),
    bestBid: n(t.bestBid),
    bestAsk: n(t.bestAsk),
    change: n(t.change),
    high: n(t.high),
    low: n(t.low),
    volume: Number(t.volume),
    trades: t.trades,
    thin: t.thin,
  };
}

/** The 24 h ticker of one card (trades with now − 24 h < ts ≤ now), from one aggregate query. */
export async function tickerOf(db: Db, cardId: string, now = Date.now()): Promise<TickerReply> {
  const v = await requireVariant(db, cardId);
  const windowStart = now - TICKER_WINDOW_MS;
  const [a] = await dataRepo.tickerAggregates(db, {
    windowStart: new Date(windowStart),
    now: new Date(now),
    limit: 1,
    variantIds: [v.id],
  });
  if (!a) throw new UnknownCardError();
  return tickerView(a, windowStart, now);
}

/**
 * Tickers of every card that has traded or has open orders (or of the listed ones among them),
 * busiest (24 h volume) first, from one aggregate query.
 */
export async function tickersOf(
  db: Db,
  opts: { cardIds?: readonly string[]; limit: number },
  now = Date.now(),
): Promise<TickersReply> {
  const windowStart = now - TICKER_WINDOW_MS;
  const rows = await dataRepo.tickerAggregates(db, {
    windowStart: new Date(windowStart),
    now: new Date(now),
    limit: opts.limit,
    variantIds: opts.cardIds === undefined ? undefined : [...new Set(opts.cardIds.map((c) => c.toLowerCase()))],
    onlyActive: true,
  });
  return { tickers: rows.map((a) => tickerView(a, windowStart, now)) };
}

/** Checks a candle range before anything is read: from before to, and not too many buckets. */
export function checkCandleRange(interval: CandleInterval, from: Date, to: Date): void {
  if (!(from < to))
    throw new ValidationError('from must be before to', [{ field: 'query.to', message: 'must be after from' }]);
  if (seriesLength(interval, from.getTime(), to.getTime()) > MAX_SERIES_POINTS) {
    throw new ValidationError('The range holds too many candles for this interval', [
      { field: 'query.from', message: `at most ${MAX_SERIES_POINTS} candles per request` },
    ]);
  }
}

/**
 * Every bucket of [from, to), the first being the one holding `from`: stored candles (kept current
 * trade by trade) where there were trades, explicit empty buckets (null prices, zero volume)
 * elsewhere; no price is invented. Each candle is thin when the card had fewer than 5 trades in the
 * 24 h ending with it; the top-level `thin` is the card's state now.
 */
export async function candlesOf(
  db: Db,
  cardId: string,
  interval: CandleInterval,
  from: Date,
  to: Date,
  now = Date.now(),
): Promise<CandlesReply> {
  checkCandleRange(interval, from, to);
  const v = await requireVariant(db, cardId);
  const ms = INTERVAL_MS[interval];
  const first = bucketStart(from.getTime(), interval);
  const length = seriesLength(interval, from.getTime(), to.getTime());
  // 24 h is a whole number of buckets of every interval; the window of bucket i is buckets i−w+1 … i.
  const window = TICKER_WINDOW_MS / ms;
  const lookbackStart = first - (window - 1) * ms;
  const rows = await repo.candlesOf(db, v.id, interval, new Date(lookbackStart), new Date(first + length * ms));
  const candles: Candle[] = rows.map((c) => ({
    interval,
    start: c.bucketStart.getTime(),
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
    notional: c.notional,
    trades: c.trades,
  }));
  const counts = new Array<number>(window - 1 + length).fill(0);
  for (const c of candles) counts[(c.start - lookbackStart) / ms] = c.trades;
  const prefix = [0];
  for (const c of counts) prefix.push((prefix.at(-1) ?? 0) + c);
  const series = fillSeries(candles, interval, from.getTime(), to.getTime());
  const recent = await dataRepo.tradeCountBetween(db, v.id, new Date(now - TICKER_WINDOW_MS), new Date(now));
  return {
    cardId: v.id,
    interval,
    thin: isThin(recent),
    candles: series.map((p, i) => ({
      start: new Date(p.start).toISOString(),
      open: n(p.open),
      high: n(p.high),
      low: n(p.low),
      close: n(p.close),
      volume: Number(p.volume),
      trades: p.trades,
      thin: isThin((prefix[i + window] ?? 0) - (prefix[i] ?? 0)),
    })),
  };
}

/** A fraud review hold on a trade, as the fraud module reports it. */
export interface TradeHold {
  /** Whose received items are held; a hold on the other party is not shown. */
  userId?: string;
  reason: string;
  releaseAt: Date | string;
  released?: boolean;
}
/** Holds by reference (`market.trade:<tradeId>`); references without a hold are absent. */
export type HoldLookup = (db: Db, references: string[], viewerId: string) => Promise<ReadonlyMap<string, TradeHold>>;

export const tradeHoldReference = (tradeId: string) => `market.trade:${tradeId}`;

/**
 * The user's fills newest first, each with its realised profit on a FIFO cost basis, and the
 * position per card. Buys open lots costing price × quantity plus the fee paid; sells realise
 * their proceeds net of the fee paid minus the cost of the oldest lots, so realised figures are net
 * of fees on both sides. The cost basis runs over all of the user's fills, so every page agrees.
 */
export async function historyOf(
  db: Db,
  userId: string,
  opts: { limit: number; cursor?: string },
  holds?: HoldLookup,
): Promise<HistoryReply> {
  const after = decodeIdCursor(opts.cursor);
  const rows = await dataRepo.tradesOfUser(db, userId);
  const fills: UserFill[] = rows.map((t) => {
    const role = t.makerOwnerId === userId ? 'maker' : 'taker';
    const side = role === 'taker' ? t.takerSide : t.takerSide === 'buy' ? 'sell' : 'buy';
    return {
      id: t.id,
      assetId: t.variantId,
      side,
      price: t.price,
      quantity: t.quantity,
      fee: side === 'buy' ? t.buyerFee : t.sellerFee,
      ts: t.ts.getTime(),
    };
  });
  const report = realisedPnlFifo(fills);
  const pnl = new Map(report.fills.map((f) => [f.fillId, f]));
  const newest = rows.map((row, i) => ({ row, fill: fills[i] })).reverse();
  let start = 0;
  if (after !== undefined) {
    start = newest.findIndex((e) => e.row.id === after) + 1;
    if (start === 0) throw new InvalidCursorError();
  }
  const page = newest.slice(start, start + opts.limit);
  const held =
    holds && page.length > 0
      ? await holds(
          db,
          page.map((e) => tradeHoldReference(e.row.id)),
          userId,
        )
      : undefined;
  const items = page.map(({ row, fill }) => {
    const p = pnl.get(row.id);
    const found = held?.get(tradeHoldReference(row.id));
    const hold = found && (found.userId === undefined || found.userId === userId) ? found : undefined;
    return {
      tradeId: row.id,
      cardId: row.variantId,
      side: fill?.side ?? 'buy',
      role: row.makerOwnerId === userId ? ('maker' as const) : ('taker' as const),
      price: Number(row.price),
      quantity: Number(row.quantity),
      fee: Number(fill?.fee ?? 0n),
      costBasis: n(p?.costBasis ?? null),
      realised: n(p?.realised ?? null),
      uncoveredQuantity: Number(p?.uncoveredQuantity ?? 0n),
      ts: row.ts.toISOString(),
      hold: hold
        ? {
            reason: hold.reason,
            releaseAt: new Date(hold.releaseAt).toISOString(),
            released: hold.released ?? false,
          }
        : null,
    };
  });
  const last = page.at(-1);
  return {
    items,
    nextCursor: start + opts.limit < newest.length && last ? encodeIdCursor(last.row.id) : null,
    positions: report.positions.map((p) => ({
      cardId: p.assetId,
      openQuantity: Number(p.openQuantity),
      openCost: Number(p.openCost),
      // Rounded half up to the minor unit; openCost is the exact figure.
      averageCost: p.openQuantity > 0n ? Number((2n * p.openCost + p.openQuantity) / (2n * p.openQuantity)) : null,
      realised: Number(p.realised),
    })),
    totalRealised: Number(report.totalRealised),
  };
}
