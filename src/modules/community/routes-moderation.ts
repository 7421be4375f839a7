import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import * as moderation from './moderation-service.ts';
import { guard, principalOf } from './ports.ts';
import { security, tags, type CommunityRouteDeps } from './route-support.ts';
import { Hidden, HiddenParams, HideBody, IdParams, Report, ReportPage, ReportQuery, ResolveBody } from './schemas.ts';

const moderate = guard({ permission: 'content.moderate' });

/** `/api/community/moderation/…`: the report queue and hiding content (moderators and admins). */
export const moderationRoutes: FastifyPluginAsyncTypebox<CommunityRouteDeps> = async (app, { ctx }) => {
  const { db } = ctx;
  app.get(
    '/api/community/moderation/reports',
    {
      ...moderate,
      schema: {
        tags,
        security,
        summary: 'The report queue, newest first',
        querystring: ReportQuery,
        response: { 200: ReportPage },
      },
    },
    async (request) => moderation.listReports(db, request.query),
  );
  app.post(
    '/api/community/moderation/reports/:id/resolve',
    {
      ...moderate,
      schema: {
        tags,
        security,
        summary: 'Close a report as resolved or dismissed',
        description: '409 `report_closed` when it is no longer open.',
        params: IdParams,
        body: ResolveBody,
        response: { 200: Report },
      },
    },
    async (request) =>
      moderation.closeReport(db, principalOf(request).userId, request.params.id.toLowerCase(), request.body),
  );
  app.post(
    '/api/community/moderation/hidden',
    {
      ...moderate,
      schema: {
        tags,
        security,
        summary: 'Hide a comment, a shared bot or everything a user shared',
        description: 'Hidden content is seen only by its author and moderators. Hiding twice keeps the first.',
        body: HideBody,
        response: { 201: Hidden },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await moderation.hideContent(db, principalOf(request).userId, request.body)),
  );
  app.delete(
    '/api/community/moderation/hidden/:targetType/:targetId',
    {
      ...moderate,
      schema: {
        tags,
        security,
        summary: 'Show hidden content again',
        params: HiddenParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await moderation.unhideContent(db, request.params.targetType, request.params.targetId);
      return reply.code(204).send(null);
    },
  );
};
