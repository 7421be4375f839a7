import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { runIdempotent } from '../../platform/http/idempotency.ts';
import type { CatalogDeps } from './catalog-service.ts';
import { sendCached } from './http.ts';
import { IdempotencyHeaders, UpgradeBody, UpgradeInfo, UpgradeReply } from './pack-schemas.ts';
import { guard, principalOf } from './ports.ts';
import { IdParams } from './schemas.ts';
import * as stats from './stats-service.ts';
import { CardStatsReply, HistoryQuery, HistoryReply } from './stats-schemas.ts';
import * as upgrades from './upgrade-service.ts';

const tags = ['cards'];
const security = [{ bearerAuth: [] }];

/** Per-card activity: upgrade recipes and attempts, supply statistics and history. */
export const cardActivityRoutes: FastifyPluginAsyncTypebox<{ deps: CatalogDeps }> = async (app, { deps }) => {
  app.get(
    '/api/cards/:id/upgrade',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Upgrade recipes and odds of a card',
        description: 'For each level: copies burned, coin fee and chance of success.',
        params: IdParams,
        response: { 200: UpgradeInfo },
      },
    },
    async (request, reply) => sendCached(reply, await upgrades.upgradeInfo(deps.db, deps.cache, request.params.id)),
  );

  app.post(
    '/api/cards/:id/upgrade',
    {
      ...guard('verified', { idempotent: true }),
      schema: {
        tags,
        security,
        summary: 'Upgrade a card',
        description:
          'Burns the recipe’s copies of `from` and its fee, then rolls with your provably fair seed; on success ' +
          'one copy of the next level is minted to you. 409 `not_enough_copies` / `insufficient_funds` change ' +
          'nothing. Send an `Idempotency-Key` header to make retries safe. Needs a verified email.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: UpgradeBody,
        response: { 201: UpgradeReply },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(deps.db, request, reply, async (tx) => ({
        status: 201,
        body: await upgrades.upgradeCard(tx, userId, request.params.id, request.body.from, request.body.commitment),
      }));
    },
  );

  app.get(
    '/api/cards/:id/stats',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Supply and pull statistics of a card',
        description:
          'Minted and circulating supply per variant, and pulls observed against the configured odds. ' +
          'Refreshed at most every 30 seconds.',
        params: IdParams,
        response: { 200: CardStatsReply },
      },
    },
    async (request, reply) => sendCached(reply, await stats.cardStats(deps, request.params.id)),
  );

  app.get(
    '/api/cards/:id/history',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Movements of a card over time',
        description: 'Per day, week or month: copies pulled, upgraded and burned. Aggregates only, no users.',
        params: IdParams,
        querystring: HistoryQuery,
        response: { 200: HistoryReply },
      },
    },
    async (request) => stats.cardHistory(deps.db, request.params.id, request.query),
  );
};
