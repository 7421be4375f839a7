import cookie from '@fastify/cookie';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { PlatformContext } from '../../platform/module.ts';
import { accountRoutes } from './account-routes.ts';
import { linkPages } from './link-pages.ts';
import { adminRoutes } from './admin-routes.ts';
import { clearSessionCookies, cookieRefreshToken, requestMeta, setSessionCookies } from './cookies.ts';
import { identityDeps } from './deps.ts';
import { MissingCredentialError } from './errors.ts';
import { guard, principalOf } from './guards.ts';
import {
  Accepted,
  IdParams,
  LoginBody,
  Me,
  Page,
  PageQuery,
  RefreshBody,
  RegisterBody,
  Session,
  TokenReply,
} from './schemas.ts';
import * as service from './service.ts';
import { userRoutes } from './user-routes.ts';
import { blockRoutes } from './block-routes.ts';
import { meView } from './views.ts';

const tags = ['auth'];
const bearer = [{ bearerAuth: [] }];
const NoContent = { 204: Type.Null({ description: 'Done' }) };
const accepted = (message: string) => ({ status: 'accepted' as const, message });

const REFRESH_DOC =
  'Apps send `{"refreshToken": "…"}`. Browsers send `{}` (or no body) with the `__Host-ece_refresh` cookie and ' +
  'the header `x-csrf-token` equal to the `__Host-ece_csrf` cookie (CSRF protection: another site can neither ' +
  'read that cookie nor set the header).';

/** Refresh and logout may come without a body (the cookie is the credential). */
const emptyBodyIsEmpty = async (request: FastifyRequest) => {
  request.body ??= {};
};

function tokenReply(reply: FastifyReply, issued: service.IssuedSession) {
  const common = {
    accessToken: issued.accessToken,
    tokenType: 'Bearer' as const,
    expiresIn: issued.expiresIn,
    refreshTokenExpiresAt: issued.refreshTokenExpiresAt.toISOString(),
    sessionId: issued.sessionId,
    user: meView(issued.user),
  };
  if (issued.client === 'browser') {
    return { ...common, csrfToken: setSessionCookies(reply, issued.refreshToken, issued.refreshTokenExpiresAt) };
  }
  return { ...common, refreshToken: issued.refreshToken };
}

/** `/api/auth/*`: accounts, sign-in, sessions, verification and password reset. */
export const identityRoutes: FastifyPluginAsyncTypebox<{ ctx: PlatformContext }> = async (app, { ctx }) => {
  const deps = identityDeps(ctx);
  await app.register(cookie);
  // Tokens, sessions and account data: never kept by a browser or a shared cache (RFC 6749 §5.1).
  app.addHook('onRequest', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
  });

  app.post(
    '/api/auth/register',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Create an account',
        description:
          'Always answers 202 with the same body, whether or not the email already has an account (the owner of ' +
          'an existing account is mailed instead). A confirmation link is mailed; sign in with /api/auth/login.',
        body: RegisterBody,
        response: { 202: Accepted },
      },
    },
    async (request, reply) => {
      await service.register(deps, request.body, requestMeta(request));
      return reply.status(202).send(accepted('Check your inbox to confirm your email address, then sign in.'));
    },
  );

  app.post(
    '/api/auth/login',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Sign in with email and password',
        description:
          'Opens a session. `client: "browser"` puts the refresh token in an httpOnly cookie and returns a ' +
          '`csrfToken`; `client: "app"` (default) returns the refresh token in the body. Repeated failures are ' +
          'throttled (429 with Retry-After).',
        body: LoginBody,
        response: { 200: TokenReply },
      },
    },
    async (request, reply) => {
      const { client = 'app', ...input } = request.body;
      const issued = await service.login(deps, { ...input, client }, requestMeta(request));
      return tokenReply(reply, issued);
    },
  );

  app.post(
    '/api/auth/refresh',
    {
      ...guard('public'),
      preValidation: emptyBodyIsEmpty,
      schema: {
        tags,
        summary: 'Trade a refresh token for a new access token and refresh token',
        description:
          `${REFRESH_DOC} Each refresh token works once; presenting a used one ends the session ` +
          '(`refresh_token_reused`).',
        body: RefreshBody,
        response: { 200: TokenReply },
      },
    },
    async (request, reply) => {
      const raw = request.body.refreshToken ?? cookieRefreshToken(request);
      if (!raw) throw new MissingCredentialError();
      return tokenReply(reply, await service.refresh(deps, raw, requestMeta(request)));
    },
  );

  app.post(
    '/api/auth/logout',
    {
      ...guard('public'),
      preValidation: emptyBodyIsEmpty,
      schema: {
        tags,
        summary: 'End this session',
        description: `Ends the session of the bearer token, or else of the refresh token. ${REFRESH_DOC}`,
        body: RefreshBody,
        response: NoContent,
      },
    },
    async (request, reply) => {
      const meta = requestMeta(request);
      let target = request.principal
        ? { userId: request.principal.userId, sessionId: request.principal.sessionId }
        : undefined;
      if (!target) {
        const raw = request.body.refreshToken ?? cookieRefreshToken(request);
        if (!raw) throw new MissingCredentialError();
        target = (await service.sessionOfRefreshToken(deps, raw)) ?? undefined;
      }
      if (target) await service.revokeOwnSession(deps, target.userId, target.sessionId, 'logout', meta);
      clearSessionCookies(reply);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/auth/me',
    {
      ...guard('user'),
      schema: { tags, summary: 'The signed-in account', security: bearer, response: { 200: Me } },
    },
    async (request) => service.getMe(deps, principalOf(request).userId),
  );

  app.post(
    '/api/auth/logout-all',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'End every session of this account, this one included',
        security: bearer,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await service.logoutAll(deps, principalOf(request), requestMeta(request));
      clearSessionCookies(reply);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/auth/sessions',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'Open sessions of this account, newest first',
        security: bearer,
        querystring: PageQuery,
        response: { 200: Page(Session) },
      },
    },
    async (request) => service.listSessions(deps, principalOf(request), request.query),
  );

  app.delete(
    '/api/auth/sessions/:id',
    {
      ...guard('user'),
      schema: {
        tags,
        summary: 'End one session of this account',
        security: bearer,
        params: IdParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      await service.revokeOwnSession(deps, p.userId, request.params.id, 'revoked_by_user', requestMeta(request));
      return reply.status(204).send(null);
    },
  );

  await app.register(accountRoutes, { deps });
  await app.register(linkPages, { deps });
  await app.register(userRoutes, { deps, ctx });
  await app.register(blockRoutes, { deps });
  await app.register(adminRoutes, { deps });
};
