import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { PlatformContext } from '../../platform/module.ts';
import { guard, principalOf } from '../identity/index.ts';
import { MarketDataCache, marketDataKeys, marketDataStore } from './data-cache.ts';
import {
  BookQuery,
  BookReply,
  CandlesQuery,
  CandlesReply,
  HistoryQuery,
  HistoryReply,
  TickerReply,
  TickersQuery,
  TickersReply,
  TradesQuery,
  TradesReply,
} from './data-schemas.ts';
import {
  bookOf,
  candlesOf,
  checkCandleRange,
  historyOf,
  tickerOf,
  tickersOf,
  tradesPage,
  type HoldLookup,
} from './data-service.ts';
import { bucketStart, seriesLength } from './engine/index.ts';
import { CardParams } from './schemas.ts';

const tags = ['market'];

export interface MarketDataRoutesOptions {
  ctx: PlatformContext;
  /** Fraud review holds of trades, shown on the fills they concern. */
  holds?: HoldLookup;
}

const CACHED =
  ' Cached for a few seconds and dropped as soon as the card trades or its book changes. Public, limited per address.';

/** `/api/market/…` market data: depth, trades, tickers, candles (public, cached) and your fills. */
export const marketDataRoutes: FastifyPluginAsyncTypebox<MarketDataRoutesOptions> = async (app, { ctx, holds }) => {
  const { db, config } = ctx;
  const store = await marketDataStore(ctx.cache, db);
  const cache = new MarketDataCache(store, config.MARKET_DATA_CACHE_TTL_MS, ctx.metrics, ctx.logger);
  // Cached replies are kept as the JSON text they are sent as: a hit parses and serialises nothing.
  const cachedReply = async (reply: FastifyReply, key: string, load: () => Promise<unknown>) =>
    reply.type('application/json; charset=utf-8').send(await cache.readJson(key, load));
  // Public reads are limited per address, signed in or not, with their own budget.
  const publicData = guard('public', {
    rateLimit: {
      max: config.MARKET_DATA_RATE_LIMIT_MAX,
      timeWindow: config.RATE_LIMIT_WINDOW_MS,
      keyGenerator: (request: { ip: string }) => request.ip,
    },
  });

  app.get(
    '/api/market/tickers',
    {
      ...publicData,
      schema: {
        tags,
        summary: 'Tickers of every traded card',
        description:
          'The 24 h ticker of every card variant that has traded or has open orders (or of the listed `cardIds` ' +
          'among them), busiest first by 24 h volume. Thin: fewer than 5 trades in 24 h.' +
          CACHED,
        querystring: TickersQuery,
        response: { 200: TickersReply },
      },
    },
    async (request, reply) => {
      const { cardIds, limit } = request.query;
      return cachedReply(reply, marketDataKeys.tickers(limit, cardIds), () => tickersOf(db, { cardIds, limit }));
    },
  );

  app.get(
    '/api/market/history',
    {
      ...guard('user'),
      schema: {
        tags,
        security: [{ bearerAuth: [] }],
        summary: 'Your fills with realised profit',
        description:
          'Your executions newest first (pass `nextCursor` back as `cursor`), with the side from your point of ' +
          'view, maker or taker, the fee you paid and any review hold on what you received. Realised profit uses ' +
          'a FIFO cost basis and is net of fees: a buy costs price × quantity plus its fee, a sale brings ' +
          'price × quantity minus its fee. Cards sold without a recorded purchase (packs, gifts) are left out of ' +
          'realised profit and counted in `uncoveredQuantity`. `positions` sums up every card you traded.',
        querystring: HistoryQuery,
        response: { 200: HistoryReply },
      },
    },
    async (request) =>
      historyOf(db, principalOf(request).userId, { limit: request.query.limit, cursor: request.query.cursor }, holds),
  );

  app.get(
    '/api/market/:cardId/book',
    {
      ...publicData,
      schema: {
        tags,
        summary: 'Order book depth',
        description: 'Open quantity aggregated by price, best first.' + CACHED,
        params: CardParams,
        querystring: BookQuery,
        response: { 200: BookReply },
      },
    },
    async (request, reply) => {
      const { cardId } = request.params;
      const { levels } = request.query;
      return cachedReply(reply, marketDataKeys.book(cardId, levels), () => bookOf(db, cardId, levels));
    },
  );

  app.get(
    '/api/market/:cardId/trades',
    {
      ...publicData,
      schema: {
        tags,
        summary: 'Trade history',
        description:
          'Executions newest first; pass `nextCursor` back as `cursor` for older ones. The first page is cached ' +
          'for a few seconds and dropped as soon as the card trades. Public, limited per address.',
        params: CardParams,
        querystring: TradesQuery,
        response: { 200: TradesReply },
      },
    },
    async (request, reply) => {
      const { cardId } = request.params;
      const { limit, cursor } = request.query;
      if (cursor !== undefined) return tradesPage(db, cardId, limit, cursor);
      return cachedReply(reply, marketDataKeys.firstTrades(cardId, limit), () => tradesPage(db, cardId, limit));
    },
  );

  app.get(
    '/api/market/:cardId/ticker',
    {
      ...publicData,
      schema: {
        tags,
        summary: '24 h ticker',
        description:
          'Last price, best bid and ask, 24 h change, high, low, volume and trade count; thin below 5 trades.' + CACHED,
        params: CardParams,
        response: { 200: TickerReply },
      },
    },
    async (request, reply) => {
      const { cardId } = request.params;
      return cachedReply(reply, marketDataKeys.ticker(cardId), () => tickerOf(db, cardId));
    },
  );

  app.get(
    '/api/market/:cardId/candles',
    {
      ...publicData,
      schema: {
        tags,
        summary: 'OHLCV candles',
        description:
          'One entry per interval of [from, to), the first being the interval holding `from` (UTC-aligned). ' +
          'Candles are kept current trade by trade; an interval without trades is explicit, with null prices ' +
          'and zero volume (no price is carried over). Each candle is thin when the card had fewer than 5 trades ' +
          'in the 24 h ending with it; the top-level `thin` is the card now. At most 5000 intervals.' +
          CACHED,
        params: CardParams,
        querystring: CandlesQuery,
        response: { 200: CandlesReply },
      },
    },
    async (request, reply) => {
      const { cardId } = request.params;
      const { interval } = request.query;
      const from = new Date(request.query.from);
      const to = new Date(request.query.to);
      checkCandleRange(interval, from, to);
      const first = bucketStart(from.getTime(), interval);
      const buckets = seriesLength(interval, from.getTime(), to.getTime());
      return cachedReply(reply, marketDataKeys.candles(cardId, interval, first, buckets), () =>
        candlesOf(db, cardId, interval, from, to),
      );
    },
  );
};
