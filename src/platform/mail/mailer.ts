import { desc, eq } from 'drizzle-orm';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { uuidv7 } from 'uuidv7';
import type { Db } from '../db/tx.ts';
import { mailOutbox } from './tables.ts';

/** One message to one recipient; `text` is required so every client can read it. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/** Sends through the SMTP server named by `SMTP_URL` (`smtp://user:pass@host:port`, `smtps://…`). */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, ...message });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * Keeps each message in `platform_mail_outbox` and logs that it did: recipient and subject only,
 * since the body carries one-time links, except in development, where the body (and so the link)
 * is logged too so a local install can follow it without an SMTP server.
 */
export class StoredMailer implements Mailer {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly logBody = false,
  ) {}

  async send(message: MailMessage): Promise<void> {
    const id = uuidv7();
    await this.db.insert(mailOutbox).values({
      id,
      recipient: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html ?? null,
    });
    this.logger.info(
      { mailId: id, to: message.to, subject: message.subject, ...(this.logBody ? { text: message.text } : {}) },
      'mail stored (no SMTP_URL set)',
    );
  }

  async close(): Promise<void> {}
}

export interface StoredMail {
  id: string;
  recipient: string;
  subject: string;
  text: string;
  createdAt: Date;
}

/** Stored mail for one recipient, newest first (local use and tests). */
export async function listStoredMail(db: Db, recipient: string, limit = 20): Promise<StoredMail[]> {
  return db
    .select({
      id: mailOutbox.id,
      recipient: mailOutbox.recipient,
      subject: mailOutbox.subject,
      text: mailOutbox.text,
      createdAt: mailOutbox.createdAt,
    })
    .from(mailOutbox)
    .where(eq(mailOutbox.recipient, recipient))
    .orderBy(desc(mailOutbox.id))
    .limit(limit);
}

/** Account deletion: stored mail to the address goes with it (its text names the person). */
export async function deleteStoredMail(db: Db, recipient: string): Promise<number> {
  const deleted = await db
    .delete(mailOutbox)
    .where(eq(mailOutbox.recipient, recipient))
    .returning({ id: mailOutbox.id });
  return deleted.length;
}
