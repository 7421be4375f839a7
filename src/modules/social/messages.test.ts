import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userChannel } from '../../platform/realtime/ws.ts';
import { drainOutbox } from '../../../test/helpers/outbox.ts';
import { connectClient, listenForWebSockets } from '../../../test/helpers/ws.ts';
import { createUserForTest } from '../../../test/support/identity.ts';
import {
  auth,
  block,
  createTestUser,
  expectStatus,
  startSocialApp,
  type CreatedTestUser,
  type TestApp,
} from '../../../test/support/social.ts';

const RATE = 5;
let t: TestApp;
let ann: CreatedTestUser;
let ben: CreatedTestUser;
let cid: CreatedTestUser;
let mod: CreatedTestUser;

beforeAll(async () => {
  t = await startSocialApp({ SOCIAL_MESSAGE_RATE_LIMIT_MAX: String(RATE) });
  [ann, ben, cid, mod] = await Promise.all([
    createTestUser(t),
    createTestUser(t),
    createTestUser(t),
    createTestUser(t, { role: 'moderator' }),
  ]);
});
afterAll(() => t.close());

const send = (from: CreatedTestUser, to: string, body: string) =>
  t.app.inject({ method: 'POST', url: '/api/social/message', headers: auth(from), payload: { to, body } });

const list = (u: CreatedTestUser, query = '') =>
  t.app.inject({ method: 'GET', url: `/api/social/messages${query}`, headers: auth(u) });

