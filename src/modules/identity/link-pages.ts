import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../platform/http/errors.ts';
import { escapeHtml, htmlPage, pageResponses } from '../../platform/http/html.ts';
import * as account from './account-service.ts';
import { requestMeta } from './cookies.ts';
import type { IdentityDeps } from './deps.ts';
import { guard } from './guards.ts';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './password.ts';
import { OpaqueToken, ResetPasswordBody, TokenBody } from './schemas.ts';

/*
 * The pages mailed links open when no front end is configured (`PUBLIC_WEB_URL` unset): a GET
 * only shows a button or a form, so a mail scanner that follows the link consumes nothing; the
 * form's POST spends the token through the same service verbs as the JSON API.
 */

const tags = ['pages'];
const TokenQuery = Type.Object({ token: OpaqueToken }, { additionalProperties: false });

function send(reply: FastifyReply, status: number, title: string, body: string) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(htmlPage(title, `<h1>${escapeHtml(title)}</h1>${body}`));
}

/** Runs `act`; a refusal (an expired or used link, a weak password) becomes a page saying so. */
async function answer(reply: FastifyReply, act: () => Promise<void>, done: [string, string]) {
  try {
    await act();
  } catch (err) {
    if (err instanceof AppError && err.status < 500) {
      return send(reply, err.status, 'That did not work', `<p>${escapeHtml(err.message)}</p>`);
    }
    throw err;
  }
  return send(reply, 200, done[0], `<p>${escapeHtml(done[1])}</p>`);
}

const hidden = (token: string) => `<input type="hidden" name="token" value="${escapeHtml(token)}">`;

export const linkPages: FastifyPluginAsyncTypebox<{ deps: IdentityDeps }> = async (app, { deps }) => {
  // Form bodies are read by these pages only; the API stays JSON.
  await app.register(formbody);

  app.get(
    '/verify-email',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Page of the mailed confirmation link',
        querystring: TokenQuery,
        response: pageResponses,
      },
    },
    async (request, reply) =>
      send(
        reply,
        200,
        'Confirm your email address',
        `<form method="post" action="verify-email">${hidden(request.query.token)}` +
          `<button>Confirm my email address</button></form>`,
      ),
  );
  app.post(
    '/verify-email',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Confirm an email address from the link page',
        body: TokenBody,
        response: pageResponses,
      },
    },
    async (request, reply) =>
      answer(reply, () => account.verifyEmail(deps, request.body.token, requestMeta(request)), [
        'Email address confirmed',
        'Thank you. You can close this page and sign in.',
      ]),
  );

  app.get(
    '/reset-password',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Page of the mailed password reset link',
        querystring: TokenQuery,
        response: pageResponses,
      },
    },
    async (request, reply) =>
      send(
        reply,
        200,
        'Choose a new password',
        `<form method="post" action="reset-password">${hidden(request.query.token)}` +
          `<label>New password <input type="password" name="password" autocomplete="new-password" required ` +
          `minlength="${PASSWORD_MIN_LENGTH}" maxlength="${PASSWORD_MAX_LENGTH}"></label> ` +
          `<button>Set the new password</button></form>` +
          `<p>Every signed-in session ends when the password changes.</p>`,
      ),
  );
  app.post(
    '/reset-password',
    {
      ...guard('public'),
      schema: {
        tags,
        summary: 'Set a new password from the link page',
        body: ResetPasswordBody,
        response: pageResponses,
      },
    },
    async (request, reply) =>
      answer(reply, () => account.resetPassword(deps, request.body, requestMeta(request)), [
        'Password changed',
        'Sign in with your new password. Every other session has ended.',
      ]),
  );
};
