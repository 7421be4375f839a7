import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { BotsRouteDeps } from './routes.ts';
import { guard, principalOf } from './ports.ts';
import { IdParams, PageQuery, Strategy, StrategyBody, StrategyPage, TemplateList, VersionBody } from './schemas.ts';
import * as strategies from './strategy-service.ts';
import { STRATEGY_TEMPLATES } from './templates.ts';

const security = [{ bearerAuth: [] }];
const tags = ['bots'];

/** `/api/strategies`: your strategies, their versions and the built-in templates. */
export const strategyRoutes: FastifyPluginAsyncTypebox<BotsRouteDeps> = async (app, { ctx, sandbox }) => {
  const { db } = ctx;
  app.get(
    '/api/strategies/templates',
    {
      ...guard('user'),
      schema: { tags, security, summary: 'Built-in strategy templates to start from', response: { 200: TemplateList } },
    },
    async () => ({ items: STRATEGY_TEMPLATES.map((t) => ({ ...t })) }),
  );
  app.get(
    '/api/strategies',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your strategies, newest first',
        querystring: PageQuery,
        response: { 200: StrategyPage },
      },
    },
    async (request) => strategies.listStrategies(db, principalOf(request).userId, request.query),
  );
  app.post(
    '/api/strategies',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Create a strategy (version 1)',
        description:
          'Kind `rules`: a rules document (400 names the place inside it that is wrong). Kind `code`: JavaScript ' +
          'defining `function decide(input)`, compiled in the sandbox (a syntax error is a 400 with its line).',
        body: StrategyBody,
        response: { 201: Strategy },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await strategies.createStrategy(db, sandbox, principalOf(request).userId, request.body)),
  );
  app.get(
    '/api/strategies/:id',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'A strategy with its latest version',
        params: IdParams,
        response: { 200: Strategy },
      },
    },
    async (request) => strategies.getStrategy(db, principalOf(request).userId, request.params.id.toLowerCase()),
  );
  app.post(
    '/api/strategies/:id/versions',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Edit a strategy: adds the next version',
        description: 'Versions never change; bots keep the version they pinned until you move them to a new one.',
        params: IdParams,
        body: VersionBody,
        response: { 201: Strategy },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await strategies.addVersion(
            db,
            sandbox,
            principalOf(request).userId,
            request.params.id.toLowerCase(),
            request.body,
          ),
        ),
  );
};
