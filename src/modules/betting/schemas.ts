import { Type, type Static } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;
const Coins = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units (1 coin = 100)' });
const Amount = Type.Integer({ description: 'Minor units (1 coin = 100)' });
const Odds = Type.Integer({
  minimum: 1001,
  maximum: 1_000_000,
  description: 'Decimal odds × 1000 (2500 = 2.50: a winning stake of 100 returns 250)',
});
const Cursor = Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'From the previous page' }));
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });
const Title = Type.String({ minLength: 1, maxLength: 200 });
const Bps = (description: string) => Type.Integer({ minimum: 0, maximum: 5000, description });

export const IdParams = Type.Object({ id: Uuid }, closed);

export const EventsQuery = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Type.Literal('open'), Type.Literal('upcoming'), Type.Literal('closed'), Type.Literal('settled')], {
        description:
          'open: taking bets; upcoming: betting not open yet; closed: started, not settled; settled: settled or void',
      }),
    ),
    kind: Type.Optional(Type.Union([Type.Literal('admin'), Type.Literal('card_price')])),
    limit: Limit,
    cursor: Cursor,
  },
  closed,
);
export type EventsQuery = Static<typeof EventsQuery>;

export const Outcome = Type.Object({
  id: Uuid,
  label: Type.String(),
  staked: Amount,
  odds: Nullable(
    Type.Integer({ description: 'Current decimal odds × 1000 (parimutuel: indicative; null: no pool yet)' }),
  ),
});

export const Market = Type.Object({
  id: Uuid,
  type: Type.String({ description: 'parimutuel or fixed' }),
  name: Type.String(),
  status: Type.String({ description: 'open, suspended, settling, settled, voiding or void' }),
  takeoutBps: Type.Integer({ description: 'Parimutuel: share of the pool kept, basis points' }),
  overroundBps: Type.Integer({ description: 'Fixed odds: the margin the current odds carry, basis points' }),
  totalStaked: Amount,
  winningOutcomeId: Nullable(Uuid),
  limits: Type.Object({
    minStake: Amount,
    maxStake: Amount,
    maxPayout: Amount,
    userLiabilityCap: Amount,
    outcomeLiabilityCap: Amount,
  }),
  outcomes: Type.Array(Outcome),
});

export const Event = Type.Object({
  id: Uuid,
  kind: Type.String({ description: 'admin or card_price' }),
  title: Type.String(),
  description: Type.String(),
  opensAt: DateTime,
  startsAt: DateTime,
  bettingOpen: Type.Boolean(),
  priceRule: Nullable(
    Type.Object({
      variantId: Uuid,
      threshold: Amount,
      date: Type.String({ format: 'date' }),
      rule: Type.String(),
    }),
  ),
  settlement: Nullable(Type.Unknown({ description: 'The rule and the data used to settle' })),
  markets: Type.Array(Market),
});
export const EventPage = Type.Object({ items: Type.Array(Event), nextCursor: Nullable(Type.String()) });

export const PlaceBetBody = Type.Object(
  {
    eventId: Uuid,
    marketId: Uuid,
    outcomeId: Uuid,
    stake: Coins,
    odds: Type.Optional(Odds),
    oddsTolerance: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10_000,
        default: 0,
        description:
          'How far (basis points) the odds may have worsened since `odds` was seen; better odds always stand',
      }),
    ),
  },
  closed,
);
export type PlaceBetBody = Static<typeof PlaceBetBody>;

export const Bet = Type.Object({
  id: Uuid,
  eventId: Uuid,
  marketId: Uuid,
  outcomeId: Uuid,
  marketType: Type.String(),
  stake: Amount,
  odds: Nullable(Type.Integer()),
  potentialPayout: Nullable(Amount),
  status: Type.String({ description: 'open, won, lost, void or cancelled' }),
  payout: Amount,
  profit: Nullable(Type.Integer({ description: 'payout − stake once settled' })),
  cancellable: Type.Boolean(),
  createdAt: DateTime,
  settledAt: Nullable(DateTime),
});

