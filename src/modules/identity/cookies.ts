import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RequestMeta } from './deps.ts';
import { CsrfError } from './errors.ts';
import { newOpaqueToken, safeEqual } from './secrets.ts';

/**
 * Browser sessions: the refresh token lives in an httpOnly cookie JavaScript cannot read; the
 * `__Host-` prefix pins it to this exact origin (Secure, Path=/, no Domain), SameSite=Strict keeps
 * other sites' requests from carrying it. Routes authenticated by that cookie (refresh, logout)
 * also require the `x-csrf-token` header to equal the readable `__Host-ece_csrf` cookie, which a
 * page on another origin can neither read nor set (double submit).
 */
export const REFRESH_COOKIE = '__Host-ece_refresh';
export const CSRF_COOKIE = '__Host-ece_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const base = { path: '/', secure: true, sameSite: 'strict' as const };

/** Sets both cookies for a browser session and returns the CSRF token for the body. */
export function setSessionCookies(reply: FastifyReply, refreshToken: string, expiresAt: Date): string {
  const csrfToken = newOpaqueToken();
  void reply.setCookie(REFRESH_COOKIE, refreshToken, { ...base, httpOnly: true, expires: expiresAt });
  void reply.setCookie(CSRF_COOKIE, csrfToken, { ...base, httpOnly: false, expires: expiresAt });
  return csrfToken;
}

export function clearSessionCookies(reply: FastifyReply): void {
  void reply.clearCookie(REFRESH_COOKIE, { ...base, httpOnly: true });
  void reply.clearCookie(CSRF_COOKIE, { ...base, httpOnly: false });
}

/** The refresh token from the cookie, once the CSRF header is checked; undefined without a cookie. */
export function cookieRefreshToken(request: FastifyRequest): string | undefined {
  const token = request.cookies[REFRESH_COOKIE];
  if (!token) return undefined;
  const cookie = request.cookies[CSRF_COOKIE];
  const header = request.headers[CSRF_HEADER];
  if (!cookie || typeof header !== 'string' || !safeEqual(cookie, header)) throw new CsrfError();
  return token;
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null };
}
