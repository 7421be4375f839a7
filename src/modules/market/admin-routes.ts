import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { originOf } from '../../platform/audit/index.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { guard, principalOf } from '../identity/index.ts';
import { configView, loadMarketSettings, saveMarketSettings } from './config-service.ts';

const MarketConfigBody = Type.Object(
  {
    commissionBps: Type.Integer({ minimum: 0, maximum: 5000, description: 'Commission in basis points (500 = 5 %).' }),
    minimumFee: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Smallest commission, minor units.' }),
    priceBand: Type.Integer({
      minimum: 2,
      maximum: 1000,
      description: 'Orders priced outside [last / band, last × band] are refused.',
    }),
    marketProtectionBps: Type.Integer({
      minimum: 1,
      maximum: 10_000,
      description: 'A market order never fills further than this from the best price at arrival.',
    }),
  },
  { additionalProperties: false },
);

const MarketConfigReply = Type.Object({
  commissionBps: Type.Integer(),
  minimumFee: Type.Integer(),
  feePayer: Type.String({ description: 'Who pays the commission: the buyer, on top of the price.' }),
  priceBand: Type.Integer(),
  marketProtectionBps: Type.Integer(),
  tickSize: Type.Integer(),
});

const tags = ['admin'];
const security = [{ bearerAuth: [] }];

/** `/api/admin/market/config`: the exchange's fees, price band and market-order protection. */
export const marketAdminRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  app.get(
    '/api/admin/market/config',
    {
      ...guard({ permission: 'markets.operate' }),
      schema: {
        tags,
        security,
        summary: 'Exchange settings',
        description: 'The commission, price band and market-order protection in force.',
        response: { 200: MarketConfigReply },
      },
    },
    async () => configView(await loadMarketSettings(ctx.db)),
  );

  app.put(
    '/api/admin/market/config',
    {
      ...guard({ permission: 'markets.operate' }),
      schema: {
        tags,
        security,
        summary: 'Change the exchange settings',
        description:
          'Replaces the commission, price band and market-order protection. Orders already placed keep the ' +
          'commission terms they were placed and escrowed under; the change is audited.',
        body: MarketConfigBody,
        response: { 200: MarketConfigReply },
      },
    },
    async (request) => {
      const actor = principalOf(request).userId;
      const saved = await withTransaction(ctx.db, (tx) =>
        saveMarketSettings(tx, request.body, actor, originOf(request)),
      );
      return configView(saved);
    },
  );
};
