import type { Principal } from '../../platform/auth/tokens.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { recordEvent } from '../../platform/events/index.ts';
import { normalizeEmail, type IdentityDeps, type RequestMeta } from './deps.ts';
import { InvalidTokenError, UserNotFoundError, WrongPasswordError } from './errors.ts';
import { forgetUser } from './principal.ts';
import { findUserByEmail, findUserById, updateUser } from './repo.ts';
import { consumeEmailToken, insertActivity, peekEmailToken, voidEmailTokens } from './security-repo.ts';
import { hashToken } from './secrets.ts';
import { revokeUserSessions } from './session-repo.ts';
import { assertStrongPassword, identityEvent } from './service.ts';
import { assertNotLocked, counters, countFailures, overCap, resetCounter } from './throttle.ts';

/**
 * Requests that may send mail to an address: counted per caller address (429 past the cap, the
 * same for every email) and per recipient (past the cap nothing is sent, silently, so the answer
 * still does not depend on whether the account exists).
 */
async function mayMail(deps: IdentityDeps, email: string, meta: RequestMeta): Promise<boolean> {
  const c = counters(deps.config);
  await assertNotLocked(deps.db, [c.mailIp(meta.ip)]);
  await countFailures(deps.db, [c.mailIp(meta.ip)]);
  return !(await overCap(deps.db, c.mailAddress(email)));
}

/** Sends a new verification link when the account exists and is not verified yet. */
export async function resendVerification(deps: IdentityDeps, rawEmail: string, meta: RequestMeta): Promise<void> {
  const email = normalizeEmail(rawEmail);
  if (!(await mayMail(deps, email, meta))) return;
  const user = await findUserByEmail(deps.db, email);
  if (!user || user.status !== 'active' || user.emailVerifiedAt) return;
  await recordEvent(deps.db, identityEvent('verification_requested', user.id));
}

/** Sends a reset link when an active account has this email. */
export async function forgotPassword(deps: IdentityDeps, rawEmail: string, meta: RequestMeta): Promise<void> {
  const email = normalizeEmail(rawEmail);
  if (!(await mayMail(deps, email, meta))) return;
  const user = await findUserByEmail(deps.db, email);
  if (!user || user.status !== 'active') return;
  await recordEvent(deps.db, identityEvent('password_reset_requested', user.id));
}

/** Wrong tokens count against the caller's address: the links are unguessable, probing is not. */
async function badToken(deps: IdentityDeps, meta: RequestMeta): Promise<never> {
  await countFailures(deps.db, [counters(deps.config).token(meta.ip)]);
  throw new InvalidTokenError();
}

export async function verifyEmail(deps: IdentityDeps, token: string, meta: RequestMeta): Promise<void> {
  await assertNotLocked(deps.db, [counters(deps.config).token(meta.ip)]);
  const userId = await withTransaction(deps.db, async (tx) => {
    const id = await consumeEmailToken(tx, hashToken(token), 'verify_email');
    if (!id) return null;
    const user = await findUserById(tx, id);
    if (!user || user.status === 'deleted') return null;
    if (!user.emailVerifiedAt) {
      await updateUser(tx, id, { emailVerifiedAt: new Date() });
      await insertActivity(tx, deps.keyring, { userId: id, type: 'email_verified', ...meta });
      await recordEvent(tx, identityEvent('email_verified', id));
    }
    await voidEmailTokens(tx, id, 'verify_email');
    return id;
  });
  if (!userId) return badToken(deps, meta);
  await forgetUser(deps.cache, userId);
}

/**
 * Sets a new password from a reset link and ends every session. The link stays usable when the
 * new password is refused, so the user can try another.
 */
export async function resetPassword(
  deps: IdentityDeps,
  input: { token: string; password: string },
  meta: RequestMeta,
): Promise<void> {
  await assertNotLocked(deps.db, [counters(deps.config).token(meta.ip)]);
  const tokenHash = hashToken(input.token);
  const ownerId = await peekEmailToken(deps.db, tokenHash, 'reset_password');
  const owner = ownerId ? await findUserById(deps.db, ownerId) : null;
  if (!owner || owner.status !== 'active') return badToken(deps, meta);
  assertStrongPassword(input.password, 'body.password', [owner.email ?? '', owner.username]);
  const passwordHash = await deps.hasher.hash(input.password);
  const done = await withTransaction(deps.db, async (tx) => {
    const id = await consumeEmailToken(tx, tokenHash, 'reset_password');
    if (id !== owner.id) return false;
    await updateUser(tx, id, { passwordHash, passwordChangedAt: new Date() });
    await voidEmailTokens(tx, id, 'reset_password');
    const ended = await revokeUserSessions(tx, id, 'password_reset');
    await insertActivity(tx, deps.keyring, {
      userId: id,
      type: 'password_reset',
      ...meta,
      detail: { sessionsEnded: ended.length },
    });
    await recordEvent(tx, identityEvent('password_changed', id));
    return true;
  });
  if (!done) return badToken(deps, meta);
  // A reset proves control of the mailbox: earlier failed sign-ins need not hold the owner back.
  if (owner.email) await resetCounter(deps.db, counters(deps.config).login(owner.email, meta.ip).accountIp);
  await forgetUser(deps.cache, owner.id);
}

/**
 * Checks the signed-in user's current password (for changing it or deleting the account).
 * Failures are throttled per account.
 */
export async function reauthenticate(deps: IdentityDeps, userId: string, password: string, field: string) {
  const counter = counters(deps.config).reauth(userId);
  await assertNotLocked(deps.db, [counter]);
  const user = await findUserById(deps.db, userId);
  if (!user || user.status === 'deleted') throw new UserNotFoundError();
  if (!(await deps.hasher.verify(user.passwordHash, password))) {
    await countFailures(deps.db, [counter]);
    throw new WrongPasswordError(field);
  }
  await resetCounter(deps.db, counter);
  return user;
}

/** Changes the password and ends every other session of the account. */
export async function changePassword(
  deps: IdentityDeps,
  principal: Principal,
  input: { currentPassword: string; newPassword: string },
  meta: RequestMeta,
): Promise<void> {
  const user = await reauthenticate(deps, principal.userId, input.currentPassword, 'body.currentPassword');
  assertStrongPassword(input.newPassword, 'body.newPassword', [user.email ?? '', user.username]);
  const passwordHash = await deps.hasher.hash(input.newPassword);
  await withTransaction(deps.db, async (tx) => {
    await updateUser(tx, user.id, { passwordHash, passwordChangedAt: new Date() });
    await voidEmailTokens(tx, user.id, 'reset_password');
    const ended = await revokeUserSessions(tx, user.id, 'password_changed', principal.sessionId);
    await insertActivity(tx, deps.keyring, {
      userId: user.id,
      type: 'password_changed',
      ...meta,
      detail: { sessionsEnded: ended.length },
    });
    await recordEvent(tx, identityEvent('password_changed', user.id));
  });
  await forgetUser(deps.cache, user.id);
}
