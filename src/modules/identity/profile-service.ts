import type { Principal } from '../../platform/auth/tokens.ts';
import { isUniqueViolation } from '../../platform/db/errors.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { deleteStoredMail } from '../../platform/mail/index.ts';
import { reauthenticate } from './account-service.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import type { IdentityDeps, RequestMeta } from './deps.ts';
import { InvalidFieldError, UserNotFoundError, UsernameTakenError } from './errors.ts';
import { forgetUser } from './principal.ts';
import {
  anonymiseUser,
  findAccountFacts,
  findNotificationPreferences,
  findUserById,
  findUserByUsername,
  updateUser,
  type UserPatch,
} from './repo.ts';
import { deleteActivityOf, insertActivity, listActivity, voidEmailTokens } from './security-repo.ts';
import { assertUsernameFree, identityEvent } from './service.ts';
import { revokeUserSessions } from './session-repo.ts';
import type { NotificationPreferences } from './tables.ts';
import { activityView, meView, publicProfileView, settingsView } from './views.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A user by username (case-insensitive) or by id; deleted accounts are not found. For other
 * modules that let people name a counterparty.
 */
export async function findUserRef(db: Db, ref: string): Promise<{ id: string; username: string } | null> {
  const user = await findAccountFacts(db, UUID.test(ref) ? { id: ref.toLowerCase() } : { username: ref });
  if (!user || user.status === 'deleted') return null;
  return { id: user.id, username: user.username };
}

export async function isEmailVerified(db: Db, userId: string): Promise<boolean> {
  const user = await findAccountFacts(db, { id: userId });
  return Boolean(user && user.status !== 'deleted' && user.emailVerifiedAt);
}

/** A user's notification channels per type; null for unknown or deleted accounts. */
export const getNotificationPreferences = (db: Db, userId: string): Promise<NotificationPreferences | null> =>
  findNotificationPreferences(db, userId);

/** Where to mail a user: only verified addresses of active accounts get notification copies. */
export async function getMailAddress(db: Db, userId: string): Promise<string | null> {
  const user = await findUserById(db, userId);
  return user?.status === 'active' && user.emailVerifiedAt && user.email ? user.email : null;
}

export interface ProfileInput {
  username?: string;
  displayName?: string | null;
  bio?: string | null;
  avatarUrl?: string | null;
  collectionVisibility?: 'public' | 'private';
}

export async function updateProfile(deps: IdentityDeps, principal: Principal, input: ProfileInput, meta: RequestMeta) {
  if (input.avatarUrl) assertHttpUrl(input.avatarUrl);
  const patch: UserPatch = { ...input };
  const user = await withTransaction(deps.db, async (tx) => {
    const before = await findUserById(tx, principal.userId);
    if (!before || before.status === 'deleted') throw new UserNotFoundError();
    const renamed = input.username !== undefined && input.username.toLowerCase() !== before.username.toLowerCase();
    if (renamed && input.username) await assertUsernameFree(tx, input.username);
    const after = await updateUser(tx, principal.userId, patch).catch((err: unknown) => {
      throw isUniqueViolation(err) ? new UsernameTakenError() : err;
    });
    if (!after) throw new UserNotFoundError();
    await insertActivity(tx, deps.keyring, {
      userId: principal.userId,
      type: 'profile_updated',
      ...meta,
      detail: { fields: Object.keys(input), ...(renamed ? { from: before.username, to: after.username } : {}) },
    });
    return after;
  });
  await forgetUser(deps.cache, principal.userId);
  return meView(user);
}

function assertHttpUrl(url: string) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidFieldError('invalid_url', 'body.avatarUrl', 'must be an http or https URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidFieldError('invalid_url', 'body.avatarUrl', 'must be an http or https URL');
  }
}

export async function getPublicProfile(deps: IdentityDeps, username: string) {
  const user = await findUserByUsername(deps.db, username);
  if (!user) throw new UserNotFoundError();
  return publicProfileView(user);
}

export async function getSettings(deps: IdentityDeps, userId: string) {
  const user = await findUserById(deps.db, userId);
  if (!user || user.status === 'deleted') throw new UserNotFoundError();
  return settingsView(user);
}

function assertTimezone(timezone: string) {
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    throw new InvalidFieldError('invalid_timezone', 'body.timezone', 'is not an IANA time zone');
  }
}

function assertLocale(locale: string) {
  try {
    if (Intl.getCanonicalLocales(locale).length === 1) return;
  } catch {
    // reported below
  }
  throw new InvalidFieldError('invalid_locale', 'body.locale', 'is not a BCP 47 language tag');
}

/** Updates the given settings; notification preferences merge per type. */
export async function updateSettings(
  deps: IdentityDeps,
  userId: string,
  input: { locale?: string; timezone?: string; notifications?: NotificationPreferences },
) {
  if (input.timezone !== undefined) assertTimezone(input.timezone);
  if (input.locale !== undefined) assertLocale(input.locale);
  const user = await withTransaction(deps.db, async (tx) => {
    const before = await findUserById(tx, userId);
    if (!before || before.status === 'deleted') throw new UserNotFoundError();
    const patch: UserPatch = {};
    if (input.locale !== undefined) patch.locale = input.locale;
    if (input.timezone !== undefined) patch.timezone = input.timezone;
    if (input.notifications) {
      patch.notificationPreferences = { ...before.notificationPreferences, ...input.notifications };
    }
    const after = await updateUser(tx, userId, patch);
    if (!after) throw new UserNotFoundError();
    return after;
  });
  return settingsView(user);
}

export async function listOwnActivity(
  deps: IdentityDeps,
  userId: string,
  q: { limit: number; cursor?: string | undefined },
) {
  const rows = await listActivity(deps.db, deps.keyring, userId, q.limit + 1, decodeIdCursor(q.cursor));
  return pageById(rows, q.limit, activityView);
}

/**
 * Deletes the caller's account after re-checking the password: sessions end, personal data is
 * erased, the row (and id) stays for the records others depend on, and the email is free again.
 * Other modules erase their own personal data on `identity.user_deleted`.
 */
export async function deleteAccount(deps: IdentityDeps, principal: Principal, password: string): Promise<void> {
  await reauthenticate(deps, principal.userId, password, 'body.password');
  await withTransaction(deps.db, async (tx) => {
    const user = await findUserById(tx, principal.userId);
    if (user?.email) await deleteStoredMail(tx, user.email);
    await revokeUserSessions(tx, principal.userId, 'account_deleted');
    await voidEmailTokens(tx, principal.userId);
    await deleteActivityOf(tx, principal.userId);
    await anonymiseUser(tx, principal.userId);
    await insertActivity(tx, deps.keyring, { userId: principal.userId, type: 'account_deleted' });
    await recordEvent(tx, identityEvent('user_deleted', principal.userId));
  });
  await forgetUser(deps.cache, principal.userId);
}
