import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, REDIS_URL, type TestDatabase } from '../../../test/helpers/db.ts';
import {
  connectClient,
  listenForWebSockets,
  rejectedHandshakeStatus,
  type ServerFrame,
  type WsTestClient,
} from '../../../test/helpers/ws.ts';
import { withTransaction } from '../db/tx.ts';
import { recordEvent } from '../events/outbox.ts';
import type { ModuleDefinition } from '../module.ts';
import { applyDelta, loadState, publishState } from './state.ts';

/**
 * A small exchange-like module: `demo.book.<id>` is a state channel (snapshot + deltas), and
 * `demo.trades.<id>` a plain one; both are published from outbox events, as the market does.
 */
const demoFeeds: ModuleDefinition = {
  name: 'demo-feeds',
  setup(ctx) {
    ctx.channelPolicies.push((channel) => (channel.startsWith('demo.') ? 'allow' : undefined));
    ctx.stateChannels.push((channel) => channel.startsWith('demo.book.'));
    ctx.events.on('demo.book', 'demo.realtime', async (e) => {
      const { channel, state } = e.payload as { channel: string; state: unknown };
      await publishState(ctx.realtime, ctx.cache, channel, Number(e.seq ?? 0), state);
    });
    ctx.events.on('demo.trade', 'demo.realtime', async (e) => {
      const { channel, trade } = e.payload as { channel: string; trade: unknown };
      await ctx.realtime.publish(channel, trade);
    });
  },
};

let database: TestDatabase;
let t: TestApp;
let url: string;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  // A minute between polls: whatever arrives sooner was woken by its commit.
  t = await createTestApp({
    database,
    modules: [demoFeeds],
    env: { OUTBOX_POLL_MS: '60000', WS_STATE_MAX_RATE_HZ: '20' },
  });
  url = await listenForWebSockets(t.app);
});

afterEach(() => {
  for (const client of clients.splice(0)) client.terminate();
});

afterAll(async () => {
  await t?.close();
  await database?.destroy();
});

async function connect(to = url) {
  const { client } = await connectClient(to);
  clients.push(client);
  return client;
}

const level = (price: number, quantity: number) => ({ price, quantity, orders: 1 });
const bookState = (n: number) => ({
  type: 'book',
  bids: [level(100 - (n % 3), n), level(90, 1)],
  asks: n % 2 === 0 ? [level(110, n)] : [],
});

/** Commits one change of a book (its new state) through the outbox. */
const changeBook = (app: TestApp, channel: string, n: number) =>
  withTransaction(app.runtime.ctx.db, (tx) =>
    recordEvent(tx, {
      type: 'demo.book',
      aggregateType: 'demo',
      aggregateId: channel,
      payload: { channel, state: bookState(n) },
    }),
  );

const trade = (app: TestApp, channel: string, n: number) =>
  withTransaction(app.runtime.ctx.db, (tx) =>
    recordEvent(tx, {
      type: 'demo.trade',
      aggregateType: 'demo',
      aggregateId: channel,
      payload: { channel, trade: { n } },
    }),
  );

/** A client's view of a state channel: applies deltas, and reports a gap instead of applying past it. */
class BookReader {
  seq = -1;
  version = 0;
  state: unknown = null;
  gaps = 0;
  constructor(
    readonly client: WsTestClient,
    readonly channel: string,
  ) {}

  read(frame: ServerFrame) {
    if (frame.type === 'snapshot') {
      this.seq = frame.seq as number;
      this.version = frame.version as number;
      this.state = frame.data;
    } else if (frame.type === 'delta') {
      if (frame.seq !== this.seq + 1) {
        this.gaps += 1;
        return false;
      }
      this.seq = frame.seq as number;
      this.version = frame.version as number;
      this.state = applyDelta(this.state, frame.data);
    }
    return true;
  }

  /** Reads frames of the channel until it holds `version`. */
  async until(version: number) {
    while (this.version < version) {
      const frame = await this.client.take(
        (f) => f.channel === this.channel && (f.type === 'delta' || f.type === 'snapshot'),
      );
      if (!this.read(frame)) throw new Error(`gap before seq ${String(frame.seq)}`);
    }
  }
}

