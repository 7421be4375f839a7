import { Redis } from 'ioredis';
import type { RealtimeHub, RealtimeListener } from './hub.ts';
import { MemoryHub } from './memory.ts';

/**
 * Fan-out across API processes through Redis pub/sub. Each process keeps one subscriber
 * connection and subscribes to a channel in Redis only while a local listener wants it.
 */
export class RedisHub implements RealtimeHub {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly local = new MemoryHub();
  private readonly counts = new Map<string, number>();

  constructor(
    url: string,
    private readonly prefix = 'rt:',
  ) {
    this.pub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 3 });
    this.sub = new Redis(url, { lazyConnect: false });
    this.sub.on('message', (channel: string, raw: string) => {
      void this.local.publish(channel.slice(this.prefix.length), JSON.parse(raw));
    });
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.pub.publish(this.prefix + channel, JSON.stringify(message));
  }

  async subscribe(channel: string, listener: RealtimeListener): Promise<() => Promise<void>> {
    const off = await this.local.subscribe(channel, listener);
    const n = (this.counts.get(channel) ?? 0) + 1;
    this.counts.set(channel, n);
    if (n === 1) await this.sub.subscribe(this.prefix + channel);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      await off();
      const left = (this.counts.get(channel) ?? 1) - 1;
      if (left > 0) {
        this.counts.set(channel, left);
        return;
      }
      this.counts.delete(channel);
      await this.sub.unsubscribe(this.prefix + channel);
    };
  }

  async close(): Promise<void> {
    await this.local.close();
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
