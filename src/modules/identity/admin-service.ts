import type { Principal } from '../../platform/auth/tokens.ts';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { ForbiddenError } from '../../platform/http/errors.ts';
import { uuidv7 } from 'uuidv7';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import { normalizeEmail, type IdentityDeps, type RequestMeta } from './deps.ts';
import { OutrankedError, RoleChangeForbiddenError, UserNotFoundError } from './errors.ts';
import { currentRole } from './guards.ts';
import { isRole, outranks } from './permissions.ts';
import { forgetUser } from './principal.ts';
import type { PasswordHasher } from './password.ts';
import {
  findUserByEmail,
  findUserById,
  insertUser,
  lockActiveAdmins,
  searchUsers,
  updateUser,
  usernameExists,
  type UserSearch,
} from './repo.ts';
import { insertActivity, listActivity } from './security-repo.ts';
import { assertStrongPassword, identityEvent } from './service.ts';
import { revokeUserSessions } from './session-repo.ts';
import type { Role } from './tables.ts';
import { activityView, adminUserView } from './views.ts';

export async function listUsers(deps: IdentityDeps, q: Omit<UserSearch, 'beforeId'> & { cursor?: string | undefined }) {
  const { cursor, ...search } = q;
  const rows = await searchUsers(deps.db, { ...search, limit: q.limit + 1, beforeId: decodeIdCursor(cursor) });
  return pageById(rows, q.limit, adminUserView);
}

export async function userActivity(
  deps: IdentityDeps,
  userId: string,
  q: { limit: number; cursor?: string | undefined },
) {
  if (!(await findUserById(deps.db, userId))) throw new UserNotFoundError();
  const rows = await listActivity(deps.db, deps.keyring, userId, q.limit + 1, decodeIdCursor(q.cursor));
  return pageById(rows, q.limit, activityView);
}

/** Sets a user's role. Admins cannot change their own role, and the last admin stays one. */
export async function changeRole(
  deps: IdentityDeps,
  actor: Principal,
  targetId: string,
  role: Role,
  meta: RequestMeta,
) {
  if (targetId === actor.userId) {
    throw new RoleChangeForbiddenError('cannot_change_own_role', 'Ask another admin to change your role');
  }
  const user = await withTransaction(deps.db, async (tx) => {
    // Locked before the target is read, so the target's role below is the settled one.
    const admins = await lockActiveAdmins(tx);
    // The caller's role comes from a cached check; the locked rows are the settled truth.
    if (!admins.includes(actor.userId)) throw new ForbiddenError('Only an active admin can change roles');
    const target = await findUserById(tx, targetId);
    if (!target || target.status === 'deleted') throw new UserNotFoundError();
    if (target.role === role) return target;
    if (target.role === 'admin' && admins.filter((id) => id !== targetId).length === 0) {
      throw new RoleChangeForbiddenError('last_admin', 'The last admin cannot be demoted');
    }
    const after = await updateUser(tx, targetId, { role });
    if (!after) throw new UserNotFoundError();
    await insertActivity(tx, deps.keyring, {
      userId: targetId,
      actorId: actor.userId,
      type: 'role_changed',
      ...meta,
      detail: { from: target.role, to: role },
    });
    await recordEvent(tx, identityEvent('role_changed', targetId, { from: target.role, to: role }));
    return after;
  });
  await forgetUser(deps.cache, targetId);
  return adminUserView(user);
}

async function loadOutranked(db: Db, actor: Principal, targetId: string) {
  const target = await findUserById(db, targetId);
  if (!target || target.status === 'deleted') throw new UserNotFoundError();
  const actorRole = currentRole(actor);
  if (!isRole(actorRole) || !outranks(actorRole, target.role)) throw new OutrankedError();
  return target;
}

/** Bans an account ranked below the actor: every session ends at once. */
export async function banUser(
  deps: IdentityDeps,
  actor: Principal,
  targetId: string,
  reason: string,
  meta: RequestMeta,
) {
  const user = await withTransaction(deps.db, async (tx) => {
    await loadOutranked(tx, actor, targetId);
    const after = await updateUser(tx, targetId, { status: 'banned', bannedAt: new Date(), banReason: reason });
    if (!after) throw new UserNotFoundError();
    const ended = await revokeUserSessions(tx, targetId, 'banned');
    await insertActivity(tx, deps.keyring, {
      userId: targetId,
      actorId: actor.userId,
      type: 'banned',
      ...meta,
      detail: { reason, sessionsEnded: ended.length },
    });
    await recordEvent(tx, identityEvent('user_banned', targetId, { reason }));
    return after;
  });
  await forgetUser(deps.cache, targetId);
  return adminUserView(user);
}

export async function unbanUser(deps: IdentityDeps, actor: Principal, targetId: string, meta: RequestMeta) {
  const user = await withTransaction(deps.db, async (tx) => {
    await loadOutranked(tx, actor, targetId);
    const after = await updateUser(tx, targetId, { status: 'active', bannedAt: null, banReason: null });
    if (!after) throw new UserNotFoundError();
    await insertActivity(tx, deps.keyring, { userId: targetId, actorId: actor.userId, type: 'unbanned', ...meta });
    await recordEvent(tx, identityEvent('user_unbanned', targetId));
    return after;
  });
  await forgetUser(deps.cache, targetId);
  return adminUserView(user);
}

/**
 * `npm run admin:create`: promotes the account with this email to admin (verifying its email), or
 * creates it as a verified admin with this password. Returns what it did.
 */
export async function createOrPromoteAdmin(
  db: Db,
  hasher: PasswordHasher,
  input: { email: string; username?: string | undefined; password?: string | undefined },
): Promise<'created' | 'promoted' | 'unchanged'> {
  const email = normalizeEmail(input.email);
  const existing = await findUserByEmail(db, email);
  if (existing) {
    if (existing.role === 'admin' && existing.emailVerifiedAt) return 'unchanged';
    await withTransaction(db, async (tx) => {
      await updateUser(tx, existing.id, { role: 'admin', emailVerifiedAt: existing.emailVerifiedAt ?? new Date() });
      await insertActivity(tx, null, {
        userId: existing.id,
        type: 'role_changed',
        detail: { from: existing.role, to: 'admin', by: 'cli' },
      });
    });
    return 'promoted';
  }
  if (!input.username || !input.password) throw new Error('--username and --password are needed to create an account');
  assertStrongPassword(input.password, 'password', [email, input.username]);
  // Reserved names (`admin`) are refused at sign-up, not to the operator.
  if (await usernameExists(db, input.username)) throw new Error(`the username ${input.username} is taken`);
  const passwordHash = await hasher.hash(input.password);
  await withTransaction(db, async (tx) => {
    const id = uuidv7();
    const created = await insertUser(tx, {
      id,
      email,
      username: input.username ?? '',
      passwordHash,
      role: 'admin',
      emailVerifiedAt: new Date(),
    });
    if (!created) throw new Error('the email or username was taken meanwhile');
    await insertActivity(tx, null, { userId: id, type: 'registered', detail: { by: 'cli', role: 'admin' } });
  });
  return 'created';
}
