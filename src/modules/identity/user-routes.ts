import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { clearSessionCookies, requestMeta } from './cookies.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { buildExport } from '../../platform/privacy/export.ts';
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

/** An export reads every module's history of the user: a few per quarter hour are plenty. */
const EXPORT_RATE_LIMIT = { max: 3, timeWindow: 15 * 60_000 };

const DataExport = Type.Object({
  format: Type.Literal('ece-export/1'),
  userId: Type.String({ format: 'uuid' }),
  exportedAt: Type.String({ format: 'date-time' }),
  rowCapPerList: Type.Integer({ description: 'Each list holds at most this many rows, newest first' }),
  truncated: Type.Boolean({ description: 'Whether any list was cut at the cap (its own `truncated` is true)' }),
  sections: Type.Record(Type.String(), Type.Unknown(), {
    description: 'One entry per module (`account`, `wallet`, `trades`, …); amounts as decimal strings, times ISO 8601',
  }),
});

/** `/api/users/*`: profile, settings, activity, account deletion, public profiles. */
export const userRoutes: FastifyPluginAsyncTypebox<{ deps: IdentityDeps; ctx: PlatformContext }> = async (
  app,
  { deps, ctx },
) => {
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

  app.get(
    '/api/users/export',
    {
      ...guard('user', { rateLimit: EXPORT_RATE_LIMIT }),
      schema: {
        tags,
        summary: 'Download your data',
        description:
          'One JSON document with everything the platform holds about you, per module: profile and settings, ' +
          'activity, wallet and ledger history, payments, cards and pack openings, orders, trades, listings, bots, ' +
          'community and social data, rewards, bets, campaigns and notifications. Each list holds your newest ' +
          `rows, at most \`rowCapPerList\`, and says \`truncated: true\` when there are more. Never contains password ` +
          'or token hashes, nor other people’s data beyond the usernames of your counterparties. Limited to ' +
          `${EXPORT_RATE_LIMIT.max} per ${EXPORT_RATE_LIMIT.timeWindow / 60_000} minutes.`,
        security,
        response: { 200: DataExport },
      },
    },
    async (request, reply) => {
      const document = await buildExport(ctx, principalOf(request).userId);
      void reply
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="ece-export-${document.exportedAt.slice(0, 10)}.json"`);
      return document;
    },
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
