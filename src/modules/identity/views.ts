import { permissionsOf } from './permissions.ts';
import type { MeRow, UserRow } from './repo.ts';
import type { SessionRow } from './session-repo.ts';
import type { activity } from './tables.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The signed-in user's own view of their account. */
export function meView(u: MeRow) {
  return {
    id: u.id,
    email: u.email ?? '',
    username: u.username,
    displayName: u.displayName,
    bio: u.bio,
    avatarUrl: u.avatarUrl,
    collectionVisibility: u.collectionVisibility,
    role: u.role,
    permissions: permissionsOf(u.role),
    emailVerified: u.emailVerifiedAt !== null,
    createdAt: u.createdAt.toISOString(),
  };
}

/** What anyone may see of an account. */
export function publicProfileView(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    bio: u.bio,
    avatarUrl: u.avatarUrl,
    collectionVisibility: u.collectionVisibility,
    createdAt: u.createdAt.toISOString(),
  };
}

/** An account as administrators see it in lists. */
export function adminUserView(u: UserRow) {
  return {
    ...publicProfileView(u),
    email: u.email,
    role: u.role,
    status: u.status,
    emailVerified: u.emailVerifiedAt !== null,
    bannedAt: iso(u.bannedAt),
    banReason: u.banReason,
    deletedAt: iso(u.deletedAt),
  };
}

export function settingsView(u: UserRow) {
  return { locale: u.locale, timezone: u.timezone, notifications: u.notificationPreferences };
}

export function sessionView(s: SessionRow, currentSessionId: string) {
  return {
    id: s.id,
    client: s.client,
    userAgent: s.userAgent,
    ip: s.ip,
    createdAt: s.createdAt.toISOString(),
    lastUsedAt: s.lastUsedAt.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    current: s.id === currentSessionId,
  };
}

export function activityView(a: typeof activity.$inferSelect) {
  return {
    id: a.id,
    type: a.type,
    actorId: a.actorId,
    ip: a.ip,
    userAgent: a.userAgent,
    detail: a.detail,
    createdAt: a.createdAt.toISOString(),
  };
}
