import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/db.ts';
import { connectClient, listenForWebSockets, nextEvent, within, type WsTestClient } from '../../../test/helpers/ws.ts';
import type { ModuleDefinition } from '../module.ts';
import { SESSION_ENDED_CLOSE, SLOW_CONSUMER_CLOSE } from './ws.ts';

const publicTickers: ModuleDefinition = {
  name: 'public-tickers',
  setup(ctx) {
    ctx.channelPolicies.push((channel) => (channel.startsWith('market.ticker.') ? 'allow' : undefined));
  },
};

let database: TestDatabase;
const apps: TestApp[] = [];
const clients: WsTestClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterEach(() => {
  for (const client of clients.splice(0)) client.terminate();
});

afterAll(async () => {
  for (const app of apps) await app.close();
  await database?.destroy();
});

async function start(env: Record<string, string>) {
  const t = await createTestApp({ database, modules: [publicTickers], env });
  apps.push(t);
  return { t, url: await listenForWebSockets(t.app) };
}

async function connect(url: string, opts: Parameters<typeof connectClient>[1] = {}) {
  const { client } = await connectClient(url, opts);
  clients.push(client);
  return client;
}

/** Resolves once `socket` has received `n` pings from the server. */
function pings(socket: WebSocket, n: number) {
  let seen = 0;
  return within(
    new Promise<void>((resolve) =>
      socket.on('ping', () => {
        seen += 1;
        if (seen === n) resolve();
      }),
    ),
    `${n} pings`,
  );
}

describe('websocket heartbeat', () => {
  it('terminates a client that stops answering pings and keeps one that answers', async () => {
    const { url } = await start({ WS_HEARTBEAT_MS: '200' });
    const silent = await connect(url, { options: { autoPong: false } });
    const lively = await connect(url);
    const silentPinged = pings(silent.socket, 1);
    const livelyPinged = pings(lively.socket, 3);

    await silentPinged;
    expect((await within(silent.closed, 'the silent client to be dropped')).code).toBe(1006);

    await livelyPinged;
    expect(lively.socket.readyState).toBe(WebSocket.OPEN);
    await lively.roundTrip();
  });
});

describe('websocket back-pressure', () => {
  it('drops a client that stops reading instead of buffering for it; a reading client keeps up', async () => {
    const { t, url } = await start({ WS_MAX_BUFFERED_BYTES: String(64 * 1024) });
    const channel = `market.ticker.${randomUUID()}`;
    const reader = await connect(url);
    const accepted = nextEvent(t.app.websocketServer, 'connection');
    const stalled = await connect(url);
    const [serverSide] = (await accepted) as [WebSocket];
    await reader.subscribe(channel);
    await stalled.subscribe(channel);
    const dropped = nextEvent(serverSide, 'close', 10_000);

    stalled.socket.pause();
    const chunk = 'x'.repeat(64 * 1024);
    const limit = 2_000;
    let sent = 0;
    // One message at a time, each read by `reader` before the next: only `stalled` falls behind.
    while (serverSide.readyState === WebSocket.OPEN && sent < limit) {
      const seq = sent;
      await t.runtime.ctx.realtime.publish(channel, { seq, chunk });
      await reader.take((f) => f.type === 'message' && (f.data as { seq: number }).seq === seq);
      sent += 1;
    }
    expect(sent).toBeLessThan(limit);
    await dropped;

    await reader.roundTrip();
    expect(reader.socket.readyState).toBe(WebSocket.OPEN);
    expect(reader.messagesOn(channel)).toHaveLength(sent);

    stalled.socket.resume();
    const { code } = await within(stalled.closed, 'the stalled client to see its connection end');
    expect([SLOW_CONSUMER_CLOSE, 1006]).toContain(code);
    expect(stalled.messagesOn(channel).length).toBeLessThan(sent);
  });
});

describe('websocket session checks', () => {
  it('closes an authenticated socket at the next heartbeat once its session no longer passes the checks', async () => {
    let sessionValid = true;
    const revocable: ModuleDefinition = {
      name: 'revocable-sessions',
      setup(ctx) {
        ctx.principalChecks.push(async () => sessionValid);
      },
    };
    const t = await createTestApp({ database, modules: [revocable], env: { WS_HEARTBEAT_MS: '200' } });
    apps.push(t);
    const url = await listenForWebSockets(t.app);
    const userId = randomUUID();
    const token = await t.runtime.ctx.tokens.sign({ userId, role: 'user', sessionId: randomUUID() });
    const client = await connect(url, { token });
    await pings(client.socket, 2);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);

    sessionValid = false;
    expect((await within(client.closed, 'the revoked client to be dropped')).code).toBe(SESSION_ENDED_CLOSE);
  });
});
