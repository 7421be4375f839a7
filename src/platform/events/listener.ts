import pg from 'pg';
import type { Logger } from 'pino';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox.ts';

export interface OutboxListenerOptions {
  /** PostgreSQL connection string (a server: the embedded database wakes its dispatcher in process). */
  url: string;
  logger: Logger;
  /** Called for every commit, in any process, that wrote outbox rows. */
  onCommit: () => void;
  /** Wait before reconnecting after the connection broke. */
  retryMs?: number;
}

/**
 * Keeps one connection LISTENing on the outbox channel, so a commit in any process (an API process
 * placing an order) wakes the dispatchers of every worker at once; the poll stays as the safety net
 * for a notification lost while reconnecting. Returns the function that stops listening.
 */
export function listenForOutboxCommits(opts: OutboxListenerOptions): () => Promise<void> {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: opts.url });
    client = c;
    c.on('notification', (msg) => {
      if (msg.channel === OUTBOX_NOTIFY_CHANNEL) opts.onCommit();
    });
    c.on('error', (err) => {
      opts.logger.warn({ err }, 'outbox listener connection failed; reconnecting');
      reconnect(c);
    });
    c.on('end', () => reconnect(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      // Anything committed while the connection was down is picked up by this round.
      opts.onCommit();
    } catch (err) {
      opts.logger.warn({ err }, 'outbox listener could not connect; retrying');
      reconnect(c);
    }
  };

  const reconnect = (c: pg.Client) => {
    if (stopped || client !== c) return;
    client = undefined;
    c.end().catch(() => undefined);
    clearTimeout(retry);
    retry = setTimeout(() => void connect(), opts.retryMs ?? 1000);
    retry.unref();
  };

  void connect();
  return async () => {
    stopped = true;
    clearTimeout(retry);
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
  };
}
