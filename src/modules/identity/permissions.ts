import type { Role } from './tables.ts';

/**
 * Every named permission, and which roles hold it: the one table route guards consult. A role
 * holds only what is listed; add a permission here before a route asks for it.
 */
export const PERMISSIONS = {
  /** List and search accounts. */
  'users.read': ['moderator', 'admin'],
  /** Read any account's activity (addresses and devices included). */
  'users.activity': ['admin'],
  /** Ban and unban accounts ranked below one's own role. */
  'users.ban': ['moderator', 'admin'],
  /** Change roles. */
  'users.roles': ['admin'],
  /** Act on another user's resources where a route allows "the owner or an admin". */
  'resources.manage_any': ['admin'],
  /** Work the moderation queue: read reports, hide or restore user content (comments, shared bots), resolve reports. */
  'content.moderate': ['moderator', 'admin'],
  /** Read ledger reconciliation and any account's ledger history. */
  'ledger.audit': ['admin'],
  /** Complete or fail a test-provider payment (moves coins: not part of reading the books). */
  'payments.settle': ['admin'],
  /** Refund (part of) a user's completed deposit through the payment provider. */
  'payments.refund': ['admin'],
  /** Approve or reject payouts held for review (above the review threshold). */
  'payouts.review': ['admin'],
  /** Manage the card catalogue, sets and packs. */
  'catalog.manage': ['admin'],
  /** Halt or resume markets, settle events and campaigns. */
  'markets.operate': ['admin'],
  /** Read the fraud flags raised on trades and the holds they placed. */
  'fraud.review': ['moderator', 'admin'],
  /** Resolve fraud flags (a dismissal releases held items at once). */
  'fraud.resolve': ['admin'],
  /** Pause any user's trading bot. */
  'bots.operate': ['admin'],
  /** Approve or reject crowdfunding campaigns waiting for review. */
  'crowdfunding.review': ['admin'],
  /** Rebuild every leaderboard now instead of at the next scheduled rebuild. */
  'leaderboards.rebuild': ['admin'],
  /** Add rewards achievements and run their backfill over the stored history. */
  'rewards.manage': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

const ROLE_RANK: Record<Role, number> = { user: 0, moderator: 1, admin: 2 };

export function hasPermission(role: string, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly string[]).includes(role);
}

/** The permissions a role holds, for `GET /api/auth/me`. */
export function permissionsOf(role: string): Permission[] {
  return (Object.keys(PERMISSIONS) as Permission[]).filter((p) => hasPermission(role, p));
}

/** Whether `actor` ranks strictly above `target` (moderators act on users, admins on both). */
export function outranks(actor: Role, target: Role): boolean {
  return ROLE_RANK[actor] > ROLE_RANK[target];
}

export function isRole(value: string): value is Role {
  return value in ROLE_RANK;
}
