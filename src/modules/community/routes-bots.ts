import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as pages from './bot-pages-service.ts';
import * as comments from './comment-service.ts';
import { guard, principalOf } from './ports.ts';
import { security, tags, viewerOf, writeGuard, type CommunityRouteDeps } from './route-support.ts';
import {
  BotListQuery,
  Comment,
  CommentBody,
  CommentPage,
  FollowState,
  IdParams,
  LikeState,
  SharedBotPage,
  SharedBotProfile,
  TokenPageQuery,
  TokenQuery,
} from './schemas.ts';
import * as social from './social-service.ts';

const HIDDEN =
  ' A bot whose strategy is private (or unlisted, without the strategy’s link token) is 404 to everyone but its owner.';

/** `/api/community/bots/…`: shared bot pages, their comments, likes and follows. */
export const communityBotRoutes: FastifyPluginAsyncTypebox<CommunityRouteDeps> = async (app, { ctx }) => {
  const { db, config } = ctx;
  const write = writeGuard(ctx);
  app.get(
    '/api/community/bots',
    {
      ...guard('public'),
      schema: {
        tags,
        security,
        summary: 'Browse shared bots',
        description:
          'Bots of public strategies. `q` matches words in the bot or strategy name or description, or an author’s ' +
          'username exactly. `sort`: newest, followers, likes, or return / sharpe on the leaderboard of `period` ' +
          '(unranked bots last). Figures are computed by the platform.',
        querystring: BotListQuery,
        response: { 200: SharedBotPage },
      },
    },
    async (request) => pages.listSharedBots(db, viewerOf(request), request.query),
  );
  app.get(
    '/api/community/bots/:id',
    {
      ...guard('public'),
      schema: {
        tags,
        security,
        summary: 'A shared bot’s page',
        description:
          `Author, sharing, the platform’s performance report and recent trades; the code of its version only in ` +
          `open mode. A live bot’s trades and equity show up to ${config.COMMUNITY_TRADE_DELAY_MINUTES} minutes ` +
          `ago, so nobody trades ahead of it.` +
          HIDDEN,
        params: IdParams,
        querystring: TokenQuery,
        response: { 200: SharedBotProfile },
      },
    },
    async (request) =>
      pages.getSharedBot(db, viewerOf(request), request.params.id.toLowerCase(), {
        token: request.query.token,
        delayMinutes: config.COMMUNITY_TRADE_DELAY_MINUTES,
      }),
  );
  app.get(
    '/api/community/bots/:id/comments',
    {
      ...guard('public'),
      schema: {
        tags,
        security,
        summary: 'Comments on a shared bot, newest first',
        description:
          'Replies name their `parentId`. Deleted and moderated comments keep their place without text.' + HIDDEN,
        params: IdParams,
        querystring: TokenPageQuery,
        response: { 200: CommentPage },
      },
    },
    async (request) => comments.listComments(db, viewerOf(request), request.params.id.toLowerCase(), request.query),
  );
  app.post(
    '/api/community/bots/:id/comments',
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Comment on a shared bot, or reply to a comment',
        description:
          `Plain text up to 2000 characters (control characters are removed). Editable for ` +
          `${config.COMMUNITY_COMMENT_EDIT_MINUTES} minutes. 403 \`blocked\` when the bot’s owner or the parent’s ` +
          `author blocked you.`,
        params: IdParams,
        querystring: TokenQuery,
        body: CommentBody,
        response: { 201: Comment },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await comments.addComment(
            db,
            principalOf(request).userId,
            request.params.id.toLowerCase(),
            request.body,
            request.query.token,
          ),
        ),
  );
  for (const [method, liked] of [
    ['PUT', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/api/community/bots/:id/like',
      ...write,
      schema: {
        tags,
        security,
        summary: liked ? 'Like a shared bot (idempotent)' : 'Remove your like (idempotent)',
        params: IdParams,
        querystring: TokenQuery,
        response: { 200: LikeState },
      },
      handler: async (request) =>
        social.setLike(db, principalOf(request).userId, request.params.id.toLowerCase(), liked, request.query.token),
    });
    app.route({
      method,
      url: '/api/community/bots/:id/follow',
      ...write,
      schema: {
        tags,
        security,
        summary: liked ? 'Follow a shared bot (idempotent)' : 'Stop following a bot (idempotent)',
        description: liked ? 'Its new results and its strategy’s new versions reach your feed.' : undefined,
        params: IdParams,
        querystring: TokenQuery,
        response: { 200: FollowState },
      },
      handler: async (request) => {
        const { userId } = principalOf(request);
        const id = request.params.id.toLowerCase();
        return liked
          ? social.followBot(db, userId, id, request.query.token)
          : social.unfollowBot(db, userId, id, request.query.token);
      },
    });
  }
};
