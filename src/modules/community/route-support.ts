import type { FastifyRequest } from 'fastify';
import type { PlatformContext } from '../../platform/module.ts';
import type { Viewer } from './access.ts';
import { currentRole, guard, hasPermission } from './ports.ts';

/** What the community module's route plugins are registered with. */
export interface CommunityRouteDeps {
  ctx: PlatformContext;
}

export const security = [{ bearerAuth: [] }];
export const tags = ['community'];

/** The caller as the sharing rules see them; anonymous on public routes. */
export function viewerOf(request: FastifyRequest): Viewer {
  const principal = request.principal;
  if (!principal) return { userId: null, moderator: false };
  return { userId: principal.userId, moderator: hasPermission(currentRole(principal), 'content.moderate') };
}

/** Signed-in writes, limited per user by their own budget. */
export function writeGuard(ctx: PlatformContext) {
  return guard('user', {
    rateLimit: { max: ctx.config.COMMUNITY_WRITE_RATE_LIMIT_MAX, timeWindow: ctx.config.RATE_LIMIT_WINDOW_MS },
  });
}
