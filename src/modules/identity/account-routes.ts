import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import * as account from './account-service.ts';
import { requestMeta } from './cookies.ts';
import type { IdentityDeps } from './deps.ts';
import { guard, principalOf } from './guards.ts';
import { Accepted, ChangePasswordBody, Done, EmailBody, ResetPasswordBody, TokenBody } from './schemas.ts';

const tags = ['auth'];
const bearer = [{ bearerAuth: [] }];
const accepted = (message: string) => ({ status: 'accepted' as const, message });

/** `/api/auth/*` for email verification, password reset and password change. */
export const accountRoutes: FastifyPluginAsyncTypebox<{ deps: IdentityDeps }> = async (app, { deps }) => {
  app.post(
    '/api/auth/verify-email',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Confirm an email address with the mailed token',
        body: TokenBody,
        response: { 200: Done },
      },
    },
    async (request) => {
      await account.verifyEmail(deps, request.body.token, requestMeta(request));
      return { status: 'ok' as const };
    },
  );

  app.post(
    '/api/auth/resend-verification',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Mail a new confirmation link',
        description: 'Always 202 with the same body, whether or not the address has an unverified account.',
        body: EmailBody,
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      await account.resendVerification(deps, request.body.email, requestMeta(request));
      return reply.status(202).send(accepted('If this address has an unconfirmed account, a new link is on its way.'));
    },
  );

  app.post(
    '/api/auth/forgot-password',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Mail a password reset link (valid 20 minutes)',
        description: 'Always 202 with the same body, whether or not the address has an account.',
        body: EmailBody,
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      await account.forgotPassword(deps, request.body.email, requestMeta(request));
      return reply.status(202).send(accepted('If this address has an account, a reset link is on its way.'));
    },
  );

  app.post(
    '/api/auth/reset-password',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Set a new password with the mailed token; ends every session',
        body: ResetPasswordBody,
        response: { 200: Done },
      },
    },
    async (request) => {
      await account.resetPassword(deps, request.body, requestMeta(request));
      return { status: 'ok' as const };
    },
  );

  app.post(
    '/api/auth/change-password',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'Change the password; ends every other session',
        security: bearer,
        body: ChangePasswordBody,
        response: { 200: Done },
      },
    },
    async (request) => {
      await account.changePassword(deps, principalOf(request), request.body, requestMeta(request));
      return { status: 'ok' as const };
    },
  );
};
