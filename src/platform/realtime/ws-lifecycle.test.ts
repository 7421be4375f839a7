import { EventEmitter } from 'node:events';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectClient, listenForWebSockets, nextEvent, type WsTestClient } from '../../../test/helpers/ws.ts';
import { TokenService } from '../auth/tokens.ts';
import { authPlugin } from '../http/auth.ts';
import type { RealtimeHub, RealtimeListener } from './hub.ts';
import { MemoryHub } from './memory.ts';
import { realtimeRoutes, type ChannelPolicy } from './ws.ts';

/**
 * A real in-process hub whose subscriptions can be held open, the way a Redis SUBSCRIBE is in
 * flight: the listener is registered at once, `subscribe` resolves when released (or fails).
 */
class HeldHub implements RealtimeHub {
  readonly inner = new MemoryHub();
  readonly events = new EventEmitter();
  holding = false;
  failing = false;
  private readonly held: (() => void)[] = [];

  async subscribe(channel: string, listener: RealtimeListener) {
    if (this.failing) throw new Error('subscriber connection lost');
    const end = await this.inner.subscribe(channel, listener);
    if (this.holding) {
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
        this.events.emit('held');
      });
    }
    return end;
  }

  release() {
    this.holding = false;
    for (const resolve of this.held.splice(0)) resolve();
  }

  publish(channel: string, message: unknown) {
    return this.inner.publish(channel, message);
  }

  close() {
    return this.inner.close();
  }
}

const hub = new HeldHub();
const explode: ChannelPolicy = (channel) => {
  if (channel === 'policy.bug') throw new Error('policy bug');
  return undefined;
};
const allowAll: ChannelPolicy = () => 'allow';
let app: FastifyInstance;
let url: string;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  app = Fastify();
  await app.register(websocket);
  const auth = { tokens: new TokenService('lifecycle-secret-that-is-long-enough-0123', [], 'i', 'a', 60), checks: [] };
  await app.register(authPlugin, auth);
  await app.register(realtimeRoutes, {
    hub,
    auth,
    policies: [explode, allowAll],
    heartbeatMs: 30_000,
    maxBufferedBytes: 1 << 20,
    maxSubscriptions: 3,
  });
  url = await listenForWebSockets(app);
});

afterEach(() => {
  hub.release();
  hub.failing = false;
  for (const client of clients.splice(0)) client.terminate();
});

afterAll(async () => {
  await app.close();
  await hub.close();
});

async function connect() {
  const { client } = await connectClient(url);
  clients.push(client);
  return client;
}

const subscriptionsOn = (channel: string) => hub.inner.listenerCount(channel);

describe('websocket subscription lifecycle', () => {
  it('leaves no subscription behind when the client leaves while subscribing', async () => {
    hub.holding = true;
    const accepted = nextEvent(app.websocketServer, 'connection');
    const client = await connect();
    const [serverSide] = (await accepted) as [WebSocket];
    const held = nextEvent(hub.events, 'held');
    client.send({ op: 'subscribe', channel: 'c.leave' });
    await held;
    const gone = nextEvent(serverSide, 'close');
    client.terminate();
    await gone;
    hub.release();
    await vi.waitFor(() => expect(subscriptionsOn('c.leave')).toBe(0));
  });

  it('forwards nothing before `subscribed` and nothing after `unsubscribed`', async () => {
    hub.holding = true;
    const client = await connect();
    const held = nextEvent(hub.events, 'held');
    client.send({ op: 'subscribe', channel: 'c.early' });
    await held;
    await hub.publish('c.early', 'before subscribed');
    hub.release();
    expect(await client.takeType('subscribed')).toEqual({ type: 'subscribed', channel: 'c.early' });
    await hub.publish('c.early', 'after subscribed');
    expect((await client.takeType('message')).data).toBe('after subscribed');

    hub.holding = true;
    const heldAgain = nextEvent(hub.events, 'held');
    client.send({ op: 'subscribe', channel: 'c.late' });
    await heldAgain;
    expect(await client.unsubscribe('c.late')).toEqual({ type: 'unsubscribed', channel: 'c.late' });
    await hub.publish('c.late', 'after unsubscribed');
    hub.release();
    await vi.waitFor(() => expect(subscriptionsOn('c.late')).toBe(0));
    await client.roundTrip();
    expect(client.received.filter((f) => f.type === 'message').map((f) => f.data)).toEqual(['after subscribed']);
    expect(client.received.filter((f) => f.channel === 'c.late').map((f) => f.type)).toEqual(['unsubscribed']);
  });

  it('answers every repeated subscribe once the subscription is live, and holds one subscription', async () => {
    hub.holding = true;
    const client = await connect();
    const held = nextEvent(hub.events, 'held');
    client.send({ op: 'subscribe', channel: 'c.twice' });
    client.send({ op: 'subscribe', channel: 'c.twice' });
    await held;
    await client.roundTrip();
    expect(client.received.filter((f) => f.type === 'subscribed')).toEqual([]);
    hub.release();
    await client.takeType('subscribed');
    await client.takeType('subscribed');
    expect(subscriptionsOn('c.twice')).toBe(1);
  });

  it('reports a failed subscribe and lets the client try again', async () => {
    const client = await connect();
    hub.failing = true;
    expect(await client.subscribe('c.retry')).toMatchObject({ type: 'error', code: 'subscribe_failed' });
    hub.failing = false;
    expect(await client.subscribe('c.retry')).toEqual({ type: 'subscribed', channel: 'c.retry' });
  });

  it('ends every subscription when the client disconnects', async () => {
    const accepted = nextEvent(app.websocketServer, 'connection');
    const client = await connect();
    const [serverSide] = (await accepted) as [WebSocket];
    await client.subscribe('c.one');
    await client.subscribe('c.two');
    expect(subscriptionsOn('c.one') + subscriptionsOn('c.two')).toBe(2);
    const gone = nextEvent(serverSide, 'close');
    client.terminate();
    await gone;
    expect(subscriptionsOn('c.one') + subscriptionsOn('c.two')).toBe(0);
  });

  it('limits how many channels one connection follows', async () => {
    const client = await connect();
    for (const channel of ['l.1', 'l.2', 'l.3'])
      expect(await client.subscribe(channel)).toMatchObject({ type: 'subscribed' });
    expect(await client.subscribe('l.4')).toMatchObject({ type: 'error', code: 'too_many_subscriptions' });
    await client.unsubscribe('l.1');
    expect(await client.subscribe('l.4')).toMatchObject({ type: 'subscribed' });
  });

  it('survives a channel policy that throws', async () => {
    const client = await connect();
    client.send({ op: 'subscribe', channel: 'policy.bug' });
    expect(await client.takeType('error')).toMatchObject({ code: 'internal_error' });
    await client.roundTrip();
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });
});
