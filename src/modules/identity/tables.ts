import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const ROLES = ['user', 'moderator', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const USER_STATUSES = ['active', 'banned', 'deleted'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** Per notification type: which channels the user wants. Missing types use the defaults. */
export type NotificationPreferences = Record<string, { inApp: boolean; email: boolean }>;

/**
 * Accounts. A deleted account keeps its row (and id) so ledger entries, trades and comments that
 * point at it stay valid, but its personal fields are erased: email and password become null and
 * the username becomes `deleted_<id prefix>`, which frees the email and name for new accounts.
 */
export const users = pgTable(
  'identity_users',
  {
    id: uuid('id').primaryKey(),
    // Stored lower-cased: one address, one account.
    email: text('email'),
    username: text('username').notNull(),
    displayName: text('display_name'),
    bio: text('bio'),
    avatarUrl: text('avatar_url'),
    collectionVisibility: text('collection_visibility', { enum: ['public', 'private'] })
      .notNull()
      .default('public'),
    passwordHash: text('password_hash'),
    role: text('role', { enum: ROLES }).notNull().default('user'),
    status: text('status', { enum: USER_STATUSES }).notNull().default('active'),
    emailVerifiedAt: at('email_verified_at'),
    passwordChangedAt: at('password_changed_at'),
    bannedAt: at('banned_at'),
    banReason: text('ban_reason'),
    deletedAt: at('deleted_at'),
    locale: text('locale').notNull().default('en'),
    timezone: text('timezone').notNull().default('UTC'),
    notificationPreferences: jsonb('notification_preferences').$type<NotificationPreferences>().notNull().default({}),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('identity_users_email_key').on(t.email),
    uniqueIndex('identity_users_username_key').on(sql`lower(${t.username})`),
    index('identity_users_role_status_idx').on(t.role, t.status),
    check('identity_users_email_present', sql`${t.status} = 'deleted' OR ${t.email} IS NOT NULL`),
  ],
);

/** One sign-in on one device: the refresh-token family. Revoking it ends every token in it. */
export const sessions = pgTable(
  'identity_sessions',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    client: text('client', { enum: ['browser', 'app'] }).notNull(),
    userAgent: text('user_agent'),
    ip: text('ip'),
    createdAt: at('created_at').notNull().defaultNow(),
    lastUsedAt: at('last_used_at').notNull().defaultNow(),
    // Absolute end: no refresh extends a session past it.
    expiresAt: at('expires_at').notNull(),
    revokedAt: at('revoked_at'),
    revokedReason: text('revoked_reason'),
  },
  (t) => [
    index('identity_sessions_user_idx').on(t.userId, t.createdAt),
    index('identity_sessions_user_ip_idx').on(t.userId, t.ip),
  ],
);

/**
 * Refresh tokens, stored as SHA-256 of the opaque value. A token is live until `rotated_at` is
 * set; the conditional update that sets it is what makes a refresh single-use.
 */
export const refreshTokens = pgTable(
  'identity_refresh_tokens',
  {
    id: uuid('id').primaryKey(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id),
    tokenHash: text('token_hash').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    // Idle end: unused for this long, the token (and so the session) lapses.
    expiresAt: at('expires_at').notNull(),
    rotatedAt: at('rotated_at'),
  },
  (t) => [
    uniqueIndex('identity_refresh_tokens_hash_key').on(t.tokenHash),
    index('identity_refresh_tokens_session_idx').on(t.sessionId),
  ],
);

export const EMAIL_TOKEN_PURPOSES = ['verify_email', 'reset_password'] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

/** Single-use tokens mailed to the user, stored as SHA-256. */
export const emailTokens = pgTable(
  'identity_email_tokens',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    purpose: text('purpose', { enum: EMAIL_TOKEN_PURPOSES }).notNull(),
    tokenHash: text('token_hash').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    expiresAt: at('expires_at').notNull(),
    usedAt: at('used_at'),
  },
  (t) => [
    uniqueIndex('identity_email_tokens_hash_key').on(t.tokenHash),
    index('identity_email_tokens_user_idx').on(t.userId, t.purpose),
  ],
);

/** Security-relevant account history: sign-ins, revocations, password changes, role changes, bans. */
export const activity = pgTable(
  'identity_activity',
  {
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    // Who did it when it was not the user (an admin changing a role, a moderator banning).
    actorId: uuid('actor_id').references(() => users.id),
    type: text('type').notNull(),
    ip: text('ip'),
    userAgent: text('user_agent'),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [index('identity_activity_user_idx').on(t.userId, t.id)],
);

/**
 * Failure counters for brute-force throttling, shared by every process. `key` is a SHA-256 of the
 * counted subject (an address, an email, both), so the table holds no personal data.
 */
export const throttles = pgTable(
  'identity_throttles',
  {
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    failures: integer('failures').notNull().default(0),
    windowStartedAt: at('window_started_at').notNull().defaultNow(),
    lockedUntil: at('locked_until'),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('identity_throttles_window_idx').on(t.windowStartedAt)],
);

/** Who blocked whom: a blocked user cannot send the blocker trade offers. */
export const blocks = pgTable(
  'identity_blocks',
  {
    blockerId: uuid('blocker_id')
      .notNull()
      .references(() => users.id),
    blockedId: uuid('blocked_id')
      .notNull()
      .references(() => users.id),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.blockerId, t.blockedId] }),
    check('identity_blocks_not_self', sql`${t.blockerId} <> ${t.blockedId}`),
  ],
);
