import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { BotsRouteDeps } from './routes.ts';
import * as botsService from './bot-service.ts';
import { MAX_PARITY_TICKS, parityCheck } from './parity-service.ts';
import { guard, principalOf } from './ports.ts';
import {
  Bot,
  BotBody,
  BotOrderPage,
  BotPage,
  BotPatch,
  IdParams,
  PageQuery,
  ParityReport,
  Performance,
  RunPage,
  RunsQuery,
} from './schemas.ts';

const security = [{ bearerAuth: [] }];
const tags = ['bots'];

const ACTIONS = {
  start: {
    summary: 'Start or resume a bot',
    description:
      'A stopped live bot is funded with its allocation from your wallet (409 `insufficient_funds` if short, ' +
      'nothing moves); a paused bot resumes. It first runs at the next candle close.',
  },
  pause: { summary: 'Pause a bot', description: 'No more runs; a live bot’s open orders stay on the book.' },
  stop: {
    summary: 'Stop a bot',
    description: 'Open orders are cancelled, then everything the bot holds returns to your wallet.',
  },
} as const;

/** `/api/bots`: your trading bots, their execution log, orders and performance. */
export const botRoutes: FastifyPluginAsyncTypebox<BotsRouteDeps> = async (app, { ctx, sandbox }) => {
  const { db, config } = ctx;
  const actor = (request: Parameters<typeof principalOf>[0]) => ({ userId: principalOf(request).userId });
  app.get(
    '/api/bots',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your bots, newest first',
        querystring: PageQuery,
        response: { 200: BotPage },
      },
    },
    async (request) => botsService.listBots(db, principalOf(request).userId, request.query),
  );
  app.post(
    '/api/bots',
    {
      ...guard('verified'),
      schema: {
        tags,
        security,
        summary: 'Create a bot (stopped)',
        description: `Paper bots trade a simulated account of \`allocation\` coins; live bots trade on the exchange once started. At most ${config.BOTS_MAX_PER_USER} bots per user.`,
        body: BotBody,
        response: { 201: Bot },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await botsService.createBot(db, principalOf(request).userId, request.body, config.BOTS_MAX_PER_USER)),
  );
  app.get(
    '/api/bots/:id',
    { ...guard('user'), schema: { tags, security, summary: 'A bot', params: IdParams, response: { 200: Bot } } },
    async (request) => botsService.getBot(db, actor(request), request.params.id.toLowerCase()),
  );
  app.patch(
    '/api/bots/:id',
    {
      ...guard('verified'),
      schema: {
        tags,
        security,
        summary: 'Change a bot',
        description:
          'Name and protections any time; strategy version, cards and interval while not running; allocation while stopped.',
        params: IdParams,
        body: BotPatch,
        response: { 200: Bot },
      },
    },
    async (request) => botsService.updateBot(db, actor(request), request.params.id.toLowerCase(), request.body),
  );
  app.delete(
    '/api/bots/:id',
    {
      ...guard('verified'),
      schema: { tags, security, summary: 'Delete a stopped bot', params: IdParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await botsService.deleteBot(db, actor(request), request.params.id.toLowerCase());
      return reply.code(204).send(null);
    },
  );
  for (const action of ['start', 'pause', 'stop'] as const) {
    app.post(
      `/api/bots/:id/${action}`,
      {
        ...guard('verified'),
        schema: { tags, security, ...ACTIONS[action], params: IdParams, response: { 200: Bot } },
      },
      async (request) => {
        const id = request.params.id.toLowerCase();
        if (action === 'start') return botsService.startBot(db, actor(request), id);
        if (action === 'pause') return botsService.pauseBot(db, actor(request), id, 'paused by the owner');
        return botsService.stopBot(db, actor(request), id);
      },
    );
  }
  app.get(
    '/api/bots/:id/runs',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'The execution log, newest first',
        params: IdParams,
        querystring: RunsQuery,
        response: { 200: RunPage },
      },
    },
    async (request) => botsService.listRuns(db, actor(request), request.params.id.toLowerCase(), request.query),
  );
  app.get(
    '/api/bots/:id/orders',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Orders the bot placed, newest first',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: BotOrderPage },
      },
    },
    async (request) => botsService.listBotOrders(db, actor(request), request.params.id.toLowerCase(), request.query),
  );
  app.get(
    '/api/bots/:id/performance',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Equity curve, round trips and metrics',
        description:
          'Metrics over too few trades or too short a period say `insufficient` and why instead of a number.',
        params: IdParams,
        response: { 200: Performance },
      },
    },
    async (request) => botsService.botPerformance(db, actor(request), request.params.id.toLowerCase()),
  );
  app.get(
    '/api/bots/:id/parity',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Replay the bot as a backtest and compare decisions',
        description:
          'Replays the bot’s logged runs (the first ' +
          MAX_PARITY_TICKS +
          ') with its pinned strategy version over the recorded candles, starting from its allocation and ' +
          'deciding at the same ticks, and compares each tick’s intents with the logged ones. A paper bot ' +
          'matches throughout; a live bot matches until its real fills differ from the fill model’s. The ' +
          'first differing tick is reported with both sides.',
        params: IdParams,
        response: { 200: ParityReport },
      },
    },
    async (request) => parityCheck(db, sandbox, actor(request), request.params.id.toLowerCase()),
  );
  app.post(
    '/api/admin/bots/:id/pause',
    {
      ...guard({ permission: 'bots.operate' }),
      schema: { tags: ['admin'], security, summary: 'Pause any bot', params: IdParams, response: { 200: Bot } },
    },
    async (request) =>
      botsService.pauseBot(
        db,
        { userId: principalOf(request).userId, any: true },
        request.params.id.toLowerCase(),
        'paused by an admin',
      ),
  );
};
