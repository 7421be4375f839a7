import { Redis } from 'ioredis';
import { defaultOnError, encodeMessage, type HubOptions, type RealtimeHub, type RealtimeListener } from './hub.ts';
import { MemoryHub } from './memory.ts';

/** This process's Redis subscription to one channel, shared by all its local subscribers. */
interface RemoteChannel {
  subscribers: number;
  /** Settles once Redis confirmed the SUBSCRIBE; every local subscriber waits for it. */
  ready: Promise<void>;
}

/**
 * Fan-out across API processes through Redis pub/sub. Each process keeps one subscriber
 * connection and subscribes to a channel in Redis only while a local listener wants it.
 */
export class RedisHub implements RealtimeHub {
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly local: MemoryHub;
  private readonly remote = new Map<string, RemoteChannel>();
  private readonly onError: NonNullable<HubOptions['onError']>;
  private closed = false;

  constructor(
    url: string,
    private readonly prefix = 'rt:',
    options: HubOptions = {},
  ) {
    this.onError = options.onError ?? defaultOnError;
    this.local = new MemoryHub({ onError: this.onError });
    this.pub = new Redis(url, { maxRetriesPerRequest: 3 });
    this.sub = new Redis(url);
    for (const connection of [this.pub, this.sub]) connection.on('error', (err) => this.onError(err));
    this.sub.on('message', (key: string, raw: string) => this.receive(key, raw));
  }

  private receive(key: string, raw: string) {
    if (!key.startsWith(this.prefix)) return;
    const channel = key.slice(this.prefix.length);
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch (err) {
      // Anyone with access to Redis can publish here; one bad payload must not stop the others.
      this.onError(err, channel);
      return;
    }
    this.local.dispatch(channel, message);
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.pub.publish(this.prefix + channel, encodeMessage(message));
  }

  async subscribe(channel: string, listener: RealtimeListener): Promise<() => Promise<void>> {
    if (this.closed) throw new Error('The realtime hub is closed');
    const remote = this.remote.get(channel) ?? this.joinRemote(channel);
    remote.subscribers += 1;
    const leaveLocal = await this.local.subscribe(channel, listener);
    let ended = false;
    const end = async () => {
      if (ended) return;
      ended = true;
      await leaveLocal();
      remote.subscribers -= 1;
      if (remote.subscribers > 0 || this.remote.get(channel) !== remote) return;
      this.remote.delete(channel);
      if (this.closed) return;
      // Commands on one connection run in order, so a SUBSCRIBE sent after this one wins.
      await this.sub.unsubscribe(this.prefix + channel).catch((err: unknown) => {
        if (!this.closed) throw err;
      });
    };
    try {
      await remote.ready;
    } catch (err) {
      await end();
      throw err;
    }
    return end;
  }

  private joinRemote(channel: string): RemoteChannel {
    const remote: RemoteChannel = {
      subscribers: 0,
      ready: this.sub.subscribe(this.prefix + channel).then(() => undefined),
    };
    // A failed SUBSCRIBE is forgotten at once, so the next subscriber tries again.
    remote.ready.catch(() => {
      if (this.remote.get(channel) === remote) this.remote.delete(channel);
    });
    this.remote.set(channel, remote);
    return remote;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.local.close();
    this.remote.clear();
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
