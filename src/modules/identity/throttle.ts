import type { Config } from '../../config.ts';
import type { Db } from '../../platform/db/tx.ts';
import { TooManyAttemptsError } from './errors.ts';
import { hashToken } from './secrets.ts';
import { clearThrottle, countFailure, lockThrottle, lockedForSeconds, type ThrottleKey } from './security-repo.ts';

export type ThrottleConfig = Pick<
  Config,
  | 'AUTH_FREE_FAILURES'
  | 'AUTH_LOCK_AFTER_FAILURES'
  | 'AUTH_LOCK_SECONDS'
  | 'AUTH_ACCOUNT_FAILURES_PER_HOUR'
  | 'AUTH_IP_FAILURES_PER_HOUR'
  | 'AUTH_MAIL_PER_ADDRESS_PER_HOUR'
  | 'AUTH_MAIL_REQUESTS_PER_IP_PER_HOUR'
>;

const HOUR = 3600;

/**
 * How long to lock after the `failures`-th failure in a window: nothing for the first few, then a
 * delay that doubles, then a fixed lock once `lockAfter` is reached.
 */
export function progressiveLockSeconds(failures: number, c: ThrottleConfig): number {
  if (failures <= c.AUTH_FREE_FAILURES) return 0;
  if (failures >= c.AUTH_LOCK_AFTER_FAILURES) return c.AUTH_LOCK_SECONDS;
  return Math.min(2 ** (failures - c.AUTH_FREE_FAILURES), c.AUTH_LOCK_SECONDS);
}

/** A counter kind: its scope name, counting window, and the lock it imposes. */
interface Rule {
  scope: string;
  windowSeconds: number;
  lockSeconds(failures: number, windowLeftSeconds: number): number;
}

const progressive = (scope: string, c: ThrottleConfig): Rule => ({
  scope,
  windowSeconds: HOUR,
  lockSeconds: (n) => progressiveLockSeconds(n, c),
});

/** At most `max` per hour: the `max`-th locks until the hour's window ends. */
const hourlyCap = (scope: string, max: number): Rule => ({
  scope,
  windowSeconds: HOUR,
  lockSeconds: (n, left) => (n >= max ? left : 0),
});

/** One counted subject: a rule and whom it counts (hashed before it is stored). */
export interface Counter {
  rule: Rule;
  subject: string;
}

const keyOf = (c: Counter): ThrottleKey => ({ scope: c.rule.scope, key: hashToken(`${c.rule.scope}\n${c.subject}`) });

/**
 * The counters the identity flows use. Logins count per address (spraying many accounts), per
 * account and address (guessing one password: progressive), and per account across addresses
 * (capped per hour). The account-wide lock is not applied to addresses the owner signed in from
 * before, so a stranger cannot keep the owner out.
 */
export function counters(c: ThrottleConfig) {
  const loginIp = hourlyCap('login_ip', c.AUTH_IP_FAILURES_PER_HOUR);
  const loginAccountIp = progressive('login_account_ip', c);
  const loginAccount = hourlyCap('login_account', c.AUTH_ACCOUNT_FAILURES_PER_HOUR);
  const tokenIp = progressive('token_ip', c);
  const reauthUser = progressive('reauth_user', c);
  const mailIp = hourlyCap('mail_ip', c.AUTH_MAIL_REQUESTS_PER_IP_PER_HOUR);
  const mailAddress = hourlyCap('mail_address', c.AUTH_MAIL_PER_ADDRESS_PER_HOUR);
  return {
    login: (email: string, ip: string) => ({
      ip: { rule: loginIp, subject: ip },
      accountIp: { rule: loginAccountIp, subject: `${email}\n${ip}` },
      account: { rule: loginAccount, subject: email },
    }),
    /** Wrong or expired one-time tokens (verification, reset) from one address. */
    token: (ip: string): Counter => ({ rule: tokenIp, subject: ip }),
    /** Wrong current password on a signed-in account (change password, delete account). */
    reauth: (userId: string): Counter => ({ rule: reauthUser, subject: userId }),
    /** Requests that send mail (register, forgot, resend), per address and per recipient. */
    mailIp: (ip: string): Counter => ({ rule: mailIp, subject: ip }),
    mailAddress: (email: string): Counter => ({ rule: mailAddress, subject: email }),
  };
}

/** Throws 429 with Retry-After when any of `list` is locked. */
export async function assertNotLocked(db: Db, list: Counter[]): Promise<void> {
  const seconds = await lockedForSeconds(db, list.map(keyOf));
  if (seconds > 0) throw new TooManyAttemptsError(seconds);
}

/** Counts a failure against each counter and applies the lock its rule asks for. */
export async function countFailures(db: Db, list: Counter[]): Promise<void> {
  for (const counter of list) {
    const key = keyOf(counter);
    const { failures, windowLeftSeconds } = await countFailure(db, key, counter.rule.windowSeconds);
    const lock = counter.rule.lockSeconds(failures, windowLeftSeconds);
    if (lock > 0) await lockThrottle(db, key, lock);
  }
}

/** Counts a hit and reports whether it went over the cap (the hit that locks is still allowed). */
export async function overCap(db: Db, counter: Counter): Promise<boolean> {
  if ((await lockedForSeconds(db, [keyOf(counter)])) > 0) return true;
  await countFailures(db, [counter]);
  return false;
}

export async function resetCounter(db: Db, counter: Counter): Promise<void> {
  await clearThrottle(db, keyOf(counter));
}
