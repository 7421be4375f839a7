import type { ModuleDefinition } from '../../platform/module.ts';
import { mailerFor } from '../../platform/mail/index.ts';
import { registerExporter } from '../../platform/privacy/export.ts';
import { deletedUserId } from '../../platform/privacy/erasure.ts';
import { eraseIdentityData, identityExporter } from './export-data.ts';
import { identityDeps } from './deps.ts';
import { registerMailHandlers } from './mail.ts';
import { principalCheck } from './principal.ts';
import { identityRoutes } from './routes.ts';
import { deleteDeadRefreshTokens } from './session-repo.ts';
import { deleteSpentEmailTokens, deleteStaleThrottles } from './security-repo.ts';
import { demoTradersSeeder, demoUsersSeeder } from './seed.ts';

export {
  accessHook,
  assertOwnerOrAdmin,
  currentRole,
  guard,
  isOwnerOrAdmin,
  principalOf,
  requireAuth,
  requirePermission,
  requireVerified,
  type Access,
} from './guards.ts';
export { PERMISSIONS, hasPermission, permissionsOf, type Permission } from './permissions.ts';
export { findUserRef, getMailAddress, getNotificationPreferences, isEmailVerified } from './profile-service.ts';
export { findCollectionOwner } from './collection-owner.ts';
export { boardUsers, publicCollectors, type BoardUser } from './board-feed.ts';
export { createOrPromoteAdmin } from './admin-service.ts';
export { accountsCreatedAt } from './repo.ts';
export { hasBlocked } from './block-service.ts';
export { updateProfile, type ProfileInput } from './profile-service.ts';
export { identityDeps } from './deps.ts';
/** Read-only: other modules' searches join accounts and blocks (changes go through this module). */
export { blocks as identityBlocks, users as identityUsers } from './tables.ts';
export { PasswordHasher, checkPasswordStrength } from './password.ts';
export { DEMO_ACCOUNTS, DEMO_TRADERS } from './seed.ts';
export { ROLES, type NotificationPreferences, type Role } from './tables.ts';

/** Events other modules may listen to (payload `{ userId, … }`). */
export const IDENTITY_EVENTS = {
  emailVerified: 'identity.email_verified',
  roleChanged: 'identity.role_changed',
  userBanned: 'identity.user_banned',
  userUnbanned: 'identity.user_unbanned',
  /** Erase the user's personal data you hold; keep what others depend on. */
  userDeleted: 'identity.user_deleted',
} as const;

const CLEANUP_JOB = 'identity.cleanup';

export const identityModule: ModuleDefinition = {
  name: 'identity',
  setup(ctx) {
    const deps = identityDeps(ctx);
    ctx.principalChecks.push(principalCheck(ctx.db, ctx.cache, ctx.config.PRINCIPAL_CACHE_TTL_MS));
    registerMailHandlers(ctx.events, { db: ctx.db, config: ctx.config, mailer: () => mailerFor(ctx) });
    ctx.jobs.define(CLEANUP_JOB, async () => {
      await deleteStaleThrottles(deps.db, 2 * 86_400);
      await deleteSpentEmailTokens(deps.db);
      await deleteDeadRefreshTokens(deps.db, Math.ceil(ctx.config.REFRESH_ABSOLUTE_TTL_SECONDS / 86_400) + 1);
    });
    ctx.jobs.every(CLEANUP_JOB, 3600);
    registerExporter(ctx, identityExporter(deps.keyring));
    ctx.events.on(IDENTITY_EVENTS.userDeleted, 'identity.erase', async (event) => {
      const userId = deletedUserId(event.payload);
      if (userId) await eraseIdentityData(ctx.db, userId);
    });
  },
  routes: identityRoutes,
  seeds: [demoUsersSeeder, demoTradersSeeder],
};
