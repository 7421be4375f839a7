import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  auth,
  block,
  createCards,
  createTestUser,
  expectStatus,
  give,
  startSocialApp,
  wish,
  type Catalogue,
  type CreatedTestUser,
  type TestApp,
} from '../../../test/support/social.ts';

let t: TestApp;
let admin: CreatedTestUser;
let cat: Catalogue;

beforeAll(async () => {
  t = await startSocialApp();
  admin = await createTestUser(t, { role: 'admin' });
  cat = await createCards(t, admin, 3);
});
afterAll(() => t.close());

const put = (u: CreatedTestUser, payload: unknown) =>
  t.app.inject({ method: 'PUT', url: '/api/social/profile', headers: auth(u), payload: payload as object });
const profile = (username: string, u?: CreatedTestUser) =>
  t.app.inject({ method: 'GET', url: `/api/social/profiles/${username}`, headers: u ? auth(u) : {} });

interface ProfileJson {
  username: string;
  bio: string;
  visibility: string;
  showcase: { variantId: string; name: string; quantity: number }[];
  badges: unknown[];
  reputation: { completedTrades: number; upheldFlags: number; memberSince: string };
  followers: number;
}

describe('profiles', () => {
  it('shows bio, showcase cards still held, reputation and follower counts', async () => {
    const u = await createTestUser(t);
    const [a, b] = cat.cards as [string, string];
    await give(t, u, a, 2);
    await give(t, u, b, 1);
    const saved = expectStatus(
      await put(u, { bio: 'Collector\u0007 of drakes', showcase: [cat.variant(a, 0), cat.variant(b, 0)] }),
      200,
    ).json<ProfileJson>();
    expect(saved.bio).toBe('Collector of drakes');
    expect(saved.showcase.map((s) => s.variantId)).toEqual([cat.variant(a, 0), cat.variant(b, 0)]);
    const seen = expectStatus(await profile(u.username), 200).json<ProfileJson>();
    expect(seen).toMatchObject({
      username: u.username,
      bio: 'Collector of drakes',
      visibility: 'public',
      badges: [],
      reputation: { completedTrades: 0, upheldFlags: 0 },
      followers: 0,
    });
    expect(seen.showcase[0]).toMatchObject({ quantity: 2 });
  });

  it('refuses a showcase card the user does not hold and writes nothing', async () => {
    const u = await createTestUser(t);
    const [a, , c] = cat.cards as [string, string, string];
    await give(t, u, a, 1);
    const res = await put(u, { bio: 'new bio', showcase: [cat.variant(a, 0), cat.variant(c, 0)] });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('body.showcase');
    const seen = expectStatus(await profile(u.username), 200).json<ProfileJson>();
    expect(seen.bio).toBe('');
    expect(seen.showcase).toEqual([]);
  });

  it('hides private profiles and people across a block', async () => {
    const [priv, blocker, viewer] = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
    expectStatus(await put(priv, { visibility: 'private' }), 200);
    expect((await profile(priv.username)).statusCode).toBe(404);
    expect((await profile(priv.username, viewer)).statusCode).toBe(404);
    expect(expectStatus(await profile(priv.username, priv), 200).json<ProfileJson>().visibility).toBe('private');
    await block(t, blocker, viewer);
    expect((await profile(blocker.username, viewer)).statusCode).toBe(404);
    expect((await profile(blocker.username)).statusCode).toBe(200);
    const search = (u: CreatedTestUser | undefined, q: string) =>
      t.app.inject({ method: 'GET', url: `/api/social/profiles?q=${q}`, headers: u ? auth(u) : {} });
    expect(expectStatus(await search(undefined, priv.username), 200).json<{ items: unknown[] }>().items).toEqual([]);
    expect(expectStatus(await search(viewer, blocker.username), 200).json<{ items: unknown[] }>().items).toEqual([]);
  });

  it('searches by username prefix, set collected and card wanted, in pages', async () => {
    const stamp = Math.random().toString(36).slice(2, 7);
    const users = [];
    for (const i of [0, 1, 2]) users.push(await createTestUser(t, { username: `srch${stamp}${i}` }));
    const [u0, u1, u2] = users as [CreatedTestUser, CreatedTestUser, CreatedTestUser];
    const [a, b] = cat.cards as [string, string];
    await give(t, u1, a, 1);
    await wish(t, u2, b);
    const page = async (q: string) =>
      expectStatus(await t.app.inject({ method: 'GET', url: `/api/social/profiles?${q}` }), 200).json<{
        items: { username: string; setsCollected: number; wishlistSize: number }[];
        nextCursor: string | null;
      }>();
    const first = await page(`q=SRCH${stamp}&limit=2`);
    expect(first.items.map((i) => i.username)).toEqual([u0.username, u1.username]);
    const second = await page(`q=srch${stamp}&limit=2&cursor=${first.nextCursor ?? ''}`);
    expect(second.items.map((i) => i.username)).toEqual([u2.username]);
    expect(second.nextCursor).toBeNull();
    const collectors = await page(`q=srch${stamp}&setId=${cat.setId}`);
    expect(collectors.items).toEqual([expect.objectContaining({ username: u1.username, setsCollected: 1 })]);
    const wanting = await page(`q=srch${stamp}&wants=${b}`);
    expect(wanting.items).toEqual([expect.objectContaining({ username: u2.username, wishlistSize: 1 })]);
  });
});

