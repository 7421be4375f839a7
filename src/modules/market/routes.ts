import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { guard, principalOf } from '../identity/index.ts';
import { orderView } from './views.ts';
import { MyOrdersQuery, Order, OrderIdParams, OrderList, PlaceOrderBody } from './schemas.ts';
import { loadMarketSettings } from './config-service.ts';
import { cancelOrder, listMyOrders, placeOrder } from './service.ts';
import { BookWriter } from './book-writer.ts';

const tags = ['market'];
const security = [{ bearerAuth: [] }];
const moving = guard('verified', { idempotent: true });

/** `/api/market/orders…`: the exchange's orders (market data routes are in data-routes.ts). */
export const marketRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db } = ctx;
  const writer = new BookWriter(db);

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
      const { cardId, side, type, quantity, price, timeInForce, expiresAt } = request.body;
      const input = {
        userId: principalOf(request).userId,
        variantId: cardId,
        side,
        type,
        timeInForce: timeInForce ?? 'GTC',
        quantity: BigInt(quantity),
        price: price === undefined ? undefined : BigInt(price),
        expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt),
      };
      // Without an Idempotency-Key the order joins its book's next batch; with one it settles in
      // its own transaction, where the key's stored response commits with it.
      if (request.headers['idempotency-key'] === undefined) {
        const { order, settings } = await writer.place(input);
        return reply.code(201).send(orderView(order, settings));
      }
      return runIdempotent(db, request, reply, async (tx) => {
        const settings = await loadMarketSettings(tx);
        const order = await placeOrder(tx, input, settings);
        return { status: 201, body: orderView(order, settings) };
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
        body: await loadMarketSettings(tx).then(async (settings) =>
          orderView(await cancelOrder(tx, userId, request.params.id, settings), settings),
        ),
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
      const settings = await loadMarketSettings(db);
      return { orders: rows.map((o) => orderView(o, settings)) };
    },
  );
};
