import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PlatformContext } from '../../platform/module.ts';
import { guard, principalOf } from '../identity/index.ts';
import { ListQuery, MarkReadBody, MarkReadReply, NotificationPage, UnreadCount } from './schemas.ts';
import { listForUser, markNotificationsRead, unreadCount } from './service.ts';

const tags = ['notifications'];
const security = [{ bearerAuth: [] }];

/** `/api/notifications`: your in-app notifications (also pushed live on the `user.<id>` channel). */
export const notificationRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  app.get(
    '/api/notifications',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'Your notifications, newest first',
        description: 'Pushed live as `{kind: "notification", notification}` on the realtime channel `user.<your id>`.',
        security,
        querystring: ListQuery,
        response: { 200: NotificationPage },
      },
    },
    async (request) => listForUser(ctx.db, principalOf(request).userId, request.query),
  );

  app.post(
    '/api/notifications/read',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'Mark notifications read: the given ids, or all',
        security,
        body: MarkReadBody,
        response: { 200: MarkReadReply },
      },
    },
    async (request) => markNotificationsRead(ctx.db, principalOf(request).userId, request.body),
  );

  app.get(
    '/api/notifications/unread-count',
    {
      ...guard('user'),
      schema: { tags, summary: 'How many notifications are unread', security, response: { 200: UnreadCount } },
    },
    async (request) => unreadCount(ctx.db, principalOf(request).userId),
  );
};