export const MyBetsQuery = Type.Object(
  { state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('settled')])), limit: Limit, cursor: Cursor },
  closed,
);
export type MyBetsQuery = Static<typeof MyBetsQuery>;
export const BetPage = Type.Object({
  items: Type.Array(Bet),
  nextCursor: Nullable(Type.String()),
  summary: Type.Object({
    staked: Amount,
    returned: Amount,
    profit: Amount,
    roiPct: Nullable(Type.Number({ description: 'profit / staked × 100 over settled bets' })),
    openStakes: Amount,
  }),
});

const WindowLimits = Type.Object(
  {
    day: Type.Optional(Nullable(Coins)),
    week: Type.Optional(Nullable(Coins)),
    month: Type.Optional(Nullable(Coins)),
  },
  closed,
);
export const LimitsBody = Type.Object(
  { deposit: Type.Optional(WindowLimits), loss: Type.Optional(WindowLimits) },
  { ...closed, description: 'null removes a limit (after the delay)' },
);
export type LimitsBody = Static<typeof LimitsBody>;

const LimitValues = Type.Object({ day: Nullable(Amount), week: Nullable(Amount), month: Nullable(Amount) });
export const Profile = Type.Object({
  ageConfirmed: Type.Boolean(),
  limits: Type.Object({ deposit: LimitValues, loss: LimitValues }),
  pending: Nullable(Type.Object({ limits: Type.Unknown(), effectiveFrom: DateTime })),
  coolOffUntil: Nullable(DateTime),
  excludedUntil: Nullable(DateTime),
});

export const SelfExclusionBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('cool_off'), Type.Literal('self_exclusion')]),
    days: Type.Integer({ minimum: 1, maximum: 1825, description: 'cool_off: 1–42; self_exclusion: 180–1825' }),
  },
  closed,
);
export type SelfExclusionBody = Static<typeof SelfExclusionBody>;
export const AgeBody = Type.Object({ confirmed: Type.Literal(true) }, closed);

const LimitsInput = Type.Object(
  {
    minStake: Type.Optional(Coins),
    maxStake: Type.Optional(Coins),
    maxPayout: Type.Optional(Coins),
    userLiabilityCap: Type.Optional(Coins),
    outcomeLiabilityCap: Type.Optional(Coins),
    suspendExposure: Type.Optional(Coins),
  },
  closed,
);
export const MarketBody = Type.Object(
  {
    type: Type.Union([Type.Literal('parimutuel'), Type.Literal('fixed')]),
    name: Title,
    takeoutBps: Type.Optional(Bps('Parimutuel takeout')),
    overroundBps: Type.Optional(Bps('Fixed odds margin')),
    outcomes: Type.Array(
      Type.Object(
        {
          label: Type.String({ minLength: 1, maxLength: 100 }),
          weight: Type.Optional(
            Type.Number({ exclusiveMinimum: 0, maximum: 1e6, description: 'Fixed odds: relative fair chance' }),
          ),
        },
        closed,
      ),
      { minItems: 2, maxItems: 50 },
    ),
    limits: Type.Optional(LimitsInput),
  },
  closed,
);
export type MarketBody = Static<typeof MarketBody>;

export const EventBody = Type.Object(
  {
    title: Title,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    opensAt: Type.Optional(DateTime),
    startsAt: DateTime,
    markets: Type.Array(MarketBody, { minItems: 1, maxItems: 10 }),
  },
  closed,
);
export type EventBody = Static<typeof EventBody>;

export const PriceEventBody = Type.Object(
  {
    variantId: Uuid,
    threshold: Coins,
    date: Type.String({ format: 'date', description: 'The UTC day whose 1d close is compared (YYYY-MM-DD)' }),
    type: Type.Optional(Type.Union([Type.Literal('parimutuel'), Type.Literal('fixed')])),
    takeoutBps: Type.Optional(Bps('Parimutuel takeout')),
    overroundBps: Type.Optional(Bps('Fixed odds margin')),
    limits: Type.Optional(LimitsInput),
  },
  closed,
);
export type PriceEventBody = Static<typeof PriceEventBody>;

export const SettleBody = Type.Object(
  { outcomeId: Uuid, reason: Type.Optional(Type.String({ maxLength: 500 })) },
  closed,
);
export const CorrectBody = Type.Object(
  { outcomeId: Uuid, reason: Type.String({ minLength: 1, maxLength: 500 }) },
  closed,
);
export const VoidBody = Type.Object({ reason: Type.String({ minLength: 1, maxLength: 500 }) }, closed);
