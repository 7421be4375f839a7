import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BotsRouteDeps } from './routes.ts';
import * as backtests from './backtest-service.ts';
import { guard, principalOf } from './ports.ts';
import { Backtest, BacktestBody, BacktestPage, IdParams, PageQuery } from './schemas.ts';

const security = [{ bearerAuth: [] }];
const tags = ['bots'];

/** `/api/backtests`: strategy backtests over the exchange's recorded candles. */
export const backtestRoutes: FastifyPluginAsyncTypebox<BotsRouteDeps> = async (app, { ctx, enqueueBacktest }) => {
  const { db } = ctx;
  app.post(
    '/api/backtests',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Queue a backtest',
        description:
          'Runs the pinned strategy version over the recorded candles of the cards in [from, to) with the exchange’s ' +
          'current fees. Limits fill when the market traded through them; market orders pay half the spread plus ' +
          'slippage. Progress and the result appear on `GET /api/backtests/:id`.',
        body: BacktestBody,
        response: { 202: Backtest },
      },
    },
    async (request, reply) =>
      reply
        .code(202)
        .send(await backtests.createBacktest(db, principalOf(request).userId, request.body, enqueueBacktest)),
  );
  app.get(
    '/api/backtests',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your backtests, newest first',
        querystring: PageQuery,
        response: { 200: BacktestPage },
      },
    },
    async (request) => backtests.listBacktests(db, principalOf(request).userId, request.query),
  );
  app.get(
    '/api/backtests/:id',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'A backtest, its progress and result',
        params: IdParams,
        response: { 200: Backtest },
      },
    },
    async (request) => backtests.getBacktest(db, principalOf(request).userId, request.params.id.toLowerCase()),
  );
  app.delete(
    '/api/backtests/:id',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Cancel a queued or running backtest',
        params: IdParams,
        response: { 200: Backtest },
      },
    },
    async (request) => backtests.cancelBacktest(db, principalOf(request).userId, request.params.id.toLowerCase()),
  );
};
