import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectProblem, expectStatus } from '../helpers/expect.ts';
import { QUIET_ENV, bearer } from '../helpers/http.ts';
import { drainOutbox } from '../helpers/outbox.ts';
import { createTestUser, type CreatedTestUser } from '../helpers/users.ts';
import { createCatalog, createPack, grantCard, grantCoins } from '../support/cards.ts';
import { TEST_PASSWORD } from '../support/identity.ts';
import { campaignBody, createCampaign, pledge } from '../support/crowdfunding.ts';
import { createEvent, placeBet } from '../support/betting.ts';
import { RULES } from '../support/community.ts';
import { reconcile } from '../../src/modules/ledger/index.ts';
import { capped, toJsonSafe } from '../../src/platform/privacy/export.ts';

/*
 * "Download my data" and erasure on deletion, across every module: a user with data everywhere
 * exports it (their data only, no secrets), then deletes the account, after which no table holds
 * the words they wrote and the ledger still balances.
 */

let t: TestApp;
let admin: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
/** Unique strings alice (and bob) wrote, to find them again anywhere in the database. */
const A = `mk${randomBytes(6).toString('hex')}`;
const B = `mk${randomBytes(6).toString('hex')}`;

const SECTIONS = [
  'account',
  'notifications',
  'wallet',
  'cards',
  'trades',
  'market',
  'holds',
  'bots',
  'community',
  'leaderboards',
  'crowdfunding',
  'betting',
  'social',
  'rewards',
];

const db = () => t.runtime.ctx.db;

async function call(
  user: CreatedTestUser | null,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  payload?: object,
) {
  return t.app.inject({
    method,
    url,
    ...(user ? { headers: bearer(user.token) } : {}),
    ...(payload ? { payload } : {}),
  });
}

async function ok<T = { id: string }>(res: Promise<LightMyRequestResponse>, status = 200): Promise<T> {
  return expectStatus(await res, status).json<T>();
}

/** Gives `user` personal data in every module, each free text carrying `marker`. */
async function populate(user: CreatedTestUser, other: CreatedTestUser, marker: string, code: string) {
  await ok(call(user, 'PUT', '/api/users/profile', { bio: `bio ${marker}`, displayName: `Name ${marker}` }));
  await grantCoins(db(), user.id, 1_000_000n);
  const { setId, ids } = await createCatalog(t, admin, { code, name: `Set ${code}` }, [
    { name: `Sword ${code}`, rarity: 'common', maxSupply: null },
    { name: `Shield ${code}`, rarity: 'common', maxSupply: null },
  ]);
  const sword = ids.get(`Sword ${code}`) ?? '';
  const shield = ids.get(`Shield ${code}`) ?? '';
  const variant = (await grantCard(db(), user.id, sword, 10n)).slice('CARD:'.length).toLowerCase();
  await ok(call(user, 'PUT', '/api/collection/wishlist', { cardId: shield, note: `note ${marker}` }));

  // A pack opened with a client seed the user chose.
  const pack = await createPack(t, admin, {
    name: `Pack ${code}`,
    price: 100,
    setIds: [setId],
    slots: [{ weights: { common: 1 } }],
  });
  await ok(call(user, 'PUT', '/api/fairness/client-seed', { clientSeed: `seed-${marker}` }));
  await ok(call(user, 'POST', `/api/packs/${pack.id}/purchase`, { quantity: 1 }), 201);
  await ok(call(user, 'POST', '/api/packs/open', { packId: pack.id }), 201);

  const none = { cards: [], coins: 0 };
  await ok(
    call(user, 'POST', '/api/trades', {
      to: other.username,
      offered: { cards: [{ variantId: variant, quantity: 1 }], coins: 0 },
      requested: { ...none, coins: 10 },
      message: `offer ${marker}`,
    }),
    201,
  );
  await ok(
    call(user, 'POST', '/api/market/orders', { cardId: variant, side: 'buy', type: 'limit', quantity: 1, price: 100 }),
    201,
  );
  await ok(call(user, 'POST', '/api/marketplace/create-listing', { cardId: variant, quantity: 1, price: 900 }), 201);

  const strategy = await ok(
    call(user, 'POST', '/api/strategies', { name: `Strategy ${marker}`, kind: 'rules', document: RULES }),
    201,
  );
  const bot = await ok(
    call(user, 'POST', '/api/bots', {
      name: `Bot ${marker}`,
      strategyId: strategy.id,
      mode: 'paper',
      variantIds: [variant],
      interval: '1h',
      allocation: 0,
    }),
    201,
  );
  await ok(
    call(user, 'PUT', `/api/community/strategies/${strategy.id}/sharing`, {
      visibility: 'public',
      mode: 'open',
      description: `about ${marker}`,
    }),
  );
  await ok(call(user, 'POST', `/api/community/bots/${bot.id}/comments`, { body: `comment ${marker}` }), 201);
  await ok(call(user, 'PUT', `/api/community/users/${other.username}/follow`));
  await ok(
    call(user, 'POST', '/api/community/reports', {
      targetType: 'user',
      targetId: other.id,
      reason: `report ${marker}`,
    }),
    201,
  );

  await ok(call(user, 'POST', '/api/social/message', { to: other.username, body: `hello ${marker}` }), 201);
  await ok(
    call(user, 'POST', '/api/wallet/payout-destinations', {
      kind: 'stripe_account',
      accountId: 'acct_1ExportTest0001',
      label: `Payout ${marker}`,
    }),
    201,
  );

  const campaign = await createCampaign(
    t,
    user,
    campaignBody({
      title: `Campaign ${marker}`,
      description: `story ${marker}`,
      tiers: [{ title: `Tier ${marker}`, description: `perk ${marker}`, minPledge: 1_000, quantity: 10 }],
    }),
  );
  await ok(
    call(user, 'POST', `/api/crowdfunding/campaigns/${campaign.id}/updates`, {
      title: `News ${marker}`,
      body: `update ${marker}`,
    }),
    201,
  );

  await ok(call(user, 'POST', '/api/betting/age-confirmation', { confirmed: true }));
  await ok(call(user, 'POST', '/api/rewards/checkin'), 201);
  return { bot: bot.id, strategy: strategy.id, campaign: campaign.id, variant };
}

