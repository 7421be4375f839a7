import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/tokens.ts';
import type { Cache } from '../cache/cache.ts';
import { authenticateToken, type AuthOptions } from '../http/auth.ts';
import { AppError } from '../http/errors.ts';
import { encodeFrame, Fanout, writeFrames, type Peer } from './fanout.ts';
import type { RealtimeHub } from './hub.ts';
import { isStateEnvelope, loadState, StateStream } from './state.ts';
import { business } from '../metrics/metrics.ts';

/**
 * Decides whether `principal` (null when anonymous) may subscribe to `channel`: 'allow', 'deny',
 * or undefined to leave it to the next policy. A channel no policy allows is refused.
 */
export type ChannelPolicy = (channel: string, principal: Principal | null) => 'allow' | 'deny' | undefined;

/** `user.<id>` is that user's private channel (orders, fills, offers, notifications). */
export const privateUserChannel: ChannelPolicy = (channel, principal) => {
  if (!channel.startsWith('user.')) return undefined;
  return principal && channel === `user.${principal.userId}` ? 'allow' : 'deny';
};

export const userChannel = (userId: string) => `user.${userId}`;

export interface RealtimeOptions {
  hub: RealtimeHub;
  auth: AuthOptions;
  policies: ChannelPolicy[];
  heartbeatMs: number;
  /** A client whose unsent data exceeds this is disconnected instead of buffered further. */
  maxBufferedBytes: number;
  maxSubscriptions?: number;
  /** Channels served as snapshot + numbered deltas (see `state.ts`). */
  stateChannels?: ((channel: string) => boolean)[];
  /** Where `publishState` keeps each state channel's latest state (read by a channel's first subscriber). */
  cache?: Cache;
  /** At most this many deltas per second per state channel (newer states conflate into the next). */
  stateMaxRateHz?: number;
  /** Open connections one address may hold; the next handshake gets 429. */
  maxConnectionsPerAddress?: number;
  /** The same for loopback addresses (load tests, a local proxy); defaults to the general limit. */
  loopbackMaxConnections?: number;
  /** Clients written per turn of the event loop during a fan-out. */
  fanoutChunkSize?: number;
}

const CHANNEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

type ClientMessage = { op: 'subscribe' | 'unsubscribe'; channel: string } | { op: 'ping' };

function parseClientMessage(raw: string): ClientMessage | undefined {
  try {
    const msg = JSON.parse(raw) as Record<string, unknown>;
    if (msg.op === 'ping') return { op: 'ping' };
    if ((msg.op === 'subscribe' || msg.op === 'unsubscribe') && typeof msg.channel === 'string') {
      return { op: msg.op, channel: msg.channel };
    }
  } catch {
    // fall through: reported to the client as bad_message
  }
  return undefined;
}

export const SLOW_CONSUMER_CLOSE = 4008;
export const SESSION_ENDED_CLOSE = 4001;

/** Refused handshake: the address already holds as many connections as it may. */
export class TooManyConnectionsError extends AppError {
  constructor(limit: number) {
    super(
      'too_many_connections',
      429,
      `At most ${limit} open realtime connections per address`,
      {},
      {
        'retry-after': '1',
      },
    );
  }
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

/** One connection as the fan-out sees it: frames queue here and leave in one write per turn. */
class Client implements Peer {
  pending: Buffer[] = [];
  queued = false;
  closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly raw: Duplex,
    private readonly maxBufferedBytes: number,
    private readonly onSlow: () => void,
  ) {}

  write(frames: Buffer[]): void {
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) return this.onSlow();
    // The frames are complete WebSocket frames (no compression is negotiated), written behind
    // anything the socket's own sender wrote before, so the stream stays in order.
    writeFrames(this.raw, frames);
  }

  /** Writes what is queued now, before the connection closes. */
  flushNow(): void {
    const frames = this.pending;
    this.pending = [];
    if (frames.length > 0) this.write(frames);
  }
}

/** A channel this process follows on the hub for its clients: one hub subscription, one encoding. */
interface Group {
  channel: string;
  /** Clients that were told `subscribed` and receive what the channel carries. */
  members: Set<Client>;
  /** Connections holding the group (members, and those waiting for `ready`). */
  refs: number;
  ready: Promise<void>;
  end?: () => Promise<void>;
  state?: StateStream;
}

/** One channel of one connection: live once the hub confirmed it and `subscribed` went out. */
interface Subscription {
  group: Group;
  active: boolean;
  /** `subscribed` answers still owed (a client may repeat `subscribe` while it is pending). */
  acks: number;
  released: boolean;
}

/**
 * `GET /api/ws`: subscribe and unsubscribe to named channels. Authenticate with
 * `Authorization: Bearer` or `?token=`; anonymous clients may join public channels only.
 *
 * Each process follows a channel on the hub once for all its clients and encodes each message once:
 * the same frame is queued for every subscriber and written by the fan-out in chunks (see
 * `fanout.ts`). State channels get a snapshot on subscribe and numbered, conflated deltas.
 */
