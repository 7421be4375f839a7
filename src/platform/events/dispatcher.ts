import type { Logger } from 'pino';
import type { Db } from '../db/tx.ts';
import {
  claimEvents,
  markDelivered,
  markFailed,
  markHandlerSucceeded,
  succeededHandlers,
  type DomainEvent,
} from './outbox.ts';

export type EventHandler = (event: DomainEvent) => Promise<void>;

/** Which handlers run for which event type. Modules register at start-up. */
export class EventRegistry {
  private readonly handlers = new Map<string, { name: string; handle: EventHandler }[]>();

  on(type: string, name: string, handle: EventHandler): void {
    const list = this.handlers.get(type) ?? [];
    if (list.some((h) => h.name === name)) throw new Error(`handler ${name} already registered for ${type}`);
    list.push({ name, handle });
    this.handlers.set(type, list);
  }

  handlersFor(type: string) {
    return this.handlers.get(type) ?? [];
  }
}

export interface DispatcherOptions {
  db: Db;
  registry: EventRegistry;
  logger: Logger;
  pollMs: number;
  maxAttempts: number;
  batchSize?: number;
  /** How long a claimed event stays reserved for this dispatcher. */
  leaseMs?: number;
  /** Delay before retry number `attempt` (1-based). Exponential with jitter by default. */
  backoffMs?: (attempt: number) => number;
}

export const defaultBackoff = (attempt: number) =>
  Math.min(60_000, 250 * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);

/**
 * Delivers committed outbox events to their handlers, at least once. Handlers run outside any
 * transaction (on the embedded database an open transaction would block every other connection),
 * so the claim is a short lease rather than a held row lock. A failing event is retried with
 * backoff and parked after `maxAttempts`.
 */
export class OutboxDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  /** A nudge arrived while a round was running: run another round right after it. */
  private again = false;

  constructor(private readonly opts: DispatcherOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /**
   * Asks for a delivery round now (after a commit that recorded events). A nudge during a round
   * runs one more round after it, so an event committed while a claim was in flight never waits
   * for the next poll.
   */
  nudge(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stops polling and waits for the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Waits for the delivery round in flight, if any, to finish its handlers. */
  async idle(): Promise<void> {
    await this.running;
  }

  /** One delivery round; returns how many events it handled (delivered or failed). */
  async runOnce(): Promise<number> {
    const { db, registry, logger } = this.opts;
    const events = await claimEvents(db, this.opts.batchSize ?? 50, this.opts.leaseMs ?? 30_000);
    for (const event of events) {
      try {
        const handlers = registry.handlersFor(event.type);
        // With one handler there is nothing to spare on a retry; with several, skip the ones done.
        const done = handlers.length > 1 && event.attempt > 1 ? await succeededHandlers(db, event.id) : new Set();
        for (const h of handlers) {
          if (done.has(h.name)) continue;
          await h.handle(event);
          if (handlers.length > 1) await markHandlerSucceeded(db, event.id, h.name);
        }
        await markDelivered(db, event.id);
      } catch (err) {
        const park = event.attempt >= this.opts.maxAttempts;
        const delay = (this.opts.backoffMs ?? defaultBackoff)(event.attempt);
        const message = err instanceof Error ? err.message : String(err);
        logger[park ? 'error' : 'warn'](
          { err, eventId: event.id, type: event.type, attempt: event.attempt },
          park ? 'event parked after repeated failures' : 'event handler failed; will retry',
        );
        await markFailed(db, event.id, message, delay, park);
      }
    }
    return events.length;
  }

  private schedule(delay: number) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private async tick() {
    if (this.stopped || this.running) return;
    let handled = 0;
    this.again = false;
    this.running = this.runOnce()
      .then((n) => {
        handled = n;
      })
      .catch((err: unknown) => this.opts.logger.error({ err }, 'outbox round failed'))
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
    if (!this.stopped) this.schedule(handled > 0 || this.again ? 0 : this.opts.pollMs);
  }
}
