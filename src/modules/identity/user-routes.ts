import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { clearSessionCookies, requestMeta } from './cookies.ts';
import type { IdentityDeps } from './deps.ts';
import { guard, principalOf } from './guards.ts';
import * as profiles from './profile-service.ts';
import { Me, Page, PageQuery } from './schemas.ts';
import {
  ActivityItem,
  DeleteAccountBody,
  ProfileBody,
  PublicProfile,
  Settings,
  SettingsBody,
  UsernameParams,
} from './user-schemas.ts';

const tags = ['users'];
const security = [{ bearerAuth: [] }];

/** `/api/users/*`: profile, settings, activity, account deletion, public profiles. */
export const userRoutes: FastifyPluginAsyncTypebox<{ deps: IdentityDeps }> = async (app, { deps }) => {
  app.put(
    '/api/users/profile',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'Update your profile',
        description: 'Send only the fields to change; `null` clears an optional field.',
        security,
        body: ProfileBody,
        response: { 200: Me },
      },
    },
    async (request) => profiles.updateProfile(deps, principalOf(request), request.body, requestMeta(request)),
  );

  app.get(
    '/api/users/settings',
    { ...guard('user'), schema: { tags, summary: 'Your settings', security, response: { 200: Settings } } },
    async (request) => profiles.getSettings(deps, principalOf(request).userId),
  );

  app.put(
    '/api/users/settings',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'Update your settings',
        description: 'Notification preferences merge per type: types you do not send keep their setting.',
        security,
        body: SettingsBody,
        response: { 200: Settings },
      },
    },
    async (request) => profiles.updateSettings(deps, principalOf(request).userId, request.body),
  );

  app.get(
    '/api/users/activity',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'Your account activity (sign-ins, sessions, password and role changes, bans), newest first',
        security,
        querystring: PageQuery,
        response: { 200: Page(ActivityItem) },
      },
    },
    async (request) => profiles.listOwnActivity(deps, principalOf(request).userId, request.query),
  );

  app.delete(
    '/api/users/account',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'Delete your account',
        description:
          'Requires your password. Ends every session and erases your personal data; records others depend on ' +
          '(trades, ledger entries) stay, attributed to an anonymous account. The email can register again.',
        security,
        body: DeleteAccountBody,
        response: { 204: Type.Null({ description: 'Deleted' }) },
      },
    },
    async (request, reply) => {
      await profiles.deleteAccount(deps, principalOf(request), request.body.password);
      clearSessionCookies(reply);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/users/:username',
    {
      ...guard('public'),
      schema: { tags, summary: 'A public profile', params: UsernameParams, response: { 200: PublicProfile } },
    },
    async (request) => profiles.getPublicProfile(deps, request.params.username),
  );
};