describe('follows', () => {
  it('follows and unfollows through the one follow graph, with lists both ways', async () => {
    const [x, y, z] = await Promise.all([createTestUser(t), createTestUser(t), createTestUser(t)]);
    const follow = (who: CreatedTestUser, username: string) =>
      t.app.inject({ method: 'POST', url: '/api/social/follow', headers: auth(who), payload: { username } });
    expect(expectStatus(await follow(x, y.username), 200).json()).toEqual({
      username: y.username,
      following: true,
      followers: 1,
    });
    expectStatus(await follow(x, y.username), 200); // idempotent
    expectStatus(await follow(z, y.username), 200);
    // The community module's follow endpoint sees the same graph.
    const viaCommunity = await t.app.inject({
      method: 'PUT',
      url: `/api/community/users/${y.username}/follow`,
      headers: auth(x),
    });
    expect(expectStatus(viaCommunity, 200).json<{ followers: number }>().followers).toBe(2);
    const followers = expectStatus(
      await t.app.inject({ method: 'GET', url: '/api/social/followers?limit=1', headers: auth(y) }),
      200,
    ).json<{ items: { username: string }[]; nextCursor: string | null }>();
    expect(followers.items).toHaveLength(1);
    const rest = expectStatus(
      await t.app.inject({
        method: 'GET',
        url: `/api/social/followers?limit=1&cursor=${followers.nextCursor ?? ''}`,
        headers: auth(y),
      }),
      200,
    ).json<{ items: { username: string }[] }>();
    expect([...followers.items, ...rest.items].map((i) => i.username).sort()).toEqual([x.username, z.username].sort());
    const following = expectStatus(
      await t.app.inject({ method: 'GET', url: '/api/social/following', headers: auth(x) }),
      200,
    ).json<{ items: { username: string }[] }>();
    expect(following.items.map((i) => i.username)).toEqual([y.username]);
    const off = await t.app.inject({ method: 'DELETE', url: `/api/social/follow/${y.username}`, headers: auth(x) });
    expect(expectStatus(off, 200).json()).toEqual({ username: y.username, following: false, followers: 1 });
    // y's own list is y's: x sees only x's.
    const xFollowers = expectStatus(
      await t.app.inject({ method: 'GET', url: '/api/social/followers', headers: auth(x) }),
      200,
    ).json<{ items: unknown[] }>();
    expect(xFollowers.items).toEqual([]);
  });

  it('refuses following yourself or someone who blocked you', async () => {
    const [x, y] = await Promise.all([createTestUser(t), createTestUser(t)]);
    await block(t, y, x);
    const blocked = await t.app.inject({
      method: 'POST',
      url: '/api/social/follow',
      headers: auth(x),
      payload: { username: y.username },
    });
    expect(blocked.statusCode).toBe(403);
    const self = await t.app.inject({
      method: 'POST',
      url: '/api/social/follow',
      headers: auth(x),
      payload: { username: x.username },
    });
    expect(self.statusCode).toBe(422);
    const r = await t.runtime.ctx.db.execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM community_follows WHERE follower_id = ${x.id}`,
    );
    expect(r.rows[0]?.n).toBe(0);
  });
});
