import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as admin from './admin-service.ts';
import { requestMeta } from './cookies.ts';
import type { IdentityDeps } from './deps.ts';
import { guard, principalOf } from './guards.ts';
import { IdParams, Page, PageQuery } from './schemas.ts';
import { ActivityItem, AdminUser, AdminUsersQuery, BanBody, RoleBody } from './user-schemas.ts';

const tags = ['admin'];
const security = [{ bearerAuth: [] }];

/** `/api/admin/users/*`: search accounts, change roles, ban and unban. */
export const adminRoutes: FastifyPluginAsyncTypebox<{ deps: IdentityDeps }> = async (app, { deps }) => {
  app.get(
    '/api/admin/users',
    {
      ...guard({ permission: 'users.read' }),
      schema: {
        tags,
        summary: 'Search accounts by username or email, filter by role and status',
        security,
        querystring: AdminUsersQuery,
        response: { 200: Page(AdminUser) },
      },
    },
    async (request) => admin.listUsers(deps, request.query),
  );

  app.get(
    '/api/admin/users/:id/activity',
    {
      ...guard({ permission: 'users.activity' }),
      schema: {
        tags,
        summary: "An account's activity, newest first",
        security,
        params: IdParams,
        querystring: PageQuery,
        response: { 200: Page(ActivityItem) },
      },
    },
    async (request) => admin.userActivity(deps, request.params.id, request.query),
  );

  app.put(
    '/api/admin/users/:id/role',
    {
      ...guard({ permission: 'users.roles' }),
      schema: {
        tags,
        summary: "Change an account's role",
        description: 'Takes effect on the next request of that account. You cannot change your own role.',
        security,
        params: IdParams,
        body: RoleBody,
        response: { 200: AdminUser },
      },
    },
    async (request) =>
      admin.changeRole(deps, principalOf(request), request.params.id, request.body.role, requestMeta(request)),
  );

  app.post(
    '/api/admin/users/:id/ban',
    {
      ...guard({ permission: 'users.ban' }),
      schema: {
        tags,
        summary: 'Ban an account ranked below yours; its sessions end at once',
        security,
        params: IdParams,
        body: BanBody,
        response: { 200: AdminUser },
      },
    },
    async (request) =>
      admin.banUser(deps, principalOf(request), request.params.id, request.body.reason, requestMeta(request)),
  );

  app.post(
    '/api/admin/users/:id/unban',
    {
      ...guard({ permission: 'users.ban' }),
      schema: { tags, summary: 'Lift a ban', security, params: IdParams, response: { 200: AdminUser } },
    },
    async (request) => admin.unbanUser(deps, principalOf(request), request.params.id, requestMeta(request)),
  );
};
