import { uuidv7 } from 'uuidv7';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { withTransaction } from '../../platform/db/tx.ts';
import { userChannel } from '../../platform/realtime/ws.ts';
import { json } from '../../../test/helpers/http.ts';
import { drainOutbox, mailCount } from '../../../test/helpers/outbox.ts';
import { createUserForTest, startIdentityApp, type TestUser } from '../../../test/support/identity.ts';
import { notify, NOTIFICATION_REQUESTED, requestNotification } from './index.ts';
import { listNotifications } from './repo.ts';

let t: TestApp;
beforeAll(async () => {
  t = await startIdentityApp();
});
afterAll(() => t.close());

const sample = (userId: string, n = 1) => ({
  userId,
  type: 'trade.offer_received',
  title: `Offer ${n}`,
  body: `You received offer ${n}`,
  data: { offerId: `o-${n}` },
});

const list = (u: TestUser, query = '') =>
  t.app.inject({ method: 'GET', url: `/api/notifications${query}`, headers: u.headers });
const unread = async (u: TestUser) =>
  json<{ count: number }>(
    await t.app.inject({ method: 'GET', url: '/api/notifications/unread-count', headers: u.headers }),
  ).count;

describe('notifications', () => {
  it('stores in the caller transaction and pushes live on the private channel after commit', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    const received: unknown[] = [];
    const off = await t.runtime.ctx.realtime.subscribe(userChannel(u.id), (_ch, m) => received.push(m));
    try {
      await expect(
        withTransaction(t.runtime.ctx.db, async (tx) => {
          await notify(tx, sample(u.id, 0));
          throw new Error('the trade failed');
        }),
      ).rejects.toThrow('the trade failed');
      const id = await withTransaction(t.runtime.ctx.db, (tx) => notify(tx, sample(u.id, 1)));
      await drainOutbox(t);
      await expect.poll(() => received.length).toBe(1);
      expect(received[0]).toMatchObject({ kind: 'notification', notification: { id, title: 'Offer 1', read: false } });
      expect(json<{ items: { id: string }[] }>(await list(u)).items.map((n) => n.id)).toEqual([id]);
    } finally {
      await off();
    }
  });

  it('pages newest first, counts unread and marks read by id or all', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    for (let i = 1; i <= 5; i++) await notify(t.runtime.ctx.db, sample(u.id, i));
    const first = json<{ items: { id: string; title: string }[]; nextCursor: string }>(await list(u, '?limit=3'));
    expect(first.items.map((n) => n.title)).toEqual(['Offer 5', 'Offer 4', 'Offer 3']);
    const second = json<{ items: { title: string }[]; nextCursor: null }>(
      await list(u, `?limit=3&cursor=${first.nextCursor}`),
    );
    expect(second.items.map((n) => n.title)).toEqual(['Offer 2', 'Offer 1']);
    expect(second.nextCursor).toBeNull();
    expect(await unread(u)).toBe(5);

    const ids = first.items.slice(0, 2).map((n) => n.id);
    const marked = await t.app.inject({
      method: 'POST',
      url: '/api/notifications/read',
      headers: u.headers,
      payload: { ids },
    });
    expect(json(marked)).toEqual({ updated: 2 });
    expect(await unread(u)).toBe(3);
    expect(json<{ items: unknown[] }>(await list(u, '?unread=true')).items).toHaveLength(3);
    const all = await t.app.inject({
      method: 'POST',
      url: '/api/notifications/read',
      headers: u.headers,
      payload: { all: true },
    });
    expect(json(all)).toEqual({ updated: 3 });
    expect(await unread(u)).toBe(0);
  });

  it("cannot read or mark another user's notifications", async () => {
    const [owner, other] = await Promise.all([createUserForTest(t.runtime.ctx), createUserForTest(t.runtime.ctx)]);
    const id = await notify(t.runtime.ctx.db, sample(owner.id));
    expect(json<{ items: unknown[] }>(await list(other)).items).toEqual([]);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/notifications/read',
      headers: other.headers,
      payload: { ids: [id] },
    });
    expect(json(res)).toEqual({ updated: 0 });
    expect(await unread(owner)).toBe(1);
  });

  it('honours preferences: email copies go to verified addresses only, muted types are skipped', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    await t.app.inject({
      method: 'PUT',
      url: '/api/users/settings',
      headers: u.headers,
      payload: {
        notifications: {
          'trade.offer_received': { inApp: true, email: true },
          'market.fill': { inApp: false, email: false },
        },
      },
    });
    await notify(t.runtime.ctx.db, sample(u.id));
    expect(await notify(t.runtime.ctx.db, { ...sample(u.id), type: 'market.fill' })).toBeNull();
    expect(await mailCount(t, u.email)).toBe(1);
    expect(json<{ items: { type: string }[] }>(await list(u)).items.map((n) => n.type)).toEqual([
      'trade.offer_received',
    ]);

    const unverified = await createUserForTest(t.runtime.ctx, { verified: false });
    await t.app.inject({
      method: 'PUT',
      url: '/api/users/settings',
      headers: unverified.headers,
      payload: { notifications: { 'trade.offer_received': { inApp: true, email: true } } },
    });
    await notify(t.runtime.ctx.db, sample(unverified.id));
    expect(await mailCount(t, unverified.email)).toBe(0);
  });

  it('creates notifications requested by event, once even if the event is delivered twice', async () => {
    const u = await createUserForTest(t.runtime.ctx);
    await withTransaction(t.runtime.ctx.db, (tx) => requestNotification(tx, sample(u.id, 7)));
    await drainOutbox(t);
    // A redelivery carries the same event id.
    const event = {
      id: uuidv7(),
      type: NOTIFICATION_REQUESTED,
      aggregateType: 'user',
      aggregateId: u.id,
      payload: sample(u.id, 8),
      createdAt: new Date(),
      attempt: 1,
    };
    for (const attempt of [1, 2]) {
      for (const h of t.runtime.ctx.events.handlersFor(NOTIFICATION_REQUESTED)) await h.handle({ ...event, attempt });
    }
    const titles = json<{ items: { title: string }[] }>(await list(u)).items.map((n) => n.title);
    expect(titles).toEqual(['Offer 8', 'Offer 7']);
  });

  it("erases a user's notifications when the account is deleted", async () => {
    const u = await createUserForTest(t.runtime.ctx);
    await notify(t.runtime.ctx.db, sample(u.id));
    const del = await t.app.inject({
      method: 'DELETE',
      url: '/api/users/account',
      headers: u.headers,
      payload: { password: u.password },
    });
    expect(del.statusCode).toBe(204);
    await drainOutbox(t);
    expect(await listNotifications(t.runtime.ctx.db, { userId: u.id, limit: 10, unreadOnly: false })).toEqual([]);
  });
});
