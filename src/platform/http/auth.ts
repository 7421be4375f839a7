import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { InvalidTokenError, type Principal, type TokenService } from '../auth/tokens.ts';
import { UnauthorizedError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null on an anonymous request. */
    principal: Principal | null;
  }
}

/**
 * Extra check on every authenticated request after the token verifies (identity plugs in session
 * revocation and bans here); return false to reject the token.
 */
export type PrincipalCheck = (principal: Principal) => Promise<boolean>;

export interface AuthOptions {
  tokens: TokenService;
  checks: PrincipalCheck[];
}

/**
 * Plain requests to routes anyone may call: declared `public`, or not an API route at all (unknown
 * paths). A websocket handshake is never one: a connection opened with a bad token is refused, not
 * quietly made anonymous for its whole life.
 */
function isPublic(request: FastifyRequest): boolean {
  if (request.headers.upgrade?.toLowerCase() === 'websocket') return false;
  const access = (request.routeOptions.config as { access?: unknown } | undefined)?.access;
  return access === undefined || access === 'public';
}

/**
 * Reads `Authorization: Bearer …`. A present but bad token is a 401 on protected routes; on public
 * routes it is ignored and the call is anonymous, so a client holding an expired access token can
 * still sign in, refresh and read what anyone may.
 */
export const authPlugin = fp<AuthOptions>(
  async (app: FastifyInstance, opts) => {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const header = request.headers.authorization;
      if (!header) return;
      const match = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(header);
      try {
        if (!match?.[1]) throw new UnauthorizedError('The Authorization header must be "Bearer <token>"');
        request.principal = await authenticateToken(opts, match[1]);
      } catch (err) {
        if (err instanceof UnauthorizedError && isPublic(request)) return;
        throw err;
      }
    });
  },
  { name: 'platform-auth' },
);

/** Verifies a token and runs the registered checks; used by HTTP and by the websocket handshake. */
export async function authenticateToken(opts: AuthOptions, token: string): Promise<Principal> {
  let principal: Principal;
  try {
    principal = await opts.tokens.verify(token);
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new UnauthorizedError('The access token is invalid or expired');
    throw err;
  }
  for (const check of opts.checks) {
    if (!(await check(principal))) throw new UnauthorizedError('The session has ended');
  }
  return principal;
}

/** preHandler: the route needs a signed-in caller. */
export async function requireAuth(request: FastifyRequest): Promise<void> {
  if (!request.principal) throw new UnauthorizedError();
}
