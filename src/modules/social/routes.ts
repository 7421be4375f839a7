import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PlatformContext } from '../../platform/module.ts';
import * as follows from './follow-service.ts';
import * as matching from './match-service.ts';
import * as messages from './message-service.ts';
import { guard, principalOf } from './ports.ts';
import * as profiles from './profile-service.ts';
import {
  FollowBody,
  FollowPage,
  FollowState,
  IdParams,
  MatchBody,
  MatchPage,
  MatchResult,
  Message,
  MessageBody,
  MessageReport,
  MessagesPage,
  MessagesQuery,
  PageQuery,
  Profile,
  ProfileBody,
  ProfilePage,
  ProfilesQuery,
  ReadBody,
  ReadResult,
  ReportBody,
  ReportPage,
  ReportsQuery,
  ResolveBody,
  UsernameParams,
} from './schemas.ts';

const tags = ['social'];
const security = [{ bearerAuth: [] }];
const moderate = guard({ permission: 'content.moderate' });

/** `/api/social/*`: profiles, trade-partner matches, direct messages and follows. */
export const socialRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const { db, config } = ctx;
  const perUser = (max: number) => ({ rateLimit: { max, timeWindow: config.RATE_LIMIT_WINDOW_MS } });
  const viewerId = (p: { userId: string } | undefined | null) => p?.userId ?? null;

  // --- profiles ---

  app.get(
    '/api/social/profiles',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Find collectors',
        description:
          'Public profiles by username prefix (`q`), by a set they collect (`setId`) or a card they want ' +
          '(`wants`), by username. Private collections never appear, nor people on either side of a block.',
        querystring: ProfilesQuery,
        response: { 200: ProfilePage },
      },
    },
    async (request) => profiles.searchProfiles(db, viewerId(request.principal), request.query),
  );

  app.get(
    '/api/social/profiles/:username',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'A collector’s profile',
        description:
          'Bio, showcase cards (only those still held), badges, reputation (completed trades, fraud flags ' +
          'confirmed against them, member since) and follower counts. A private profile answers 404 to ' +
          'everyone but its owner.',
        params: UsernameParams,
        response: { 200: Profile },
      },
    },
    async (request) => profiles.getProfile(db, viewerId(request.principal), request.params.username),
  );

  app.put(
    '/api/social/profile',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Edit your profile',
        description:
          'Any of: `bio` (plain text), `showcase` (variant ids you hold now, no repeats) and `visibility` ' +
          '(your collection’s: `private` keeps you out of searches and matches). Nothing is written unless ' +
          'every field is valid.',
        body: ProfileBody,
        response: { 200: Profile },
      },
    },
    async (request) => profiles.updateProfile(ctx, request, request.body),
  );

  // --- matching ---

  app.post(
    '/api/social/match',
    {
      ...guard('user', perUser(config.SOCIAL_MATCH_RATE_LIMIT_MAX)),
      schema: {
        tags,
        security,
        summary: 'Find trade partners now',
        description:
          'Collectors whose spare copies (beyond the first, in their wallet now: never what is escrowed) ' +
          'cover your wishlist and whose wishlist your spares cover, best first: mutual coverage, then ' +
          'coverage, then catalogue value. Each match carries `offer`, a body for `POST /api/trades`. With ' +
          '`cardIds`/`setIds`, only those wishes of yours count (and your stored matches stay as they were); ' +
          'without, the result also replaces your stored matches. 409 `collection_private` while your ' +
          `collection is private. Limited to ${config.SOCIAL_MATCH_RATE_LIMIT_MAX} per user per window.`,
        body: MatchBody,
        response: { 200: MatchResult },
      },
    },
    async (request) => matching.matchNow(db, principalOf(request).userId, request.body),
  );

  app.get(
    '/api/social/matches',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your stored matches, best first',
        description:
          'Kept up to date as collections and wishlists change. Every suggested card is checked against the ' +
          'wallets as you read; partners who went private or are blocked either way are left out.',
        querystring: PageQuery,
        response: { 200: MatchPage },
      },
    },
    async (request) => matching.listMatches(db, principalOf(request).userId, request.query),
  );

  // --- messages ---

  app.post(
    '/api/social/message',
    {
      ...guard('verified', perUser(config.SOCIAL_MESSAGE_RATE_LIMIT_MAX)),
      schema: {
        tags,
        security,
        summary: 'Send a direct message',
        description:
          `Plain text up to ${messages.MESSAGE_MAX_CHARS} characters (control characters removed). Delivered live ` +
          'on the recipient’s `user.<id>` channel and notified per their preferences (`social.message`). ' +
          `403 \`blocked\` when either of you blocked the other. ${config.SOCIAL_MESSAGE_RATE_LIMIT_MAX} per ` +
          'user per window (429 after).',
        body: MessageBody,
        response: { 201: Message },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await messages.sendMessage(db, principalOf(request).userId, request.body)),
  );

  app.get(
    '/api/social/messages',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Your conversations, or one of them',
        description:
          'Without `with`: your conversations, most recent first, each with its last message and your unread ' +
          'count. With `with=<username>`: that conversation’s messages, newest first.',
        querystring: MessagesQuery,
        response: { 200: MessagesPage },
      },
    },
    async (request) => messages.listMessages(db, principalOf(request).userId, request.query),
  );

  app.post(
    '/api/social/messages/read',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Mark a conversation read',
        description: 'Marks what `with` sent you as read (up to `upTo` when given).',
        body: ReadBody,
        response: { 200: ReadResult },
      },
    },
    async (request) => messages.markRead(db, principalOf(request).userId, request.body),
  );

  app.post(
    '/api/social/messages/:id/report',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Report a message you received',
        description:
          'Goes to the moderators. Only the recipient may report a message (404 otherwise); reporting it again ' +
          'returns your report (200).',
        params: IdParams,
        body: ReportBody,
        response: { 200: MessageReport, 201: MessageReport },
      },
    },
    async (request, reply) => {
      const { created, report } = await messages.reportMessage(
        db,
        principalOf(request).userId,
        request.params.id.toLowerCase(),
        request.body.reason,
      );
      return reply.code(created ? 201 : 200).send(report);
    },
  );

  app.get(
    '/api/social/messages/reports',
    {
      ...moderate,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Reported messages (moderators)',
        description: 'Reports of one status (default `open`) with the reported message, newest first.',
        querystring: ReportsQuery,
        response: { 200: ReportPage },
      },
    },
    async (request) => messages.listReports(db, { ...request.query, status: request.query.status ?? 'open' }),
  );

  app.post(
    '/api/social/messages/reports/:id/resolve',
    {
      ...moderate,
      schema: {
        tags: ['admin'],
        security,
        summary: 'Resolve a message report (moderators)',
        description: '409 `report_resolved` when it was already resolved.',
        params: IdParams,
        body: ResolveBody,
        response: { 200: MessageReport },
      },
    },
    async (request) =>
      messages.resolveReport(db, principalOf(request).userId, request.params.id.toLowerCase(), request.body.outcome),
  );

  // --- follows ---

  app.post(
    '/api/social/follow',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Follow a collector (idempotent)',
        description: '403 `blocked` when they blocked you; 422 `self_action` for yourself.',
        body: FollowBody,
        response: { 200: FollowState },
      },
    },
    async (request) => follows.follow(db, principalOf(request).userId, request.body.username),
  );

  app.delete(
    '/api/social/follow/:username',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Stop following a collector (idempotent)',
        params: UsernameParams,
        response: { 200: FollowState },
      },
    },
    async (request) => follows.unfollow(db, principalOf(request).userId, request.params.username),
  );

  for (const direction of ['followers', 'following'] as const) {
    app.get(
      `/api/social/${direction}`,
      {
        ...guard('user'),
        schema: {
          tags,
          security,
          summary: direction === 'followers' ? 'Who follows you, newest first' : 'Who you follow, newest first',
          querystring: PageQuery,
          response: { 200: FollowPage },
        },
      },
      async (request) => profiles.followList(db, principalOf(request).userId, direction, request.query),
    );
  }
};
