import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expectProblem, expectStatus } from '../../../test/helpers/expect.ts';
import { createTestUser, type CreatedTestUser } from '../../../test/helpers/users.ts';
import { walletAccountId } from '../ledger/index.ts';
import {
  DAY_MS,
  auth,
  campaignBody,
  cardsHeldBy,
  createCampaign,
  grantCoins,
  pledge,
  startCrowdfundingApp,
  total,
  writes,
  type CampaignReply,
} from '../../../test/support/crowdfunding.ts';

/*
 * Every route's refusals: bad input is a 4xx naming the field with nothing written (rows and
 * balances counted before and after), and the authorization matrix: no token, another user on
 * creator-only routes, plain users and moderators on admin routes.
 */

let t: TestApp;
let admin: CreatedTestUser;
let moderator: CreatedTestUser;
let alice: CreatedTestUser;
let bob: CreatedTestUser;
let poor: CreatedTestUser;
let unverified: CreatedTestUser;
let card: { asset: string; variantId: string };
let live: CampaignReply;
let other: CampaignReply;
let bobPledge: string;

beforeAll(async () => {
  t = await startCrowdfundingApp();
  admin = await createTestUser(t, { role: 'admin' });
  moderator = await createTestUser(t, { role: 'moderator' });
  [alice, bob, poor] = [await createTestUser(t), await createTestUser(t), await createTestUser(t)];
  unverified = await createTestUser(t, { verified: false });
  card = await cardsHeldBy(t, admin, alice, 'CFBAD', 5n);
  await grantCoins(db(), bob.id, 100_000n);
  await grantCoins(db(), unverified.id, 100_000n);
  live = await createCampaign(t, alice, campaignBody({}, new Date(Date.now() + 5 * DAY_MS)));
  other = await createCampaign(t, bob, campaignBody({ title: 'Bob’s campaign' }));
  bobPledge = (await pledge(t, bob, { campaignId: live.id, amount: 2_000 })).id;
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const db = () => t.runtime.ctx.db;

async function state() {
  return {
    rows: await writes(db()),
    alice: await total(db(), walletAccountId(alice.id)),
    aliceCards: await total(db(), walletAccountId(alice.id), card.asset),
    bob: await total(db(), walletAccountId(bob.id)),
  };
}

interface Case {
  name: string;
  method: 'GET' | 'POST';
  url: () => string;
  user?: () => CreatedTestUser;
  payload?: () => Record<string, unknown>;
  status: number;
  code: string;
  field?: string;
}

const future = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();
const create = (overrides: Record<string, unknown>) => () => campaignBody(overrides);
const CASES: Case[] = [
  {
    name: 'zero goal',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({ goal: 0 }),
    status: 400,
    code: 'validation_failed',
    field: 'body.goal',
  },
  {
    name: 'negative goal',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({ goal: -100 }),
    status: 400,
    code: 'validation_failed',
    field: 'body.goal',
  },
  {
    name: 'past deadline',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({ deadline: future(-1) }),
    status: 400,
    code: 'validation_failed',
    field: 'body.deadline',
  },
  {
    name: 'deadline past the longest campaign',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({ deadline: future(91) }),
    status: 400,
    code: 'validation_failed',
    field: 'body.deadline',
  },
  {
    name: 'deadline not a date',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({ deadline: 'soon' }),
    status: 400,
    code: 'validation_failed',
    field: 'body.deadline',
  },
  {
    name: 'tier minimum of zero',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({ tiers: [{ title: 'T', description: '', minPledge: 0, quantity: 1 }] }),
    status: 400,
    code: 'validation_failed',
    field: 'body.tiers.0.minPledge',
  },
  {
    name: 'tier without units',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({ tiers: [{ title: 'T', description: '', minPledge: 10, quantity: 0 }] }),
    status: 400,
    code: 'validation_failed',
    field: 'body.tiers.0.quantity',
  },
  {
    name: 'unknown reward card',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({
      tiers: [
        {
          title: 'T',
          description: '',
          minPledge: 10,
          quantity: 1,
          cards: [{ variantId: '01890000-0000-7000-8000-000000000000', copies: 1 }],
        },
      ],
    }),
    status: 400,
    code: 'validation_failed',
    field: 'body.tiers.0.cards.0.variantId',
  },
  {
    name: 'more reward cards than held',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: () =>
      campaignBody({
        tiers: [
          {
            title: 'T',
            description: '',
            minPledge: 10,
            quantity: 3,
            cards: [{ variantId: card.variantId, copies: 2 }],
          },
        ],
      }),
    status: 400,
    code: 'validation_failed',
    field: 'body.tiers.0.cards.0.variantId',
  },
  {
    name: 'unknown field',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    payload: create({ featured: true }),
    status: 400,
    code: 'validation_failed',
    field: 'body.featured',
  },
  {
    name: 'unverified creator',
    method: 'POST',
    url: () => '/api/crowdfunding/create-campaign',
    user: () => unverified,
    payload: create({}),
    status: 403,
    code: 'email_not_verified',
  },
  {
    name: 'zero pledge',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => bob,
    payload: () => ({ campaignId: live.id, amount: 0 }),
    status: 400,
    code: 'validation_failed',
    field: 'body.amount',
  },
  {
    name: 'negative pledge',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => bob,
    payload: () => ({ campaignId: live.id, amount: -5 }),
    status: 400,
    code: 'validation_failed',
    field: 'body.amount',
  },
  {
    name: 'fractional pledge',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => bob,
    payload: () => ({ campaignId: live.id, amount: 10.5 }),
    status: 400,
    code: 'validation_failed',
    field: 'body.amount',
  },
  {
    name: 'unknown campaign',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => bob,
    payload: () => ({ campaignId: '01890000-0000-7000-8000-000000000000', amount: 100 }),
    status: 400,
    code: 'validation_failed',
    field: 'body.campaignId',
  },
  {
    name: 'unknown tier',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => bob,
    payload: () => ({ campaignId: live.id, amount: 5_000, tierId: '01890000-0000-7000-8000-000000000000' }),
    status: 400,
    code: 'validation_failed',
    field: 'body.tierId',
  },
  {
    name: 'tier of another campaign',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => bob,
    payload: () => ({ campaignId: live.id, amount: 5_000, tierId: other.tiers[0]?.id }),
    status: 400,
    code: 'validation_failed',
    field: 'body.tierId',
  },
  {
    name: 'below the tier minimum',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => bob,
    payload: () => ({ campaignId: live.id, amount: 999, tierId: live.tiers[0]?.id }),
    status: 400,
    code: 'validation_failed',
    field: 'body.amount',
  },
  {
    name: 'backing your own campaign',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => alice,
    payload: () => ({ campaignId: live.id, amount: 1_000 }),
    status: 409,
    code: 'own_campaign',
  },
  {
    name: 'short of coins',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => poor,
    payload: () => ({ campaignId: live.id, amount: 1_000 }),
    status: 409,
    code: 'insufficient_funds',
  },
  {
    name: 'unverified backer',
    method: 'POST',
    url: () => '/api/crowdfunding/contribute',
    user: () => unverified,
    payload: () => ({ campaignId: live.id, amount: 1_000 }),
    status: 403,
    code: 'email_not_verified',
  },
  {
    name: 'empty update',
    method: 'POST',
    url: () => `/api/crowdfunding/campaigns/${live.id}/updates`,
    payload: () => ({ title: '', body: 'x' }),
    status: 400,
    code: 'validation_failed',
    field: 'body.title',
  },
  {
    name: 'update to an unknown campaign',
    method: 'POST',
    url: () => '/api/crowdfunding/campaigns/01890000-0000-7000-8000-000000000000/updates',
    payload: () => ({ title: 'x', body: 'x' }),
    status: 404,
    code: 'not_found',
  },
  {
    name: 'update with a malformed id',
    method: 'POST',
    url: () => '/api/crowdfunding/campaigns/nope/updates',
    payload: () => ({ title: 'x', body: 'x' }),
    status: 400,
    code: 'validation_failed',
    field: 'params.id',
  },
  {
    name: 'cancel an unknown pledge',
    method: 'POST',
    url: () => '/api/crowdfunding/pledges/01890000-0000-7000-8000-000000000000/cancel',
    user: () => bob,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'cancel a malformed id',
    method: 'POST',
    url: () => '/api/crowdfunding/pledges/42/cancel',
    user: () => bob,
    status: 400,
    code: 'validation_failed',
    field: 'params.id',
  },
  {
    name: 'browse by an unknown sort',
    method: 'GET',
    url: () => '/api/crowdfunding/campaigns?sort=random',
    status: 400,
    code: 'validation_failed',
    field: 'query.sort',
  },
  {
    name: 'browse a private state',
    method: 'GET',
    url: () => '/api/crowdfunding/campaigns?state=pending_approval',
    status: 400,
    code: 'validation_failed',
    field: 'query.state',
  },
  {
    name: 'browse with limit 0',
    method: 'GET',
    url: () => '/api/crowdfunding/campaigns?limit=0',
    status: 400,
    code: 'validation_failed',
    field: 'query.limit',
  },
  {
    name: 'browse with a forged cursor',
    method: 'GET',
    url: () => '/api/crowdfunding/campaigns?cursor=bm9wZQ',
    status: 400,
    code: 'validation_failed',
    field: 'query.cursor',
  },
  {
    name: 'an unknown campaign',
    method: 'GET',
    url: () => '/api/crowdfunding/campaigns/01890000-0000-7000-8000-000000000000',
    status: 404,
    code: 'not_found',
  },
  {
    name: 'my pledges by an unknown status',
    method: 'GET',
    url: () => '/api/crowdfunding/my-pledges?status=lost',
    user: () => bob,
    status: 400,
    code: 'validation_failed',
    field: 'query.status',
  },
  {
    name: 'reject without a reason',
    method: 'POST',
    url: () => `/api/admin/crowdfunding/campaigns/${live.id}/reject`,
    user: () => admin,
    payload: () => ({ reason: '' }),
    status: 400,
    code: 'validation_failed',
    field: 'body.reason',
  },
  {
    name: 'approve an unknown campaign',
    method: 'POST',
    url: () => '/api/admin/crowdfunding/campaigns/01890000-0000-7000-8000-000000000000/approve',
    user: () => admin,
    status: 404,
    code: 'not_found',
  },
  {
    name: 'approve a live campaign',
    method: 'POST',
    url: () => `/api/admin/crowdfunding/campaigns/${live.id}/approve`,
    user: () => admin,
    status: 409,
    code: 'campaign_state',
  },
];

describe('bad input', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s → clear 4xx naming the field, nothing written', async (_, c) => {
    const before = await state();
    const res = await t.app.inject({
      method: c.method,
      url: c.url(),
      headers: auth(c.user?.() ?? alice),
      ...(c.payload ? { payload: c.payload() } : {}),
    });
    expectProblem(res, c.status, c.code);
    if (c.field) {
      const errors = res.json<{ errors: { field: string }[] }>().errors.map((e) => e.field);
      expect(errors).toContain(c.field);
    }
    expect(await state()).toEqual(before);
  });
});

