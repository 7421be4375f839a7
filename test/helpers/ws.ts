import type { FastifyInstance } from 'fastify';
import WebSocket, { type ClientOptions } from 'ws';

const DEFAULT_TIMEOUT_MS = 5_000;

/** Starts `app` on a free loopback port and returns the websocket URL of `/api/ws`. */
export async function listenForWebSockets(app: FastifyInstance): Promise<string> {
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return `${address.replace(/^http/, 'ws')}/api/ws`;
}

/** A frame the server sent, as parsed JSON. */
export type ServerFrame = { type: string } & Record<string, unknown>;

export interface Closed {
  code: number;
  reason: string;
}

/** Resolves with `promise`, or rejects with `what` once `ms` pass. */
export function within<T>(promise: Promise<T>, what: string, ms = DEFAULT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Waiter {
  predicate: (frame: ServerFrame) => boolean;
  resolve: (frame: ServerFrame) => void;
}

/**
 * A websocket client that records every frame. `take` hands out frames in arrival order, waiting
 * for one when none matches yet; `received` keeps all of them for "nothing else arrived" checks.
 */
export class WsTestClient {
  readonly received: ServerFrame[] = [];
  readonly closed: Promise<Closed>;
  private readonly unread: ServerFrame[] = [];
  private readonly waiters = new Set<Waiter>();
  /** The last transport error, if any (the socket closes right after). */
  error: Error | undefined;

  constructor(readonly socket: WebSocket) {
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      this.received.push(frame);
      for (const waiter of this.waiters) {
        if (waiter.predicate(frame)) {
          this.waiters.delete(waiter);
          waiter.resolve(frame);
          return;
        }
      }
      this.unread.push(frame);
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  /** The first unread frame matching `predicate` (default: any), waiting up to `ms` for it. */
  take(predicate: (frame: ServerFrame) => boolean = () => true, ms = DEFAULT_TIMEOUT_MS): Promise<ServerFrame> {
    const index = this.unread.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.unread.splice(index, 1)[0] as ServerFrame);
    let waiter: Waiter | undefined;
    const found = new Promise<ServerFrame>((resolve) => {
      waiter = { predicate, resolve };
      this.waiters.add(waiter);
    });
    return within(found, 'a websocket frame', ms).finally(() => {
      if (waiter) this.waiters.delete(waiter);
    });
  }

  /** The next unread frame of `type`. */
  takeType(type: string, ms?: number): Promise<ServerFrame> {
    return this.take((f) => f.type === type, ms);
  }

  send(payload: unknown): void {
    this.socket.send(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  /** Sends `subscribe` and returns the server's answer for that channel (`subscribed` or `error`). */
  async subscribe(channel: string): Promise<ServerFrame> {
    this.send({ op: 'subscribe', channel });
    return this.take((f) => f.channel === channel && (f.type === 'subscribed' || f.type === 'error'));
  }

  async unsubscribe(channel: string): Promise<ServerFrame> {
    this.send({ op: 'unsubscribe', channel });
    return this.take((f) => f.channel === channel && (f.type === 'unsubscribed' || f.type === 'error'));
  }

  /** A ping/pong round trip: every frame the server sent before the pong has arrived once it returns. */
  async roundTrip(): Promise<void> {
    this.send({ op: 'ping' });
    await this.takeType('pong');
  }

  /** Frames of type `message` received on `channel` so far (read or not). */
  messagesOn(channel: string): unknown[] {
    return this.received.filter((f) => f.type === 'message' && f.channel === channel).map((f) => f.data);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** Opens a client and waits for the server's `welcome`. */
export async function connectClient(
  url: string,
  opts: { token?: string; bearer?: string; options?: ClientOptions } = {},
): Promise<{ client: WsTestClient; welcome: ServerFrame }> {
  const target = opts.token ? `${url}?token=${encodeURIComponent(opts.token)}` : url;
  const headers = opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : undefined;
  const socket = new WebSocket(target, { headers, ...opts.options });
  const client = new WsTestClient(socket);
  const closedEarly = client.closed.then(({ code }) => {
    throw new Error(`closed (${code}) before welcome: ${client.error?.message ?? 'no error'}`);
  });
  const welcome = await Promise.race([client.takeType('welcome'), closedEarly]);
  closedEarly.catch(() => undefined);
  return { client, welcome };
}

/** Attempts a handshake that the server should refuse; returns the HTTP status it answered. */
export async function rejectedHandshakeStatus(url: string, headers?: Record<string, string>): Promise<number> {
  const socket = new WebSocket(url, { headers });
  const status = new Promise<number>((resolve, reject) => {
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.on('open', () => {
      socket.terminate();
      reject(new Error('the server accepted the websocket handshake'));
    });
    socket.on('error', () => undefined);
  });
  return within(status, 'the handshake to be refused');
}

/** Resolves when `emitter` emits `event` (with its arguments), or rejects after `ms`. */
export function nextEvent(
  emitter: { once(event: string, listener: (...args: unknown[]) => void): unknown },
  event: string,
  ms?: number,
): Promise<unknown[]> {
  return within(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), `event '${event}'`, ms);
}
