import { defaultOnError, encodeMessage, type HubOptions, type RealtimeHub, type RealtimeListener } from './hub.ts';

interface Subscription {
  listener: RealtimeListener;
  live: boolean;
}

/** Fan-out inside one process: the default when no REDIS_URL is set. */
export class MemoryHub implements RealtimeHub {
  private readonly channels = new Map<string, Set<Subscription>>();
  private readonly queue: [string, unknown][] = [];
  private delivering = false;
  private readonly onError: NonNullable<HubOptions['onError']>;

  constructor(options: HubOptions = {}) {
    this.onError = options.onError ?? defaultOnError;
  }

  async publish(channel: string, message: unknown): Promise<void> {
    this.dispatch(channel, JSON.parse(encodeMessage(message)));
  }

  /**
   * Hands `message` as it is to this process's listeners of `channel`. A message published while
   * another is being delivered (from inside a listener) waits its turn, so every listener sees
   * messages in the same order.
   */
  dispatch(channel: string, message: unknown): void {
    this.queue.push([channel, message]);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) this.deliver(next[0], next[1]);
    } finally {
      this.delivering = false;
    }
  }

  private deliver(channel: string, message: unknown) {
    const subscriptions = this.channels.get(channel);
    if (!subscriptions) return;
    // A copy, so listeners added during this delivery wait for the next message.
    for (const sub of [...subscriptions]) {
      if (!sub.live) continue;
      try {
        sub.listener(channel, message);
      } catch (err) {
        this.onError(err, channel);
      }
    }
  }

  async subscribe(channel: string, listener: RealtimeListener): Promise<() => Promise<void>> {
    const sub: Subscription = { listener, live: true };
    const subscriptions = this.channels.get(channel) ?? new Set();
    subscriptions.add(sub);
    this.channels.set(channel, subscriptions);
    return async () => {
      if (!sub.live) return;
      sub.live = false;
      const current = this.channels.get(channel);
      current?.delete(sub);
      if (current?.size === 0) this.channels.delete(channel);
    };
  }

  /** How many subscriptions `channel` has in this process. */
  listenerCount(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }

  async close(): Promise<void> {
    for (const subscriptions of this.channels.values()) for (const sub of subscriptions) sub.live = false;
    this.channels.clear();
    this.queue.length = 0;
  }
}
