import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../../../test/helpers/db.ts';
import {
  connectClient,
  listenForWebSockets,
  rejectedHandshakeStatus,
  type WsTestClient,
} from '../../../test/helpers/ws.ts';
import { TokenService } from '../auth/tokens.ts';
import type { ModuleDefinition } from '../module.ts';
import { userChannel } from './ws.ts';

/** How a market module opens its public ticker channels to everyone, signed in or not. */
const publicTickers: ModuleDefinition = {
  name: 'public-tickers',
  setup(ctx) {
    ctx.channelPolicies.push((channel) => (channel.startsWith('market.ticker.') ? 'allow' : undefined));
  },
};

let database: TestDatabase;
let t: TestApp;
let url: string;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  t = await createTestApp({ database, modules: [publicTickers] });
  url = await listenForWebSockets(t.app);
});

afterEach(() => {
  for (const client of clients.splice(0)) client.terminate();
});

afterAll(async () => {
  await t.close();
  await database.destroy();
});

async function connect(opts: Parameters<typeof connectClient>[1] = {}, to = url) {
  const { client, welcome } = await connectClient(to, opts);
  clients.push(client);
  return { client, welcome };
}

const signIn = (userId = randomUUID()) => t.runtime.ctx.tokens.sign({ userId, role: 'user', sessionId: randomUUID() });
const ticker = () => `market.ticker.${randomUUID()}`;

describe('GET /api/ws, anonymous', () => {
  it('welcomes an anonymous client and lets it follow a public channel', async () => {
    const { client, welcome } = await connect();
    expect(welcome).toEqual({ type: 'welcome', userId: null });
    const channel = ticker();
    expect(await client.subscribe(channel)).toEqual({ type: 'subscribed', channel });
    await t.runtime.ctx.realtime.publish(channel, { last: 1250 });
    expect(await client.takeType('message')).toEqual({ type: 'message', channel, data: { last: 1250 } });
  });

  it("refuses a user's private channel and channels no policy allows as unauthorized", async () => {
    const { client } = await connect();
    for (const channel of [userChannel(randomUUID()), 'admin.audit', 'market.orders.x']) {
      expect(await client.subscribe(channel)).toMatchObject({ type: 'error', code: 'unauthorized', channel });
    }
  });
});

describe('GET /api/ws, signed in', () => {
  it.each([
    ['?token=', (token: string) => ({ token })],
    ['Authorization: Bearer', (token: string) => ({ bearer: token })],
  ])('with %s, follows its own channel and receives what is published there', async (_how, auth) => {
    const userId = randomUUID();
    const { client, welcome } = await connect(auth(await signIn(userId)));
    expect(welcome).toEqual({ type: 'welcome', userId });
    expect(await client.subscribe(userChannel(userId))).toEqual({ type: 'subscribed', channel: userChannel(userId) });
    await t.runtime.ctx.realtime.publish(userChannel(userId), { kind: 'fill', qty: 3 });
    expect(await client.takeType('message')).toEqual({
      type: 'message',
      channel: userChannel(userId),
      data: { kind: 'fill', qty: 3 },
    });
  });

  it("refuses another user's channel and unknown channels as forbidden", async () => {
    const { client } = await connect({ token: await signIn() });
    for (const channel of [userChannel(randomUUID()), 'admin.audit']) {
      expect(await client.subscribe(channel)).toMatchObject({ type: 'error', code: 'forbidden', channel });
    }
    expect(await client.subscribe(ticker())).toMatchObject({ type: 'subscribed' });
  });

  it('delivers a private message to its owner only', async () => {
    const [alice, bob] = [randomUUID(), randomUUID()];
    const { client: aliceClient } = await connect({ token: await signIn(alice) });
    const { client: bobClient } = await connect({ token: await signIn(bob) });
    await aliceClient.subscribe(userChannel(alice));
    await bobClient.subscribe(userChannel(bob));
    await t.runtime.ctx.realtime.publish(userChannel(alice), 'for alice');
    await t.runtime.ctx.realtime.publish(userChannel(bob), 'for bob');
    expect((await aliceClient.takeType('message')).data).toBe('for alice');
    expect((await bobClient.takeType('message')).data).toBe('for bob');
    expect(bobClient.messagesOn(userChannel(alice))).toEqual([]);
  });
});