const ROUTES = () => [
  { method: 'POST' as const, url: '/api/crowdfunding/create-campaign', payload: campaignBody() },
  { method: 'POST' as const, url: '/api/crowdfunding/contribute', payload: { campaignId: live.id, amount: 100 } },
  {
    method: 'POST' as const,
    url: `/api/crowdfunding/campaigns/${live.id}/updates`,
    payload: { title: 'x', body: 'y' },
  },
  { method: 'POST' as const, url: `/api/crowdfunding/pledges/${bobPledge}/cancel` },
  { method: 'GET' as const, url: '/api/crowdfunding/my-pledges' },
  { method: 'GET' as const, url: '/api/admin/crowdfunding/campaigns' },
  { method: 'POST' as const, url: `/api/admin/crowdfunding/campaigns/${live.id}/approve` },
  { method: 'POST' as const, url: `/api/admin/crowdfunding/campaigns/${live.id}/reject`, payload: { reason: 'no' } },
];

describe('authorization', () => {
  it('every signed-in route answers 401 without a token and writes nothing', async () => {
    const before = await state();
    for (const r of ROUTES()) {
      const res = await t.app.inject({ method: r.method, url: r.url, ...(r.payload ? { payload: r.payload } : {}) });
      expectProblem(res, 401, 'unauthorized');
    }
    expect(await state()).toEqual(before);
  });

  it('browsing and reading a campaign are public', async () => {
    expectStatus(await t.app.inject({ method: 'GET', url: '/api/crowdfunding/campaigns' }), 200);
    expectStatus(await t.app.inject({ method: 'GET', url: `/api/crowdfunding/campaigns/${live.id}` }), 200);
  });

  it('another user cannot post to a campaign or cancel a pledge that is not theirs (404)', async () => {
    const before = await state();
    const update = await t.app.inject({
      method: 'POST',
      url: `/api/crowdfunding/campaigns/${live.id}/updates`,
      headers: auth(bob),
      payload: { title: 'Hijack', body: 'Not mine' },
    });
    expectProblem(update, 404, 'not_found');
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/api/crowdfunding/pledges/${bobPledge}/cancel`,
      headers: auth(alice),
    });
    expectProblem(cancel, 404, 'not_found');
    expect(await state()).toEqual(before);
  });

  it('plain users and moderators get 403 on the admin routes', async () => {
    const before = await state();
    for (const user of [bob, moderator]) {
      for (const r of ROUTES().filter((x) => x.url.startsWith('/api/admin/'))) {
        const res = await t.app.inject({
          method: r.method,
          url: r.url,
          headers: auth(user),
          ...(r.payload ? { payload: r.payload } : {}),
        });
        expectProblem(res, 403, 'forbidden');
      }
    }
    expect(await state()).toEqual(before);
  });

  it('my pledges show only the caller’s own', async () => {
    const mine = await t.app.inject({ method: 'GET', url: '/api/crowdfunding/my-pledges', headers: auth(alice) });
    expect(expectStatus(mine, 200).json<{ items: unknown[] }>().items).toEqual([]);
    const bobs = await t.app.inject({ method: 'GET', url: '/api/crowdfunding/my-pledges', headers: auth(bob) });
    expect(bobs.json<{ items: { id: string }[] }>().items.map((p) => p.id)).toEqual([bobPledge]);
  });
});
