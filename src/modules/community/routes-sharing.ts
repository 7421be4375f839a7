import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { guard, principalOf } from './ports.ts';
import { security, tags, viewerOf, writeGuard, type CommunityRouteDeps } from './route-support.ts';
import {
  ForkBody,
  ForkPage,
  ForkResult,
  IdParams,
  PageQuery,
  SharedStrategy,
  Sharing,
  SharingBody,
  TokenPageQuery,
  TokenQuery,
  VersionPage,
} from './schemas.ts';
import * as sharing from './sharing-service.ts';

const NOT_FOUND = ' A private strategy (or an unlisted one without its link token) is 404 to everyone but its owner.';

/** `/api/community/strategies/…`: sharing settings, shared strategies, their versions and forks. */
export const sharingRoutes: FastifyPluginAsyncTypebox<CommunityRouteDeps> = async (app, { ctx }) => {
  const { db } = ctx;
  const write = writeGuard(ctx);
  app.get(
    '/api/community/strategies/:id',
    {
      ...guard('public'),
      schema: {
        tags,
        security,
        summary: 'A shared strategy',
        description:
          'Author, sharing and lineage; the latest version’s code only in open mode (or to its owner).' + NOT_FOUND,
        params: IdParams,
        querystring: TokenQuery,
        response: { 200: SharedStrategy },
      },
    },
    async (request) =>
      sharing.getSharedStrategy(db, viewerOf(request), request.params.id.toLowerCase(), request.query.token),
  );
  app.get(
    '/api/community/strategies/:id/sharing',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'How your strategy is shared (owner only)',
        params: IdParams,
        response: { 200: Sharing },
      },
    },
    async (request) => sharing.getSharing(db, principalOf(request).userId, request.params.id.toLowerCase()),
  );
  app.put(
    '/api/community/strategies/:id/sharing',
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Share your strategy (owner only)',
        description:
          '`visibility`: private (default), unlisted (reachable with `linkToken`) or public (listed); `mode`: protected ' +
          '(others see performance, never code) or open (code visible and forkable). Its bots are shown exactly as ' +
          'the strategy is. Going public announces its bots to your followers.',
        params: IdParams,
        body: SharingBody,
        response: { 200: Sharing },
      },
    },
    async (request) =>
      sharing.setSharing(db, principalOf(request).userId, request.params.id.toLowerCase(), request.body),
  );
  app.get(
    '/api/community/strategies/:id/versions',
    {
      ...guard('public'),
      schema: {
        tags,
        security,
        summary: 'Version history of a shared strategy, newest first',
        description:
          'Version numbers and dates; the document or source too only in open mode (or to its owner).' + NOT_FOUND,
        params: IdParams,
        querystring: TokenPageQuery,
        response: { 200: VersionPage },
      },
    },
    async (request) => sharing.listVersions(db, viewerOf(request), request.params.id.toLowerCase(), request.query),
  );
  app.post(
    '/api/community/strategies/:id/fork',
    {
      ...write,
      schema: {
        tags,
        security,
        summary: 'Fork an open strategy',
        description:
          'Copies one version (default the latest) into a new private strategy of yours, with its lineage. Nothing ' +
          'else is copied: no money, bots, positions or allocations. A protected strategy is 403 `fork_not_allowed`.' +
          NOT_FOUND,
        params: IdParams,
        querystring: TokenQuery,
        body: ForkBody,
        response: { 201: ForkResult },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await sharing.forkStrategy(
            db,
            principalOf(request).userId,
            request.params.id.toLowerCase(),
            request.body,
            request.query.token,
          ),
        ),
  );
  app.get(
    '/api/community/strategies/:id/forks',
    {
      ...guard('user'),
      schema: {
        tags,
        security,
        summary: 'Who forked your strategy (owner only), newest first',
        params: IdParams,
        querystring: PageQuery,
        response: { 200: ForkPage },
      },
    },
    async (request) =>
      sharing.listForks(db, principalOf(request).userId, request.params.id.toLowerCase(), request.query),
  );
};
