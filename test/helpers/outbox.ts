import { listStoredMail } from '../../src/platform/mail/index.ts';
import type { TestApp } from './app.ts';

/**
 * Delivers every committed outbox event. Handlers run here, or in a round the app's own dispatcher
 * started when the commit woke it: that round holds its events' leases, so it is waited for too.
 */
export async function drainOutbox(t: TestApp): Promise<void> {
  const { dispatcher } = t.runtime;
  do await dispatcher.idle();
  while ((await dispatcher.runOnce()) > 0);
  await dispatcher.idle();
}

/** The token in the newest stored mail to `email` whose subject matches. */
export async function mailedToken(t: TestApp, email: string, subject: RegExp): Promise<string> {
  await drainOutbox(t);
  const mail = (await listStoredMail(t.runtime.ctx.db, email)).find((m) => subject.test(m.subject));
  const token = mail && /token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no mail matching ${subject} to ${email}`);
  return token;
}

export async function mailCount(t: TestApp, email: string): Promise<number> {
  await drainOutbox(t);
  return (await listStoredMail(t.runtime.ctx.db, email, 1000)).length;
}