let aliceData: Awaited<ReturnType<typeof populate>>;

beforeAll(async () => {
  t = await createTestApp({ env: QUIET_ENV });
  admin = await createTestUser(t, { role: 'admin' });
  alice = await createTestUser(t);
  bob = await createTestUser(t);
  aliceData = await populate(alice, bob, A, 'EXA');
  await populate(bob, alice, B, 'EXB');
  // Their data meets: bob backs alice's campaign, bets on an event, replies to alice and comments on her bot.
  await grantCoins(db(), bob.id, 100_000n);
  await pledge(t, bob, { campaignId: aliceData.campaign, amount: 5_000 });
  const event = await createEvent(t, admin);
  expectStatus(await placeBet(t, alice, event, 0, 0, 1_000), 201);
  await ok(call(bob, 'POST', '/api/social/message', { to: alice.username, body: `reply from bob ${B}` }), 201);
  await drainOutbox(t);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('GET /api/users/export', () => {
  it('gives a signed-in user every module’s data of theirs, and nobody else’s', async () => {
    const res = expectStatus(await call(alice, 'GET', '/api/users/export'), 200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="ece-export-\d{4}-\d{2}-\d{2}\.json"$/);
    const doc = res.json<{ userId: string; truncated: boolean; sections: Record<string, Record<string, unknown>> }>();
    expect(doc.userId).toBe(alice.id);
    expect(doc.truncated).toBe(false);
    expect(Object.keys(doc.sections).sort()).toEqual([...SECTIONS].sort());

    const s = doc.sections;
    const items = (section: string, list: string) => (s[section]?.[list] as { items: Record<string, unknown>[] }).items;
    expect((s.account?.profile as { bio: string }).bio).toBe(`bio ${A}`);
    expect(items('cards', 'wishlist').map((w) => w.note)).toEqual([`note ${A}`]);
    expect(items('cards', 'openings')).toHaveLength(1);
    expect(items('trades', 'offers').map((o) => [o.message, o.counterpartyUsername])).toContainEqual([
      `offer ${A}`,
      bob.username,
    ]);
    // bob's offer to alice is hers too (she received it).
    expect(items('trades', 'offers')).toHaveLength(2);
    expect(
      items('market', 'orders')
        .map((o) => o.source)
        .sort(),
    ).toEqual(['listing', 'order']);
    expect(items('bots', 'bots').map((b) => b.name)).toEqual([`Bot ${A}`]);
    expect(items('bots', 'strategies').map((b) => b.name)).toEqual([`Strategy ${A}`]);
    expect(items('community', 'comments').map((c) => c.body)).toEqual([`comment ${A}`]);
    expect(items('community', 'follows')).toHaveLength(1);
    expect(
      items('social', 'messages')
        .map((m) => m.body)
        .sort(),
    ).toEqual([`hello ${A}`, `hello ${B}`, `reply from bob ${B}`].sort());
    expect(new Set(items('social', 'messages').map((m) => m.counterpartyUsername))).toEqual(new Set([bob.username]));
    expect(items('crowdfunding', 'campaigns').map((c) => c.title)).toEqual([`Campaign ${A}`]);
    expect(items('crowdfunding', 'updates').map((c) => c.body)).toEqual([`update ${A}`]);
    expect(items('betting', 'bets')).toHaveLength(1);
    expect(items('notifications', 'notifications').length).toBeGreaterThan(0);
    // Money as decimal strings, times as ISO 8601.
    const balances = items('wallet', 'balances') as { asset: string; available: unknown }[];
    expect(balances.find((b) => b.asset === 'COIN')?.available).toMatch(/^\d+$/);
    expect(items('wallet', 'entries')[0]?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T.*Z$/);

    // Nothing bob keeps to himself: his bio, his notes, his campaign's words, his bot.
    const text = res.body;
    for (const own of [
      `bio ${B}`,
      `note ${B}`,
      `Strategy ${B}`,
      `Bot ${B}`,
      `comment ${B}`,
      `story ${B}`,
      `seed-${B}`,
    ]) {
      expect(text).not.toContain(own);
    }
  });

  it('never carries password hashes, token hashes, unrevealed server seeds or sharing link tokens', async () => {
    const res = expectStatus(await call(alice, 'GET', '/api/users/export'), 200);
    const secrets = await db().execute<{ secret: string }>(sql`
      SELECT password_hash AS secret FROM identity_users WHERE id = ${alice.id}
      UNION ALL SELECT r.token_hash FROM identity_refresh_tokens r JOIN identity_sessions s ON s.id = r.session_id
        WHERE s.user_id = ${alice.id}
      UNION ALL SELECT server_seed FROM cards_fairness_seeds WHERE user_id = ${alice.id} AND revealed_at IS NULL
      UNION ALL SELECT link_token FROM community_sharing WHERE owner_id = ${alice.id}`);
    expect(secrets.rows.length).toBeGreaterThanOrEqual(4);
    for (const { secret } of secrets.rows) expect(res.body).not.toContain(secret);
    // Sealed columns (session devices, activity addresses) are opened for their owner, never sent sealed.
    expect(res.body).not.toContain('enc:v1:');
    for (const key of ['passwordHash', 'tokenHash', 'linkToken', '"serverSeed"', 'details"'])
      expect(res.body).not.toContain(key);
  });

  it('answers 401 without a token; an admin’s export is the admin’s own data only', async () => {
    expectProblem(await call(null, 'GET', '/api/users/export'), 401, 'unauthorized');
    const res = expectStatus(await call(admin, 'GET', '/api/users/export?userId=' + alice.id), 200);
    expect(res.json<{ userId: string }>().userId).toBe(admin.id);
    expect(res.body).not.toContain(A);
  });

  it('cuts a long list at the cap and says so; bigints become strings and dates ISO text', async () => {
    const rows = (n: number) => Promise.resolve(Array.from({ length: Math.min(n, 5) }, (_, i) => i));
    expect(await capped(rows, 3)).toEqual({ items: [0, 1, 2], truncated: true });
    expect(await capped(rows, 5)).toEqual({ items: [0, 1, 2, 3, 4], truncated: false });
    const when = new Date('2026-01-02T03:04:05.000Z');
    expect(toJsonSafe({ a: [2n ** 70n], at: when, n: null })).toEqual({
      a: ['1180591620717411303424'],
      at: '2026-01-02T03:04:05.000Z',
      n: null,
    });
  });

  it('is rate limited per user', async () => {
    const carol = await createTestUser(t);
    for (let i = 0; i < 3; i++) expectStatus(await call(carol, 'GET', '/api/users/export'), 200);
    const limited = await call(carol, 'GET', '/api/users/export');
    expect(limited.statusCode).toBe(429);
    expectStatus(await call(bob, 'GET', '/api/users/export'), 200);
  });
});

/** Every `table.column` of text or JSON (or arrays of them) whose value contains `needle`. */
async function columnsContaining(needle: string): Promise<string[]> {
  const columns = await db().execute<{ table_name: string; column_name: string }>(sql`
    SELECT c.table_name, c.column_name FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
      AND (c.data_type IN ('text', 'character varying', 'jsonb', 'json') OR c.udt_name IN ('_text', '_varchar'))
    ORDER BY 1, 2`);
  expect(columns.rows.length).toBeGreaterThan(50);
  const hits: string[] = [];
  for (const { table_name: table, column_name: column } of columns.rows) {
    const found = await db().execute<{ n: number }>(
      sql`SELECT count(*)::int AS n FROM ${sql.identifier(table)} WHERE ${sql.identifier(column)}::text LIKE ${`%${needle}%`}`,
    );
    if ((found.rows[0]?.n ?? 0) > 0) hits.push(`${table}.${column}`);
  }
  return hits;
}

describe('erasure on account deletion', () => {
  it('leaves none of the words a deleted user wrote in any table, and the ledger balanced', async () => {
    // Before: the marker is in many modules' tables (the scan does find what is there).
    const before = await columnsContaining(A);
    expect(before).toEqual(
      expect.arrayContaining([
        'identity_users.bio',
        'cards_wishlist.note',
        'trade_offers.message',
        'bots.name',
        'bot_strategies.name',
        'community_comments.body',
        'community_sharing.description',
        'social_messages.body',
        'crowdfunding_campaigns.title',
        'crowdfunding_updates.body',
        'cards_openings.client_seed',
      ]),
    );

    expectStatus(
      await t.app.inject({
        method: 'DELETE',
        url: '/api/users/account',
        headers: bearer(alice.token),
        payload: { password: TEST_PASSWORD },
      }),
      204,
    );
    await drainOutbox(t);

    expect(await columnsContaining(A)).toEqual([]);
    // bob's own words stay where they were (erasure is the deleted user's only).
    expect(await columnsContaining(`bio ${B}`)).toEqual(['identity_users.bio']);

    const report = await reconcile(db());
    expect(report.violations).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('refuses the deleted account’s token', async () => {
    expectProblem(await call(alice, 'GET', '/api/users/export'), 401, 'unauthorized');
  });
});
