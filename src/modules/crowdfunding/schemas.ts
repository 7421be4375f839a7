import { Type, type Static } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;
const Minor = (description: string, minimum = 1) =>
  Type.Integer({
    minimum,
    maximum: Number.MAX_SAFE_INTEGER,
    description: `${description} (minor units, 1 coin = 100)`,
  });
const Cursor = Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'From the previous page' }));
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });

/** States anyone may browse; campaigns waiting for review or rejected are seen only by their creator and admins. */
export const PUBLIC_STATES = ['live', 'collecting', 'refunding', 'funded', 'failed'] as const;

export const IdParams = Type.Object({ id: Uuid }, closed);

export const TierCardBody = Type.Object(
  {
    variantId: Uuid,
    copies: Type.Integer({ minimum: 1, maximum: 100, description: 'Copies each backer of the tier receives' }),
  },
  closed,
);

export const TierBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 100 }),
    description: Type.String({ maxLength: 1000, description: 'The perk, in words' }),
    minPledge: Minor('Smallest pledge that earns this tier'),
    quantity: Type.Integer({ minimum: 1, maximum: 10_000, description: 'Units available' }),
    cards: Type.Optional(
      Type.Array(TierCardBody, {
        maxItems: 5,
        description: 'Cards from your collection each backer receives; quantity × copies move into escrow now',
      }),
    ),
  },
  closed,
);

export const CreateCampaignBody = Type.Object(
  {
    title: Type.String({ minLength: 3, maxLength: 120 }),
    description: Type.String({ minLength: 1, maxLength: 5000 }),
    goal: Minor('Amount to raise'),
    deadline: Type.String({ format: 'date-time', description: 'In the future, within the longest campaign allowed' }),
    tiers: Type.Array(TierBody, { maxItems: 10, default: [] }),
  },
  closed,
);
export type CreateCampaignBody = Static<typeof CreateCampaignBody>;

export const ContributeBody = Type.Object(
  {
    campaignId: Uuid,
    amount: Minor('Amount to pledge'),
    tierId: Type.Optional(Uuid),
  },
  closed,
);
export type ContributeBody = Static<typeof ContributeBody>;

export const UpdateBody = Type.Object(
  { title: Type.String({ minLength: 1, maxLength: 120 }), body: Type.String({ minLength: 1, maxLength: 5000 }) },
  closed,
);
export type UpdateBody = Static<typeof UpdateBody>;

export const RejectBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, closed);
export type RejectBody = Static<typeof RejectBody>;

export const CAMPAIGN_SORTS = ['newest', 'ending_soon', 'most_funded'] as const;
export type CampaignSort = (typeof CAMPAIGN_SORTS)[number];

export const CampaignsQuery = Type.Object(
  {
    limit: Limit,
    cursor: Cursor,
    state: Type.Optional(Type.Union(PUBLIC_STATES.map((s) => Type.Literal(s)))),
    sort: Type.Union(
      CAMPAIGN_SORTS.map((s) => Type.Literal(s)),
      { default: 'newest', description: 'newest, ending_soon (deadline first) or most_funded' },
    ),
  },
  closed,
);
export type CampaignsQuery = Static<typeof CampaignsQuery>;

export const PageQuery = Type.Object({ limit: Limit, cursor: Cursor }, closed);
export type PageQuery = Static<typeof PageQuery>;

export const MyPledgesQuery = Type.Object(
  {
    limit: Limit,
    cursor: Cursor,
    status: Type.Optional(
      Type.Union([
        Type.Literal('active'),
        Type.Literal('cancelled'),
        Type.Literal('collected'),
        Type.Literal('refunded'),
      ]),
    ),
  },
  closed,
);
export type MyPledgesQuery = Static<typeof MyPledgesQuery>;

const campaignProps = {
  id: Uuid,
  creatorId: Uuid,
  title: Type.String(),
  description: Type.String(),
  goal: Type.Integer(),
  pledged: Type.Integer(),
  progressPct: Type.Number({ description: 'Pledged as a percentage of the goal (may pass 100)' }),
  backers: Type.Integer({ description: 'Distinct backers with a pledge that counts' }),
  state: Type.String({
    description: 'pending_approval, live, rejected, collecting, refunding, funded or failed',
  }),
  deadline: DateTime,
  fee: Nullable(Type.Integer({ description: 'Platform fee taken at payout' })),
  payout: Nullable(Type.Integer({ description: 'What the creator received' })),
  rejectReason: Nullable(Type.String()),
  createdAt: DateTime,
  settledAt: Nullable(DateTime),
};
export const Campaign = Type.Object(campaignProps);
export const CampaignPage = Type.Object({ items: Type.Array(Campaign), nextCursor: Nullable(Type.String()) });

export const Tier = Type.Object({
  id: Uuid,
  title: Type.String(),
  description: Type.String(),
  minPledge: Type.Integer(),
  quantity: Type.Integer(),
  claimed: Type.Integer(),
  remaining: Type.Integer(),
  cards: Type.Array(Type.Object({ variantId: Uuid, copies: Type.Integer() })),
});

export const CampaignUpdate = Type.Object({
  id: Uuid,
  campaignId: Uuid,
  title: Type.String(),
  body: Type.String(),
  createdAt: DateTime,
});

export const CampaignDetail = Type.Object({
  ...campaignProps,
  tiers: Type.Array(Tier),
  updates: Type.Array(CampaignUpdate, { description: 'The latest 20, newest first' }),
});

export const Pledge = Type.Object({
  id: Uuid,
  campaignId: Uuid,
  campaignTitle: Type.String(),
  campaignState: Type.String(),
  tierId: Nullable(Uuid),
  amount: Type.Integer(),
  status: Type.String({ description: 'active, cancelled, collected or refunded' }),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export const PledgePage = Type.Object({ items: Type.Array(Pledge), nextCursor: Nullable(Type.String()) });
