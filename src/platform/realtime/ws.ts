import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { WebSocket } from 'ws';
import type { Principal } from '../auth/tokens.ts';
import { authenticateToken, type AuthOptions } from '../http/auth.ts';
import type { RealtimeHub } from './hub.ts';

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

/** One channel of one connection: live once the hub confirmed it and `subscribed` went out. */
interface Subscription {
  active: boolean;
  /** `subscribed` answers still owed (a client may repeat `subscribe` while it is pending). */
  acks: number;
  end?: () => Promise<void>;
}

/**
 * `GET /api/ws`: subscribe and unsubscribe to named channels. Authenticate with
 * `Authorization: Bearer` or `?token=`; anonymous clients may join public channels only.
 */
export const realtimeRoutes: FastifyPluginAsyncTypebox<RealtimeOptions> = async (app, opts) => {
  const maxSubs = opts.maxSubscriptions ?? 100;
  const decide = (channel: string, principal: Principal | null) => {
    for (const policy of opts.policies) {
      const verdict = policy(channel, principal);
      if (verdict) return verdict;
    }
    return 'deny' as const;
  };

  app.get(
    '/api/ws',
    {
      websocket: true,
      // Anyone may connect; channel policies decide what each caller may subscribe to.
      config: { access: 'public' },
      schema: {
        tags: ['realtime'],
        summary: 'Realtime channels over WebSocket',
        description:
          'Send `{"op":"subscribe","channel":"…"}`, `{"op":"unsubscribe","channel":"…"}` or `{"op":"ping"}`. ' +
          'The server sends `welcome`, `subscribed`, `unsubscribed`, `message` (with `channel` and `data`), ' +
          '`pong` and `error` (with `code`). Slow clients are disconnected with close code 4008.',
        querystring: Type.Object(
          { token: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })) },
          { additionalProperties: false },
        ),
        response: {
          101: Type.Null({ description: 'Switching protocols' }),
        },
      },
      onResponse: async (request) => {
        // An upgrade refused with an HTTP answer (401 from the auth hook, 429 from the rate limit)
        // leaves a socket the HTTP server no longer manages; without this it lingers half-open and
        // holds up shutdown. A completed upgrade is hijacked and never gets here.
        if (request.headers.upgrade?.toLowerCase() === 'websocket') request.raw.socket.destroy();
      },
      preValidation: async (request) => {
        const token = (request.query as { token?: string }).token;
        if (token && !request.principal) request.principal = await authenticateToken(opts.auth, token);
      },
    },
    (socket: WebSocket, request) => {
      const principal = request.principal;
      const subscriptions = new Map<string, Subscription>();
      let alive = true;
      let closed = false;

      const send = (payload: unknown) => {
        if (closed || socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > opts.maxBufferedBytes) {
          request.log.warn({ bufferedAmount: socket.bufferedAmount }, 'dropping slow websocket client');
          closed = true;
          socket.close(SLOW_CONSUMER_CLOSE, 'slow consumer');
          // The close frame waits behind the unsent data; a client that reads nothing never gets it.
          setTimeout(() => socket.terminate(), 1000).unref();
          return;
        }
        socket.send(JSON.stringify(payload));
      };

      const release = (sub: Subscription) => {
        sub.active = false;
        sub.end?.().catch((err: unknown) => request.log.error({ err }, 'realtime unsubscribe failed'));
      };

      const subscribe = (channel: string) => {
        const existing = subscriptions.get(channel);
        if (existing) {
          if (existing.active) send({ type: 'subscribed', channel });
          else existing.acks += 1;
          return;
        }
        if (subscriptions.size >= maxSubs) {
          return send({ type: 'error', code: 'too_many_subscriptions', channel, message: `At most ${maxSubs}` });
        }
        if (decide(channel, principal) !== 'allow') {
          const code = principal ? 'forbidden' : 'unauthorized';
          return send({ type: 'error', code, channel, message: 'You may not subscribe to this channel' });
        }
        const sub: Subscription = { active: false, acks: 1 };
        subscriptions.set(channel, sub);
        opts.hub
          // Nothing is forwarded before `subscribed`, nor after `unsubscribed`.
          .subscribe(channel, (ch, message) => {
            if (sub.active) send({ type: 'message', channel: ch, data: message });
          })
          .then((end) => {
            sub.end = end;
            if (closed || subscriptions.get(channel) !== sub) return release(sub);
            for (; sub.acks > 0; sub.acks -= 1) send({ type: 'subscribed', channel });
            sub.active = true;
          })
          .catch((err: unknown) => {
            if (subscriptions.get(channel) === sub) subscriptions.delete(channel);
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
            closed = true;
            socket.close(SESSION_ENDED_CLOSE, 'session ended');
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
        clearInterval(heartbeat);
        for (const sub of subscriptions.values()) release(sub);
        subscriptions.clear();
      });

      send({ type: 'welcome', userId: principal?.userId ?? null });
    },
  );
};
