import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { originOf } from '../../platform/audit/index.ts';
import { createEvent, createPriceEvent, loadEventView, resumeMarket } from './event-service.ts';
import { guard, principalOf } from './ports.ts';
import type { BettingRouteDeps } from './routes.ts';
import { CorrectBody, Event, EventBody, IdParams, PriceEventBody, SettleBody, VoidBody } from './schemas.ts';
import { requestCorrection, requestSettlement, requestVoid } from './settlement.ts';

const tags = ['betting admin'];
const security = [{ bearerAuth: [] }];
const operate = guard({ permission: 'markets.operate' });

/** `/api/admin/betting/…`: operators create, settle, void and correct markets. */
export const adminBettingRoutes: FastifyPluginAsyncTypebox<BettingRouteDeps> = async (
  app,
  { ctx, defaults, enqueue },
) => {
  const { db } = ctx;
  const by = (request: Parameters<typeof principalOf>[0], reason?: string) => ({
    actor: { type: 'user' as const, id: principalOf(request).userId },
    origin: originOf(request),
    reason,
  });
  app.post(
    '/api/admin/betting/events',
    {
      ...operate,
      schema: {
        tags,
        security,
        summary: 'Create an event with its markets and outcomes',
        description:
          'Parimutuel markets: `takeoutBps` (default 1000). Fixed-odds markets: `overroundBps` (default 500) and ' +
          'each outcome’s relative `weight` (fair chance). Unset limits take the configured defaults.',
        body: EventBody,
        response: { 201: Event },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createEvent(db, principalOf(request).userId, request.body, defaults)),
  );
  app.post(
    '/api/admin/betting/price-events',
    {
      ...operate,
      schema: {
        tags,
        security,
        summary: 'Create a card-price event',
        description:
          '"The variant’s 1d close on `date` is above `threshold`" with a Yes/No market, settled automatically ' +
          'from the exchange’s recorded candle once the day is over (no candle: void). Betting closes when the ' +
          'day starts. Cards with too few trades in the last 30 days are refused (422 `thin_market`).',
        body: PriceEventBody,
        response: { 201: Event },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createPriceEvent(db, principalOf(request).userId, request.body, defaults)),
  );
  app.post(
    '/api/admin/betting/markets/:id/settle',
    {
      ...operate,
      schema: {
        tags,
        security,
        summary: 'Settle a market',
        description:
          'Once the event has started. The market moves to `settling` and a job pays the winners exactly once.',
        params: IdParams,
        body: SettleBody,
        response: { 202: Event },
      },
    },
    async (request, reply) => {
      const m = await requestSettlement(
        db,
        by(request, request.body.reason),
        request.params.id.toLowerCase(),
        request.body.outcomeId.toLowerCase(),
        enqueue,
      );
      return reply.code(202).send(await loadEventView(db, m.eventId));
    },
  );
  app.post(
    '/api/admin/betting/markets/:id/void',
    {
      ...operate,
      schema: {
        tags,
        security,
        summary: 'Void a market',
        description: 'An unsettled market only; a job refunds every stake.',
        params: IdParams,
        body: VoidBody,
        response: { 202: Event },
      },
    },
    async (request, reply) => {
      const m = await requestVoid(db, by(request, request.body.reason), request.params.id.toLowerCase(), enqueue);
      return reply.code(202).send(await loadEventView(db, m.eventId));
    },
  );
  app.post(
    '/api/admin/betting/markets/:id/correct',
    {
      ...operate,
      schema: {
        tags,
        security,
        summary: 'Correct a settlement',
        description:
          'A settled market only. Each bet’s payout difference is paid from the house or taken back from the ' +
          'wallet (as far as it holds it); the audit log keeps the old and new outcome and the reason.',
        params: IdParams,
        body: CorrectBody,
        response: { 202: Event },
      },
    },
    async (request, reply) => {
      const m = await requestCorrection(
        db,
        by(request, request.body.reason),
        request.params.id.toLowerCase(),
        request.body.outcomeId.toLowerCase(),
        enqueue,
      );
      return reply.code(202).send(await loadEventView(db, m.eventId));
    },
  );
  app.post(
    '/api/admin/betting/markets/:id/resume',
    {
      ...operate,
      schema: {
        tags,
        security,
        summary: 'Resume a suspended market',
        params: IdParams,
        response: { 200: Event },
      },
    },
    async (request) => resumeMarket(db, principalOf(request).userId, request.params.id.toLowerCase()),
  );
};
