import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { expectStatus } from '../../../test/helpers/expect.ts';
import { QUIET_ENV, json } from '../../../test/helpers/http.ts';
import { findUserRef } from '../identity/index.ts';
import { modules } from '../index.ts';
import { communityModule } from './index.ts';

/* The demo community: the makers' bots shared, with comments, likes, follows and a fork. */

let t: TestApp;

beforeAll(async () => {
  // The modules up to this one: the demo data it builds on, and no later module's seeds.
  const upToCommunity = modules.slice(0, modules.indexOf(communityModule) + 1);
  t = await createTestApp({ env: { ...QUIET_ENV, SEED_DEMO: 'true' }, seed: true, modules: upToCommunity });
}, 300_000);
afterAll(() => t?.close());

interface Listed {
  id: string;
  author: { username: string };
  mode: string;
  likes: number;
  followers: number;
}

describe('demo community', () => {
  it('shows the makers’ bots shared, one protected and one open, with comments, likes and follows', async () => {
    const list = json<{ items: Listed[] }>(expectStatus(await t.app.inject({ url: '/api/community/bots' }), 200));
    const byAuthor = new Map(list.items.map((b) => [b.author.username, b]));
    expect(byAuthor.get('maker_ada')).toMatchObject({ mode: 'protected', likes: 2, followers: 1 });
    expect(byAuthor.get('maker_bram')).toMatchObject({ mode: 'open', likes: 1, followers: 1 });
    const ada = byAuthor.get('maker_ada')?.id ?? '';
    const page = expectStatus(await t.app.inject({ url: `/api/community/bots/${ada}` }), 200);
    expect(json(page)).toMatchObject({ code: null });
    expect(page.body).not.toContain('"document"');
    const comments = json<{ items: { parentId: string | null; author: { username: string } }[] }>(
      await t.app.inject({ url: `/api/community/bots/${ada}/comments` }),
    );
    expect(comments.items.map((c) => c.author.username).sort()).toEqual(['alice', 'maker_ada']);
    expect(comments.items.filter((c) => c.parentId !== null)).toHaveLength(1);
    const bram = byAuthor.get('maker_bram')?.id ?? '';
    const open = json<{ code: { document: unknown } }>(await t.app.inject({ url: `/api/community/bots/${bram}` }));
    expect(open.code.document).toBeTruthy();
  });

  it('has alice following both makers and one fork of the open strategy', async () => {
    const alice = await findUserRef(t.runtime.ctx.db, 'alice');
    const r = await t.runtime.ctx.db.execute<{ follows: number; forks: number; feed: number }>(sql`
      SELECT (SELECT count(*) FROM community_follows WHERE follower_id = ${alice?.id})::int AS follows,
             (SELECT count(*) FROM community_forks)::int AS forks,
             (SELECT count(*) FROM community_feed)::int AS feed`);
    expect(r.rows[0]).toEqual({ follows: 4, forks: 1, feed: 2 });
  });
});
