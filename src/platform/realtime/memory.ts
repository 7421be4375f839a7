import type { RealtimeHub, RealtimeListener } from './hub.ts';

/** Fan-out inside one process: the default when no REDIS_URL is set. */
export class MemoryHub implements RealtimeHub {
  private readonly channels = new Map<string, Set<RealtimeListener>>();

  async publish(channel: string, message: unknown): Promise<void> {
    for (const listener of this.channels.get(channel) ?? []) listener(channel, message);
  }

  async subscribe(channel: string, listener: RealtimeListener): Promise<() => Promise<void>> {
    const set = this.channels.get(channel) ?? new Set();
    set.add(listener);
    this.channels.set(channel, set);
    return async () => {
      set.delete(listener);
      if (set.size === 0) this.channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}
