import type { Logger } from 'pino';
import type { Config } from '../../config.ts';
import type { Db } from '../db/tx.ts';
import { SmtpMailer, StoredMailer, type Mailer } from './mailer.ts';

export { SmtpMailer, StoredMailer, deleteStoredMail, listStoredMail } from './mailer.ts';
export type { Mailer, MailMessage, StoredMail } from './mailer.ts';

interface MailerDeps {
  config: Pick<Config, 'SMTP_URL' | 'MAIL_FROM' | 'NODE_ENV'>;
  db: Db;
  logger: Logger;
}

const mailers = new WeakMap<MailerDeps, Mailer>();

/**
 * The mailer of one runtime: SMTP when `SMTP_URL` is set, the database otherwise. Modules share
 * one per context (keyed by the context object), so one SMTP transport serves the process.
 */
export function mailerFor(deps: MailerDeps): Mailer {
  let mailer = mailers.get(deps);
  if (!mailer) {
    mailer = deps.config.SMTP_URL
      ? new SmtpMailer(deps.config.SMTP_URL, deps.config.MAIL_FROM)
      : new StoredMailer(deps.db, deps.logger.child({ component: 'mail' }), deps.config.NODE_ENV === 'development');
    mailers.set(deps, mailer);
  }
  return mailer;
}
