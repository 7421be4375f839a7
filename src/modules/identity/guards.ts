import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Principal } from '../../platform/auth/tokens.ts';
import { requireAuth } from '../../platform/http/auth.ts';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../platform/http/errors.ts';
import { EmailNotVerifiedError } from './errors.ts';
import { hasPermission, type Permission } from './permissions.ts';

/**
 * Who may call a route, declared on every route as `config: { access }` so the authorization
 * matrix test can walk the route table:
 * - `public`: anyone (a presented token is still verified);
 * - `user`: any signed-in account;
 * - `verified`: a signed-in account whose email is verified (anything that moves value);
 * - `{ permission }`: a role holding that permission (see permissions.ts).
 * Routes acting on one user's resource also check ownership in their service.
 */
export type Access = 'public' | 'user' | 'verified' | { permission: Permission };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** The account state the principal check loaded for this request's token. */
export interface PrincipalState {
  active: boolean;
  role: string;
  emailVerified: boolean;
  /** Epoch ms after which the session has ended even if nothing revoked it. */
  sessionExpiresAt: number;
}

// Keyed by the principal object of one request, so it needs no second lookup and never leaks
// between requests or app instances.
const states = new WeakMap<Principal, PrincipalState>();

export function rememberPrincipalState(principal: Principal, state: PrincipalState): void {
  states.set(principal, state);
}

/** The caller's current role: a role change applies at once, not when the token is renewed. */
export function currentRole(principal: Principal): string {
  return states.get(principal)?.role ?? principal.role;
}

export { requireAuth };

/** onRequest hook: signed in with a verified email; 401 anonymous, 403 `email_not_verified`. */
export async function requireVerified(request: FastifyRequest): Promise<void> {
  const principal = request.principal;
  if (!principal) throw new UnauthorizedError();
  if (!states.get(principal)?.emailVerified) throw new EmailNotVerifiedError();
}

/** onRequest hook factory: signed in with a role that holds `permission`. */
export function requirePermission(permission: Permission): onRequestAsyncHookHandler {
  return async (request) => {
    const principal = request.principal;
    if (!principal) throw new UnauthorizedError();
    if (!hasPermission(currentRole(principal), permission)) throw new ForbiddenError();
  };
}

const publicAccess: onRequestAsyncHookHandler = async () => {};

/** The hook that enforces one access level. */
export function accessHook(access: Access): onRequestAsyncHookHandler {
  if (access === 'public') return publicAccess;
  if (access === 'user') return requireAuth;
  if (access === 'verified') return requireVerified;
  return requirePermission(access.permission);
}

/**
 * Route options that declare and enforce an access level in one place:
 * `app.get(path, { ...guard('verified'), schema }, handler)`. The hook runs on request, before
 * body validation, so an anonymous caller gets 401 whatever it sent. Pass extra route config
 * (`rateLimit`, …) as the second argument.
 */
export function guard(access: Access, config: Record<string, unknown> = {}) {
  return { config: { ...config, access }, onRequest: accessHook(access) };
}

/** Whether the caller owns the resource or holds the right to act on anyone's. */
export function isOwnerOrAdmin(principal: Principal, ownerId: string): boolean {
  return principal.userId === ownerId || hasPermission(currentRole(principal), 'resources.manage_any');
}

/**
 * Throws unless the caller owns the resource or may act on anyone's. Answers 404 rather than 403
 * so the existence of another user's resource is not revealed.
 */
export function assertOwnerOrAdmin(principal: Principal, ownerId: string, what: string): void {
  if (!isOwnerOrAdmin(principal, ownerId)) throw new NotFoundError(what);
}

/** The caller on a route guarded by `user` or stronger (the guard has already rejected anonymous calls). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}