export const realtimeRoutes: FastifyPluginAsyncTypebox<RealtimeOptions> = async (app, opts) => {
  const maxSubs = opts.maxSubscriptions ?? 100;
  const fanout = new Fanout(opts.fanoutChunkSize);
  const minIntervalMs = 1000 / (opts.stateMaxRateHz ?? 20);
  const groups = new Map<string, Group>();
  const perAddress = new Map<string, number>();
  const reserved = new WeakSet<object>();
  const decide = (channel: string, principal: Principal | null) => {
    for (const policy of opts.policies) {
      const verdict = policy(channel, principal);
      if (verdict) return verdict;
    }
    return 'deny' as const;
  };
  const isStateChannel = (channel: string) => (opts.stateChannels ?? []).some((test) => test(channel));
  const connectionLimit = (ip: string) =>
    LOOPBACK.test(ip) && opts.loopbackMaxConnections !== undefined
      ? opts.loopbackMaxConnections
      : (opts.maxConnectionsPerAddress ?? Infinity);
  const releaseAddress = (ip: string) => {
    const n = (perAddress.get(ip) ?? 1) - 1;
    if (n > 0) perAddress.set(ip, n);
    else perAddress.delete(ip);
  };

  const receive = (group: Group, channel: string, message: unknown) => {
    if (group.state && isStateEnvelope(message)) return group.state.accept(message.$version, message.$state);
    if (group.members.size === 0) return;
    fanout.deliver(group.members, encodeFrame(JSON.stringify({ type: 'message', channel, data: message })));
  };

  const openGroup = async (group: Group) => {
    group.end = await opts.hub.subscribe(group.channel, (channel, message) => receive(group, channel, message));
    if (group.state && opts.cache) {
      // The latest state held in the cache only seeds the stream; without it the next change does.
      try {
        const held = await loadState(opts.cache, group.channel);
        if (held) group.state.seed(held.version, held.state);
      } catch (err) {
        app.log.warn({ err, channel: group.channel }, 'realtime state unavailable from the cache');
      }
    }
  };

  const acquire = (channel: string): Group => {
    let group = groups.get(channel);
    if (!group) {
      const created: Group = { channel, members: new Set(), refs: 0, ready: Promise.resolve() };
      if (isStateChannel(channel)) {
        created.state = new StateStream({
          channel,
          minIntervalMs,
          emit: (text) => {
            if (created.members.size > 0) fanout.deliver(created.members, encodeFrame(text));
          },
        });
      }
      created.ready = openGroup(created);
      created.ready.catch(() => {
        if (groups.get(channel) === created) groups.delete(channel);
      });
      groups.set(channel, created);
      group = created;
    }
    group.refs += 1;
    return group;
  };

  const releaseGroup = (group: Group, client: Client) => {
    group.members.delete(client);
    group.refs -= 1;
    if (group.refs > 0) return;
    if (groups.get(group.channel) === group) groups.delete(group.channel);
    group.state?.close();
    // Ended whether or not opening finished well: a subscription taken before a failure is released too.
    group.ready
      .catch(() => undefined)
      .then(() => group.end?.())
      .catch((err: unknown) => app.log.error({ err, channel: group.channel }, 'realtime unsubscribe failed'));
  };

  app.get(
    '/api/ws',
    {
      websocket: true,
      // Anyone may connect; channel policies decide what each caller may subscribe to. Handshakes
      // have their own per-address connection limit instead of the request rate limit.
      config: { access: 'public', rateLimit: false },
      schema: {
        tags: ['realtime'],
        summary: 'Realtime channels over WebSocket',
        description:
          'Send `{"op":"subscribe","channel":"…"}`, `{"op":"unsubscribe","channel":"…"}` or `{"op":"ping"}`. ' +
          'The server sends `welcome`, `subscribed`, `unsubscribed`, `message` (with `channel` and `data`), ' +
          '`snapshot` and `delta` (with `seq`) on state channels, `pong` and `error` (with `code`). ' +
          'Slow clients are disconnected with close code 4008. An address holding too many open ' +
          'connections is refused with 429 `too_many_connections`.',
        querystring: Type.Object(
          { token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })) },
          { additionalProperties: false },
        ),
        response: {
          101: Type.Null({ description: 'Switching protocols' }),
        },
      },
      onResponse: async (request) => {
        if (reserved.has(request)) {
          reserved.delete(request);
          releaseAddress(request.ip);
        }
        // An upgrade refused with an HTTP answer (401 from the auth hook, 429 from the connection
        // limit) leaves a socket the HTTP server no longer manages; without this it lingers
        // half-open and holds up shutdown. A completed upgrade is hijacked and never gets here.
        if (request.headers.upgrade?.toLowerCase() === 'websocket') request.raw.socket.destroy();
      },
      preValidation: async (request) => {
        const token = (request.query as { token?: string }).token;
        if (token && !request.principal) request.principal = await authenticateToken(opts.auth, token);
        const limit = connectionLimit(request.ip);
        const open = perAddress.get(request.ip) ?? 0;
        if (open >= limit) throw new TooManyConnectionsError(limit);
        perAddress.set(request.ip, open + 1);
        reserved.add(request);
      },
    },
    (socket: WebSocket, request) => {
      const principal = request.principal;
      const ip = request.ip;
      // The upgrade completed: the reservation now lasts as long as the connection.
      reserved.delete(request);
      business.realtimeConnections.inc();
      const subscriptions = new Map<string, Subscription>();
      let alive = true;
      let closed = false;
      const client = new Client(socket, request.raw.socket, opts.maxBufferedBytes, () => {
        request.log.warn({ bufferedAmount: socket.bufferedAmount }, 'dropping slow websocket client');
        closed = true;
        client.closed = true;
        socket.close(SLOW_CONSUMER_CLOSE, 'slow consumer');
        // The close frame waits behind the unsent data; a client that reads nothing never gets it.
        setTimeout(() => socket.terminate(), 1000).unref();
      });
      const sendFrame = (frame: Buffer) => {
        if (!closed) fanout.push(client, frame);
      };
      const send = (payload: unknown) => sendFrame(encodeFrame(JSON.stringify(payload)));
      const closeWith = (code: number, reason: string) => {
        client.flushNow();
        closed = true;
        client.closed = true;
        socket.close(code, reason);
      };
      const release = (sub: Subscription) => {
        if (sub.released) return;
        sub.released = true;
        sub.active = false;
        releaseGroup(sub.group, client);
      };
      const subscribe = (channel: string) => {
        const existing = subscriptions.get(channel);
        if (existing) {
          if (!existing.active) {
            existing.acks += 1;
            return;
          }
          send({ type: 'subscribed', channel });
          // Subscribing again to a state channel is how a client that saw a gap starts over.
          if (existing.group.state) sendFrame(encodeFrame(existing.group.state.snapshot()));
          return;
        }
        if (subscriptions.size >= maxSubs) {
          return send({ type: 'error', code: 'too_many_subscriptions', channel, message: `At most ${maxSubs}` });
        }
        if (decide(channel, principal) !== 'allow') {
          const code = principal ? 'forbidden' : 'unauthorized';
          return send({ type: 'error', code, channel, message: 'You may not subscribe to this channel' });
        }
        const group = acquire(channel);
        const sub: Subscription = { group, active: false, acks: 1, released: false };
        subscriptions.set(channel, sub);
        group.ready
          .then(() => {
            // Nothing is forwarded before `subscribed`, nor after `unsubscribed`.
            if (closed || subscriptions.get(channel) !== sub) return release(sub);
            for (; sub.acks > 0; sub.acks -= 1) send({ type: 'subscribed', channel });
            if (group.state) sendFrame(encodeFrame(group.state.snapshot()));
            sub.active = true;
            group.members.add(client);
          })
          .catch((err: unknown) => {
            if (subscriptions.get(channel) === sub) subscriptions.delete(channel);
            release(sub);
            request.log.error({ err, channel }, 'realtime subscribe failed');
            send({ type: 'error', code: 'subscribe_failed', channel, message: 'Try again' });
          });
      };
      const handle = (raw: string) => {
        const msg = parseClientMessage(raw);
        if (!msg) return send({ type: 'error', code: 'bad_message', message: 'Expected {op, channel}' });
        if (msg.op === 'ping') return send({ type: 'pong' });
        const { channel } = msg;
        if (!CHANNEL.test(channel)) {
          return send({ type: 'error', code: 'bad_channel', channel, message: 'Invalid channel name' });
        }
        if (msg.op === 'subscribe') return subscribe(channel);
        const sub = subscriptions.get(channel);
        subscriptions.delete(channel);
        if (sub) release(sub);
        send({ type: 'unsubscribed', channel });
      };
      // A session revoked or a user banned after the handshake loses the socket at the next beat.
      const stillAuthorised = async () => {
        if (!principal) return true;
        for (const check of opts.auth.checks) if (!(await check(principal))) return false;
        return true;
      };
      const heartbeat = setInterval(() => {
        if (!alive) {
          socket.terminate();
          return;
        }
        alive = false;
        socket.ping();
        stillAuthorised()
          .then((ok) => {
            if (ok || closed) return;
            send({ type: 'error', code: 'session_ended', message: 'The session has ended' });
            closeWith(SESSION_ENDED_CLOSE, 'session ended');
          })
          .catch((err: unknown) => request.log.error({ err }, 'realtime session check failed'));
      }, opts.heartbeatMs);
      socket.on('pong', () => {
        alive = true;
      });
      socket.on('message', (data) => {
        alive = true;
        try {
          handle(data.toString());
        } catch (err) {
          // An exception here would escape the socket's event emitter and end the process.
          request.log.error({ err }, 'realtime message failed');
          send({ type: 'error', code: 'internal_error', message: 'Something went wrong' });
        }
      });
      socket.on('close', () => {
        closed = true;
        client.closed = true;
        clearInterval(heartbeat);
        business.realtimeConnections.dec();
        releaseAddress(ip);
        for (const sub of subscriptions.values()) release(sub);
        subscriptions.clear();
      });
      send({ type: 'welcome', userId: principal?.userId ?? null });
    },
  );
};