const latestVersion = async (channel: string) => {
  const r = await database.pool.query<{ seq: string }>(
    `SELECT max(seq)::text AS seq FROM platform_outbox_events WHERE type = 'demo.book' AND aggregate_id = $1`,
    [channel],
  );
  return Number(r.rows[0]?.seq ?? 0);
};

describe('state channels: snapshot, then numbered deltas', () => {
  it('a reading client gets a snapshot, then deltas numbered without gaps that end at the latest state', async () => {
    const channel = `demo.book.${randomUUID()}`;
    await changeBook(t, channel, 1);
    await t.runtime.dispatcher.runOnce();
    const client = await connect();
    expect(await client.subscribe(channel)).toEqual({ type: 'subscribed', channel });
    const reader = new BookReader(client, channel);
    reader.read(await client.takeType('snapshot'));
    expect(reader).toMatchObject({ seq: 0, state: bookState(1) });
    for (let n = 2; n <= 30; n += 1) await changeBook(t, channel, n);
    await reader.until(await latestVersion(channel));
    expect(reader.state).toEqual(bookState(30));
    const deltas = client.received.filter((f) => f.type === 'delta' && f.channel === channel);
    expect(deltas.map((f) => f.seq)).toEqual(deltas.map((_, i) => i + 1));
    // Conflated: 29 changes, at most 20 deltas a second, never one out of order.
    const versions = deltas.map((f) => f.version as number);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('a client that sees a gap subscribes again and starts over from a fresh snapshot', async () => {
    const channel = `demo.book.${randomUUID()}`;
    const client = await connect();
    await client.subscribe(channel);
    const reader = new BookReader(client, channel);
    reader.read(await client.takeType('snapshot'));
    expect(reader).toMatchObject({ seq: 0, state: null });
    await changeBook(t, channel, 1);
    await reader.until(await latestVersion(channel));
    await changeBook(t, channel, 2);
    // This client misses one delta (as if it had been lost on the way).
    const missed = await client.take((f) => f.type === 'delta' && f.channel === channel);
    await changeBook(t, channel, 3);
    const next = await client.take((f) => f.type === 'delta' && f.channel === channel);
    expect(missed.seq).toBe(reader.seq + 1);
    expect(reader.read(next)).toBe(false);
    expect(reader.gaps).toBe(1);
    expect(await client.subscribe(channel)).toEqual({ type: 'subscribed', channel });
    const snapshot = await client.takeType('snapshot');
    expect(snapshot).toMatchObject({ seq: next.seq, version: await latestVersion(channel), data: bookState(3) });
    reader.read(snapshot);
    await changeBook(t, channel, 4);
    await reader.until(await latestVersion(channel));
    expect(reader).toMatchObject({ gaps: 1, state: bookState(4) });
  });

  it('a channel whose first subscriber arrives late starts from the latest published state', async () => {
    const channel = `demo.book.${randomUUID()}`;
    for (let n = 1; n <= 3; n += 1) await changeBook(t, channel, n);
    const last = await latestVersion(channel);
    // Published (nobody listening yet) by the dispatcher its commit woke.
    while ((await loadState(t.runtime.ctx.cache, channel))?.version !== last) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const client = await connect();
    await client.subscribe(channel);
    expect(await client.takeType('snapshot')).toMatchObject({
      seq: 0,
      version: last,
      data: bookState(3),
    });
  });
});

describe('delivery on commit', () => {
  it('a trade reaches subscribers on commit, in order; a rolled-back one never does', async () => {
    const channel = `demo.trades.${randomUUID()}`;
    const client = await connect();
    await client.subscribe(channel);
    const started = performance.now();
    await trade(t, channel, 1);
    expect(await client.takeType('message')).toMatchObject({ channel, data: { n: 1 } });
    // Far sooner than the one-minute poll.
    expect(performance.now() - started).toBeLessThan(3000);
    await expect(
      withTransaction(t.runtime.ctx.db, async (tx) => {
        await recordEvent(tx, {
          type: 'demo.trade',
          aggregateType: 'demo',
          aggregateId: channel,
          payload: { channel, trade: { n: 2 } },
        });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    for (let n = 3; n <= 12; n += 1) await trade(t, channel, n);
    await client.take((f) => f.type === 'message' && (f.data as { n: number }).n === 12);
    expect(client.messagesOn(channel)).toEqual([1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((n) => ({ n })));
  });

  it('delivers large messages intact (frames are encoded once, with any length)', async () => {
    const channel = `demo.trades.${randomUUID()}`;
    const [a, b] = [await connect(), await connect()];
    for (const c of [a, b]) await c.subscribe(channel);
    const sizes = [10, 200, 70_000];
    for (const size of sizes) await t.runtime.ctx.realtime.publish(channel, { text: 'x'.repeat(size) });
    for (const c of [a, b]) {
      await c.take((f) => f.type === 'message' && (f.data as { text: string }).text.length === 70_000);
      expect(c.messagesOn(channel).map((m) => (m as { text: string }).text.length)).toEqual(sizes);
    }
  });
});

describe('connection limit per address', () => {
  it('refuses the connection past the limit with 429, never counts handshakes as requests, and frees a slot on close', async () => {
    const limited = await createTestApp({
      database,
      modules: [demoFeeds],
      env: { WS_MAX_CONNECTIONS_PER_ADDRESS: '3', WS_LOOPBACK_MAX_CONNECTIONS: '3', RATE_LIMIT_MAX: '2' },
    });
    try {
      const limitedUrl = await listenForWebSockets(limited.app);
      // Three connections although the request rate limit allows two requests a minute.
      const open = [await connect(limitedUrl), await connect(limitedUrl), await connect(limitedUrl)];
      expect(await rejectedHandshakeStatus(limitedUrl)).toBe(429);
      const first = open[0] as WsTestClient;
      first.terminate();
      await first.closed;
      // The server sees the close a moment later.
      let reconnected: WsTestClient | undefined;
      for (let attempt = 0; attempt < 50 && !reconnected; attempt += 1) {
        reconnected = await connect(limitedUrl).catch(async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return undefined;
        });
      }
      expect(reconnected).toBeDefined();
    } finally {
      for (const client of clients.splice(0)) client.terminate();
      await limited.close();
    }
  });
});

describe.skipIf(!REDIS_URL)('two API processes on one database and Redis', () => {
  it('deliver the same trade sequence and end at the same book state', async () => {
    const other = await createTestApp({ database, modules: [demoFeeds], env: { OUTBOX_POLL_MS: '60000' } });
    try {
      const otherUrl = await listenForWebSockets(other.app);
      const [trades, book] = [`demo.trades.${randomUUID()}`, `demo.book.${randomUUID()}`];
      const [here, there] = [await connect(), await connect(otherUrl)];
      for (const c of [here, there]) {
        await c.subscribe(trades);
        await c.subscribe(book);
      }
      const readers = [new BookReader(here, book), new BookReader(there, book)];
      for (const r of readers) r.read(await r.client.takeType('snapshot'));
      // Changes committed through both processes, delivered by whichever dispatcher claims them.
      for (let n = 1; n <= 20; n += 1) {
        await trade(n % 2 ? t : other, trades, n);
        await changeBook(n % 2 ? other : t, book, n);
      }
      const last = await latestVersion(book);
      for (const r of readers) await r.until(last);
      for (const c of [here, there]) await c.take((f) => f.type === 'message' && (f.data as { n: number }).n === 20);
      const expected = Array.from({ length: 20 }, (_, i) => ({ n: i + 1 }));
      expect(here.messagesOn(trades)).toEqual(expected);
      expect(there.messagesOn(trades)).toEqual(expected);
      for (const r of readers) expect(r).toMatchObject({ gaps: 0, version: last, state: bookState(20) });
    } finally {
      for (const client of clients.splice(0)) client.terminate();
      await other.close();
    }
  });
});
