import type { Db } from '../../platform/db/tx.ts';
import type { DomainEvent, EventRegistry } from '../../platform/events/index.ts';
import type { Mailer, MailMessage } from '../../platform/mail/index.ts';
import type { Config } from '../../config.ts';
import { publicBaseUrl } from '../../platform/http/public-url.ts';
import { RESET_PASSWORD_TTL_SECONDS, VERIFY_EMAIL_TTL_SECONDS } from './deps.ts';
import { findUserById, type UserRow } from './repo.ts';
import { insertEmailToken } from './security-repo.ts';
import { hashToken, newOpaqueToken } from './secrets.ts';
import type { EmailTokenPurpose } from './tables.ts';

const PRODUCT = 'ECE Trading Cards';

function verificationMail(to: string, name: string, link: string): MailMessage {
  return {
    to,
    subject: `Confirm your email for ${PRODUCT}`,
    text:
      `Hello ${name},\n\nConfirm this address by opening the link below (valid for 24 hours):\n\n${link}\n\n` +
      `If you did not create an account, ignore this message.\n`,
  };
}

function resetMail(to: string, name: string, link: string): MailMessage {
  return {
    to,
    subject: `Reset your ${PRODUCT} password`,
    text:
      `Hello ${name},\n\nSomeone asked to reset the password of your account. Open the link below within ` +
      `20 minutes to choose a new one:\n\n${link}\n\nIf it was not you, ignore this message: nothing changes.\n`,
  };
}

function alreadyRegisteredMail(to: string, name: string, base: string): MailMessage {
  return {
    to,
    subject: `Someone tried to sign up with your ${PRODUCT} email`,
    text:
      `Hello ${name},\n\nSomeone tried to create an account with this address, which already has one. ` +
      `If it was you, sign in, or reset your password at ${base}/forgot-password.\n`,
  };
}

function passwordChangedMail(to: string, name: string, base: string): MailMessage {
  return {
    to,
    subject: `Your ${PRODUCT} password was changed`,
    text:
      `Hello ${name},\n\nThe password of your account was just changed and your other sessions were ended. ` +
      `If it was not you, reset it now at ${base}/forgot-password.\n`,
  };
}

/**
 * Mail triggered by identity events. Tokens are created here, after the request committed, so
 * the only copy of a raw token is the one in the mail and a rolled-back request sends nothing.
 */
export function registerMailHandlers(
  events: EventRegistry,
  deps: { db: Db; config: Config; mailer: () => Mailer },
): void {
  const base = publicBaseUrl(deps.config);
  // One-time links open a front end's pages when there is one, this server's otherwise.
  const pages = deps.config.PUBLIC_WEB_URL?.replace(/\/+$/, '') ?? base;

  const withUser =
    (build: (user: UserRow & { email: string }, name: string) => Promise<MailMessage | null>) =>
    async (event: DomainEvent) => {
      const { userId } = event.payload as { userId: string };
      const user = await findUserById(deps.db, userId);
      if (!user || !user.email || user.status === 'deleted') return;
      const message = await build({ ...user, email: user.email }, user.displayName ?? user.username);
      if (message) await deps.mailer().send(message);
    };

  const link = async (userId: string, purpose: EmailTokenPurpose, ttlSeconds: number, path: string) => {
    const token = newOpaqueToken();
    await insertEmailToken(deps.db, { userId, purpose, tokenHash: hashToken(token), ttlSeconds });
    return `${pages}${path}?token=${token}`;
  };

  events.on(
    'identity.verification_requested',
    'identity.mail.verify',
    withUser(async (user, name) =>
      user.emailVerifiedAt
        ? null
        : verificationMail(
            user.email,
            name,
            await link(user.id, 'verify_email', VERIFY_EMAIL_TTL_SECONDS, '/verify-email'),
          ),
    ),
  );
  events.on(
    'identity.password_reset_requested',
    'identity.mail.reset',
    withUser(async (user, name) =>
      user.status === 'active'
        ? resetMail(
            user.email,
            name,
            await link(user.id, 'reset_password', RESET_PASSWORD_TTL_SECONDS, '/reset-password'),
          )
        : null,
    ),
  );
  events.on(
    'identity.registration_attempted',
    'identity.mail.already_registered',
    withUser(async (user, name) => alreadyRegisteredMail(user.email, name, base)),
  );
  events.on(
    'identity.password_changed',
    'identity.mail.password_changed',
    withUser(async (user, name) => passwordChangedMail(user.email, name, base)),
  );
}
