import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { guard, principalOf } from '../identity/index.ts';
import { bookOf, candlesOf, orderView, tickerOf, tradesPage } from './data-service.ts';
import {
  BookQuery,
  BookReply,
  CandlesQuery,
  CandlesReply,
  CardParams,
  MyOrdersQuery,
  Order,
  OrderIdParams,
  OrderList,
  PlaceOrderBody,
  TickerReply,
  TradesQuery,
  TradesReply,
} from './schemas.ts';
import { cancelOrder, listMyOrders, placeOrder } from './service.ts';

const tags = ['market'];
const security = [{ bearerAuth: [] }];
const moving = guard('verified', { idempotent: true });

/** `/api/market/*`: the exchange's orders and its public market data. */
export const marketRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db } = ctx;

  app.post(
    '/api/market/orders',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Place an order',
        description:
          'Escrows the cards (sell) or price × quantity plus the maximum fee (buy), then matches at the resting ' +
          "orders' prices. Send an `Idempotency-Key` header to make retries safe. Needs a verified email.",
        headers: IdempotencyHeaders,
        body: PlaceOrderBody,
        response: { 201: Order },
      },
    },
    async (request, reply) => {
      const { cardId, side, type, quantity, price, timeInForce } = request.body;
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => {
        const order = await placeOrder(tx, {
          userId,
          variantId: cardId,
          side,
          type,
          timeInForce: timeInForce ?? 'GTC',
          quantity: BigInt(quantity),
          price: price === undefined ? undefined : BigInt(price),
        });
        return { status: 201, body: orderView(order) };
      });
    },
  );

  app.delete(
    '/api/market/orders/:id',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Cancel your order',
        description: 'Returns what its escrow still holds. Another user’s order answers 404.',
        headers: IdempotencyHeaders,
        params: OrderIdParams,
        response: { 200: Order },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 200,
        body: orderView(await cancelOrder(tx, userId, request.params.id)),
      }));
    },
  );

  app.get(
    '/api/market/orders',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your orders',
        description: 'Open orders, or done ones (filled or cancelled), newest first.',
        querystring: MyOrdersQuery,
        response: { 200: OrderList },
      },
    },
    async (request) => {
      const { status, limit } = request.query;
      const rows = await listMyOrders(db, principalOf(request).userId, status, limit);
      return { orders: rows.map((o) => orderView(o)) };
    },
  );

  app.get(
    '/api/market/:cardId/book',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Order book depth',
        description: 'Open quantity aggregated by price, best first; `cardId` is the card variant.',
        params: CardParams,
        querystring: BookQuery,
        response: { 200: BookReply },
      },
    },
    async (request) => bookOf(db, request.params.cardId, request.query.levels),
  );

  app.get(
    '/api/market/:cardId/trades',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Trade history',
        description: 'Executions newest first; pass `nextCursor` back as `cursor` for older ones.',
        params: CardParams,
        querystring: TradesQuery,
        response: { 200: TradesReply },
      },
    },
    async (request) => tradesPage(db, request.params.cardId, request.query.limit, request.query.cursor),
  );

  app.get(
    '/api/market/:cardId/ticker',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: '24 h ticker',
        description: 'Last price, best bid and ask, 24 h change, high, low and volume; thin below 5 trades.',
        params: CardParams,
        response: { 200: TickerReply },
      },
    },
    async (request) => tickerOf(db, request.params.cardId),
  );

  app.get(
    '/api/market/:cardId/candles',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'OHLCV candles',
        description: 'Candles in [from, to) kept current trade by trade; intervals without trades are absent.',
        params: CardParams,
        querystring: CandlesQuery,
        response: { 200: CandlesReply },
      },
    },
    async (request) => {
      const { interval, from, to } = request.query;
      return candlesOf(db, request.params.cardId, interval, new Date(from), new Date(to));
    },
  );
};
