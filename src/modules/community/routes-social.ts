import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import * as comments from './comment-service.ts';
import * as feed from './feed-service.ts';
import * as moderation from './moderation-service.ts';
import { guard, principalOf } from './ports.ts';
import { security, tags, writeGuard, type CommunityRouteDeps } from './route-support.ts';
import {
  Comment,
  CommentEdit,
  FeedPage,
  FollowState,
  IdParams,
  OwnReport,
  PageQuery,
  ReportBody,
  UsernameParams,
} from './schemas.ts';
import * as social from './social-service.ts';

/** Editing and deleting your comments, following authors, your feed and reports. */
export const communitySocialRoutes: FastifyPluginAsyncTypebox<CommunityRouteDeps> = async (app, { ctx }) => {
  const { db, config } = ctx;
  const write = writeGuard(ctx);
  app.patch(
    '/api/community/comments/:id',
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Edit your comment',
        description: `Within ${config.COMMUNITY_COMMENT_EDIT_MINUTES} minutes of posting (409 \`edit_window_closed\` after).`,
        params: IdParams,
        body: CommentEdit,
        response: { 200: Comment },
      },
    },
    async (request) =>
      comments.editComment(
        db,
        principalOf(request).userId,
        request.params.id.toLowerCase(),
        request.body.body,
        config.COMMUNITY_COMMENT_EDIT_MINUTES,
      ),
  );
  app.delete(
    '/api/community/comments/:id',
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Delete your comment',
        description: 'Its text goes; its place in the thread (and its replies) stay.',
        params: IdParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await comments.deleteComment(db, principalOf(request).userId, request.params.id.toLowerCase());
      return reply.code(204).send(null);
    },
  );
  for (const [method, on] of [
    ['PUT', true],
    ['DELETE', false],
  ] as const) {
    app.route({
      method,
      url: '/api/community/users/:username/follow',
      ...write,
      schema: {
        tags,
        security,
        summary: on ? 'Follow an author (idempotent)' : 'Stop following an author (idempotent)',
        description: on ? '403 `blocked` when they blocked you; 422 `self_action` for yourself.' : undefined,
        params: UsernameParams,
        response: { 200: FollowState },
      },
      handler: async (request) => {
        const { userId } = principalOf(request);
        return on
          ? social.followUser(db, userId, request.params.username)
          : social.unfollowUser(db, userId, request.params.username);
      },
    });
  }
  app.get(
    '/api/community/feed',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Activity of the authors and bots you follow, newest first',
        description: 'Newly shared bots, new versions of shared strategies and notable results. Never code.',
        querystring: PageQuery,
        response: { 200: FeedPage },
      },
    },
    async (request) => feed.listFeed(db, principalOf(request).userId, request.query),
  );
  app.post(
    '/api/community/reports',
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Report a comment, bot or user to the moderators',
        description: 'Reporting the same target again while your report is open returns that report (200).',
        body: ReportBody,
        response: { 200: OwnReport, 201: OwnReport },
      },
    },
    async (request, reply) => {
      const { created, report } = await moderation.fileReport(db, principalOf(request).userId, request.body);
      return reply.code(created ? 201 : 200).send(report);
    },
  );
};
