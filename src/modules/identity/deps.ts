import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { TokenService } from '../../platform/auth/tokens.ts';
import type { Cache } from '../../platform/cache/cache.ts';
import { keyringOf, type Keyring } from '../../platform/crypto/envelope.ts';
import type { Db } from '../../platform/db/tx.ts';
import type { PlatformContext } from '../../platform/module.ts';
import { PasswordHasher } from './password.ts';

/** What identity services need from the runtime; built once per process in the module setup. */
export interface IdentityDeps {
  db: Db;
  config: Config;
  cache: Cache;
  tokens: TokenService;
  hasher: PasswordHasher;
  logger: Logger;
  /** Seals the devices and addresses sessions and activity keep (personal data at rest). */
  keyring: Keyring;
}

/** Where a request came from, for sessions, activity and throttling. */
export interface RequestMeta {
  ip: string;
  userAgent: string | null;
}

export const VERIFY_EMAIL_TTL_SECONDS = 24 * 3600;
export const RESET_PASSWORD_TTL_SECONDS = 20 * 60;
/** Addresses the owner signed in from within this many days escape the account-wide lock. */
export const KNOWN_ADDRESS_DAYS = 30;

/** Normalised email: trimmed and lower-cased, the form stored and compared. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

const built = new WeakMap<PlatformContext, IdentityDeps>();

/** The identity dependencies of one runtime (one hasher, so one dummy hash, per process). */
export function identityDeps(ctx: PlatformContext): IdentityDeps {
  let deps = built.get(ctx);
  if (!deps) {
    deps = {
      db: ctx.db,
      config: ctx.config,
      cache: ctx.cache,
      tokens: ctx.tokens,
      hasher: new PasswordHasher(ctx.config),
      logger: ctx.logger.child({ module: 'identity' }),
      keyring: keyringOf(ctx.config),
    };
    built.set(ctx, deps);
  }
  return deps;
}
