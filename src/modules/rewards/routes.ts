import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IdempotencyHeaders, runIdempotent } from '../../platform/http/idempotency.ts';
import { originOf } from '../../platform/audit/index.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { guard, principalOf } from './ports.ts';
import {
  AchievementList,
  BackfillBody,
  BackfillReply,
  BadgeList,
  CheckinReply,
  CodeParams,
  CreateAchievementBody,
  CreateAchievementReply,
  LeaderboardPage,
  PageQuery,
  PointsPage,
  Achievement,
} from './schemas.ts';
import * as service from './service.ts';

const tags = ['rewards'];
const security = [{ bearerAuth: [] }];
const moving = guard('verified', { idempotent: true });
const manage = guard({ permission: 'rewards.manage' });

/** `/api/rewards/*` and `/api/admin/rewards/*`: badges, achievements, check-ins and points. */
export const rewardsRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db } = ctx;

  app.post(
    '/api/rewards/checkin',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Check in for today',
        description:
          'Once per UTC day. Pays points (more the longer your streak, up to its 7th day); a check-in the day after ' +
          'the last one extends the streak, a missed day starts it again. A second check-in today: 409 ' +
          '`already_checked_in`. Needs a verified email.',
        headers: IdempotencyHeaders,
        response: { 201: CheckinReply },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      return runIdempotent(db, request, reply, async (tx) => {
        const r = await service.checkin(tx, userId);
        return {
          status: 201,
          body: { ...r, points: Number(r.points), nextPoints: Number(r.nextPoints) },
        };
      });
    },
  );

  app.get(
    '/api/rewards/badges',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Badges: the catalogue and mine',
        description: 'Every badge with how to earn it; `earnedAt` is set on the ones you have.',
        response: { 200: BadgeList },
      },
    },
    async (request) => service.badges(db, principalOf(request).userId),
  );

  app.get(
    '/api/rewards/achievements',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'My achievements with progress',
        description:
          'Progress toward each achievement, when it was completed and paid, and whether it waits for a claim.',
        response: { 200: AchievementList },
      },
    },
    async (request) => service.achievements(db, principalOf(request).userId),
  );

  app.get(
    '/api/rewards/points',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'My points',
        description: 'Points balance (a ledger asset; points cannot be sent to other users) and what you were paid.',
        querystring: PageQuery,
        response: { 200: PointsPage },
      },
    },
    async (request) => service.points(db, principalOf(request).userId, request.query),
  );

  app.post(
    '/api/rewards/claim/:id',
    {
      ...moving,
      schema: {
        tags,
        security,
        summary: 'Claim an achievement’s reward',
        description:
          'For completed achievements whose payout is `claim`; paid once (a second claim: 409 `not_claimable`). ' +
          'Send an `Idempotency-Key` header to make retries safe. Needs a verified email.',
        headers: IdempotencyHeaders,
        params: CodeParams,
        response: { 200: Achievement },
      },
    },
    async (request, reply) => {
      const userId = principalOf(request).userId;
      const { id } = request.params;
      return runIdempotent(db, request, reply, async (tx) => ({
        status: 200,
        body: await service.claim(tx, userId, id),
      }));
    },
  );

  app.get(
    '/api/rewards/leaderboard',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Points leaderboard',
        description: 'Users by points held, most first; equal holdings by user id.',
        querystring: PageQuery,
        response: { 200: LeaderboardPage },
      },
    },
    async (request) => service.leaderboard(db, request.query),
  );

  app.post(
    '/api/admin/rewards/achievements',
    {
      ...manage,
      schema: {
        tags,
        security,
        summary: 'Add an achievement',
        description:
          'A new badge with a declarative rule over recorded facts. Everyone who already qualifies is awarded it ' +
          'at once (and paid, when it pays automatically). Needs the `rewards.manage` permission.',
        body: CreateAchievementBody,
        response: { 201: CreateAchievementReply },
      },
    },
    async (request, reply) => {
      const actor = { userId: principalOf(request).userId, origin: originOf(request) };
      return reply.code(201).send(await service.createAchievement(db, request.body, new Date(), actor));
    },
  );

  app.post(
    '/api/admin/rewards/backfill',
    {
      ...manage,
      schema: {
        tags,
        security,
        summary: 'Backfill achievements over the history',
        description:
          'Evaluates one achievement (or every one whose rule has not been evaluated yet) over the stored facts and ' +
          'awards everyone who qualifies. Safe to repeat. Needs the `rewards.manage` permission.',
        body: BackfillBody,
        response: { 200: BackfillReply },
      },
    },
    async (request) => {
      const { code } = request.body;
      return { items: code ? [await service.backfillAchievement(db, code)] : await service.backfillPending(db) };
    },
  );
};