describe('GET /api/ws handshake', () => {
  it('rejects a bad, foreign or expired token with 401 before upgrading', async () => {
    const { config } = t;
    const foreign = new TokenService(
      'another-secret-that-is-long-enough-0123456789',
      [],
      config.JWT_ISSUER,
      config.JWT_AUDIENCE,
      900,
    );
    const foreignToken = await foreign.sign({ userId: randomUUID(), role: 'user', sessionId: randomUUID() });
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() - 2 * 3600_000);
    const expired = await signIn();
    vi.useRealTimers();

    expect(await rejectedHandshakeStatus(`${url}?token=not-a-token`)).toBe(401);
    expect(await rejectedHandshakeStatus(`${url}?token=${expired}`)).toBe(401);
    expect(await rejectedHandshakeStatus(url, { authorization: `Bearer ${foreignToken}` })).toBe(401);
    expect(await rejectedHandshakeStatus(url, { authorization: `Bearer ${expired}` })).toBe(401);
    expect(await rejectedHandshakeStatus(url, { authorization: 'Basic dXNlcjpwYXNz' })).toBe(401);
  });
});

describe('GET /api/ws protocol', () => {
  it('answers malformed requests with bad_message or bad_channel and stays usable', async () => {
    const { client } = await connect();
    for (const raw of ['{not json', 'null', '[]', '{"op":"subscribe"}', '{"op":"dance","channel":"x"}']) {
      client.send(raw);
      expect(await client.takeType('error')).toMatchObject({ code: 'bad_message' });
    }
    for (const channel of ['', 'has space', '.leading', 'x'.repeat(129), 'user/1', 'ünïcode']) {
      expect(await client.subscribe(channel)).toMatchObject({ type: 'error', code: 'bad_channel', channel });
    }
    client.send({ op: 'ping' });
    expect(await client.takeType('pong')).toEqual({ type: 'pong' });
  });

  it('stops delivery after unsubscribe, keeps other channels, and can subscribe again', async () => {
    const userId = randomUUID();
    const { client } = await connect({ token: await signIn(userId) });
    const [channel, marker] = [ticker(), userChannel(userId)];
    await client.subscribe(channel);
    await client.subscribe(marker);
    expect(await client.unsubscribe(channel)).toEqual({ type: 'unsubscribed', channel });
    await t.runtime.ctx.realtime.publish(channel, 'missed');
    await t.runtime.ctx.realtime.publish(marker, 'marker');
    await client.take((f) => f.channel === marker && f.type === 'message');
    expect(client.messagesOn(channel)).toEqual([]);

    await client.subscribe(channel);
    await t.runtime.ctx.realtime.publish(channel, 'again');
    expect((await client.take((f) => f.channel === channel && f.type === 'message')).data).toBe('again');
  });

  it('answers a repeated subscribe without delivering twice', async () => {
    const { client } = await connect();
    const channel = ticker();
    await client.subscribe(channel);
    expect(await client.subscribe(channel)).toEqual({ type: 'subscribed', channel });
    await t.runtime.ctx.realtime.publish(channel, 'once');
    await client.takeType('message');
    await client.roundTrip();
    expect(client.messagesOn(channel)).toEqual(['once']);
  });

  it('delivers to every client of a channel, in publish order', async () => {
    const channel = ticker();
    const group = await Promise.all([connect(), connect(), connect()]);
    for (const { client } of group) await client.subscribe(channel);
    const prices = Array.from({ length: 50 }, (_, i) => i);
    for (const price of prices) await t.runtime.ctx.realtime.publish(channel, price);
    for (const { client } of group) {
      await client.take((f) => f.type === 'message' && f.data === prices.at(-1));
      expect(client.messagesOn(channel)).toEqual(prices);
    }
  });
});

describe.skipIf(!REDIS_URL)('GET /api/ws across API processes', () => {
  it('a client on one instance receives what another instance publishes', async () => {
    const other = await createTestApp({ database, modules: [publicTickers] });
    try {
      const otherUrl = await listenForWebSockets(other.app);
      const userId = randomUUID();
      const { client: onThis } = await connect({ token: await signIn(userId) });
      const { client: onOther } = await connect({ token: await signIn(userId) }, otherUrl);
      await onThis.subscribe(userChannel(userId));
      await onOther.subscribe(userChannel(userId));
      await other.runtime.ctx.realtime.publish(userChannel(userId), { from: 'other' });
      await t.runtime.ctx.realtime.publish(userChannel(userId), { from: 'this' });
      for (const client of [onThis, onOther]) {
        await client.take((f) => f.type === 'message' && (f.data as { from: string }).from === 'this');
        expect(client.messagesOn(userChannel(userId))).toEqual([{ from: 'other' }, { from: 'this' }]);
      }
    } finally {
      for (const client of clients.splice(0)) client.terminate();
      await other.close();
    }
  });
});