async function messageCount(): Promise<number> {
  const r = await t.runtime.ctx.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM social_messages`);
  return r.rows[0]?.n ?? 0;
}

interface MessageJson {
  id: string;
  from: { id: string; username: string };
  to: { id: string; username: string };
  body: string;
  readAt: string | null;
}

describe('direct messages', () => {
  it('delivers a message live on the recipient’s channel and notifies them', async () => {
    const url = await listenForWebSockets(t.app);
    const { client } = await connectClient(url, { token: ben.token });
    try {
      expect(await client.subscribe(userChannel(ben.id))).toMatchObject({ type: 'subscribed' });
      const sent = expectStatus(await send(ann, ben.username, 'Hello\u0007 there\u202E!'), 201).json<MessageJson>();
      expect(sent.body).toBe('Hello there!');
      expect(sent.from.id).toBe(ann.id);
      await drainOutbox(t);
      const frame = await client.take(
        (f) =>
          f.type === 'message' &&
          f.channel === userChannel(ben.id) &&
          (f.data as { type?: string }).type === 'social.message_sent',
      );
      expect((frame.data as { message: MessageJson }).message).toMatchObject({ id: sent.id, body: 'Hello there!' });
      const notes = expectStatus(
        await t.app.inject({ method: 'GET', url: '/api/notifications', headers: auth(ben) }),
        200,
      ).json<{ items: { type: string; data: { messageId?: string } }[] }>();
      expect(notes.items.some((n) => n.type === 'social.message' && n.data.messageId === sent.id)).toBe(true);
    } finally {
      client.terminate();
    }
  });

  it('lists conversations with unread counts, pages a conversation and marks it read', async () => {
    const [x, y] = await Promise.all([createTestUser(t), createTestUser(t)]);
    for (let i = 0; i < 3; i++) expectStatus(await send(x, y.username, `m${i}`), 201);
    expectStatus(await send(y, x.username, 'reply'), 201);
    const convs = expectStatus(await list(y), 200).json<{
      items: { with: { username: string }; unread: number; lastMessage: MessageJson }[];
    }>();
    expect(convs.items).toHaveLength(1);
    expect(convs.items[0]).toMatchObject({ with: { username: x.username }, unread: 3, lastMessage: { body: 'reply' } });
    const first = expectStatus(await list(y, `?with=${x.username}&limit=2`), 200).json<{
      items: MessageJson[];
      nextCursor: string | null;
    }>();
    expect(first.items.map((m) => m.body)).toEqual(['reply', 'm2']);
    const second = expectStatus(
      await list(y, `?with=${x.username}&limit=2&cursor=${first.nextCursor ?? ''}`),
      200,
    ).json<{ items: MessageJson[]; nextCursor: string | null }>();
    expect(second.items.map((m) => m.body)).toEqual(['m1', 'm0']);
    expect(second.nextCursor).toBeNull();
    const read = expectStatus(
      await t.app.inject({
        method: 'POST',
        url: '/api/social/messages/read',
        headers: auth(y),
        payload: { with: x.username },
      }),
      200,
    ).json<{ marked: number; unread: number }>();
    expect(read).toEqual({ marked: 3, unread: 0 });
    const after = expectStatus(await list(y), 200).json<{ items: { unread: number }[] }>();
    expect(after.items[0]?.unread).toBe(0);
    // Marking read only touches what was sent to me.
    const other = expectStatus(
      await t.app.inject({
        method: 'POST',
        url: '/api/social/messages/read',
        headers: auth(x),
        payload: { with: y.username },
      }),
      200,
    ).json<{ marked: number }>();
    expect(other.marked).toBe(1);
  });

  it('refuses messages across a block, in either direction, and writes nothing', async () => {
    const [x, y] = await Promise.all([createTestUser(t), createTestUser(t)]);
    await block(t, x, y);
    const before = await messageCount();
    const fromBlocked = await send(y, x.username, 'hi');
    expect(fromBlocked.statusCode).toBe(403);
    expect(fromBlocked.json<{ code: string }>().code).toBe('blocked');
    const toBlocked = await send(x, y.username, 'hi');
    expect(toBlocked.statusCode).toBe(403);
    expect(await messageCount()).toBe(before);
  });

  it('limits messages per user per window', async () => {
    const [x, y, z] = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
    for (let i = 0; i < RATE; i++) expectStatus(await send(x, y.username, `n${i}`), 201);
    const before = await messageCount();
    const limited = await send(x, y.username, 'one too many');
    expect(limited.statusCode).toBe(429);
    expect(await messageCount()).toBe(before);
    // The budget is the sender's own: someone else still gets through.
    expectStatus(await send(z, y.username, 'hello'), 201);
  });

  it('erases every conversation of an account that is deleted, on both sides', async () => {
    const dee = await createUserForTest(t.runtime.ctx);
    const deeAsClient = { id: dee.id, username: dee.username, email: dee.email, token: dee.accessToken };
    expectStatus(await send(ann, dee.username, 'want to swap?'), 201);
    expectStatus(await send(deeAsClient, ann.username, 'sure'), 201);
    const involving = async () =>
      (
        await t.runtime.ctx.db.execute<{ n: number }>(
          sql`SELECT count(*)::int AS n FROM social_messages WHERE sender_id = ${dee.id} OR recipient_id = ${dee.id}`,
        )
      ).rows[0]?.n;
    expect(await involving()).toBe(2);
    const deleted = await t.app.inject({
      method: 'DELETE',
      url: '/api/users/account',
      headers: dee.headers,
      payload: { password: dee.password },
    });
    expectStatus(deleted, 204);
    await drainOutbox(t);
    expect(await involving()).toBe(0);
    const conversations = (await list(ann)).json<{ items: { with: { id: string } }[] }>().items;
    expect(conversations.map((c) => c.with.id)).not.toContain(dee.id);
  });

  it('never shows other users’ conversations', async () => {
    const secret = expectStatus(await send(ann, ben.username, 'just between us'), 201).json<MessageJson>();
    const convs = expectStatus(await list(cid), 200).json<{ items: { with: { id: string } }[] }>();
    expect(convs.items.map((c) => c.with.id)).not.toContain(ann.id);
    const withAnn = expectStatus(await list(cid, `?with=${ann.username}`), 200).json<{ items: MessageJson[] }>();
    expect(withAnn.items).toEqual([]);
    // Neither a stranger nor the sender may report it; mark-read by a stranger changes nothing.
    for (const who of [cid, ann]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/social/messages/${secret.id}/report`,
        headers: auth(who),
        payload: { reason: 'spam' },
      });
      expect(res.statusCode).toBe(404);
    }
    const read = expectStatus(
      await t.app.inject({
        method: 'POST',
        url: '/api/social/messages/read',
        headers: auth(cid),
        payload: { with: ann.username },
      }),
      200,
    ).json<{ marked: number }>();
    expect(read.marked).toBe(0);
    const benView = expectStatus(await list(ben, `?with=${ann.username}`), 200).json<{ items: MessageJson[] }>();
    expect(benView.items.find((m) => m.id === secret.id)?.readAt).toBeNull();
    // Without a token nothing is listed.
    expect((await t.app.inject({ method: 'GET', url: '/api/social/messages' })).statusCode).toBe(401);
  });

  it('sends reports to moderators, and only to them', async () => {
    const msg = expectStatus(await send(ann, cid.username, 'buy my cards off-platform'), 201).json<MessageJson>();
    const report = (reason: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/social/messages/${msg.id}/report`,
        headers: auth(cid),
        payload: { reason },
      });
    const filed = expectStatus(await report('scam'), 201).json<{ id: string; status: string }>();
    expect(filed.status).toBe('open');
    expect(expectStatus(await report('scam again'), 200).json<{ id: string }>().id).toBe(filed.id);
    const asUser = await t.app.inject({ method: 'GET', url: '/api/social/messages/reports', headers: auth(cid) });
    expect(asUser.statusCode).toBe(403);
    const queue = expectStatus(
      await t.app.inject({ method: 'GET', url: '/api/social/messages/reports', headers: auth(mod) }),
      200,
    ).json<{ items: { id: string; message: MessageJson }[] }>();
    expect(queue.items.find((r) => r.id === filed.id)?.message.body).toBe('buy my cards off-platform');
    const resolve = (who: CreatedTestUser) =>
      t.app.inject({
        method: 'POST',
        url: `/api/social/messages/reports/${filed.id}/resolve`,
        headers: auth(who),
        payload: { outcome: 'upheld' },
      });
    expect((await resolve(cid)).statusCode).toBe(403);
    expect(expectStatus(await resolve(mod), 200).json<{ status: string }>().status).toBe('upheld');
    expect((await resolve(mod)).statusCode).toBe(409);
  });
});
