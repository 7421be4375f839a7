import { Type, type Static } from 'typebox';
import { FRAUD_RULES } from './tables.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;

const Rule = Type.Union(
  FRAUD_RULES.map((r) => Type.Literal(r)),
  { description: 'wash_trading, new_account_gift, trade_velocity or price_far_from_reference' },
);

export const FlagsQuery = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('resolved')], { default: 'open' }),
    rule: Type.Optional(Rule),
    user: Type.Optional(Type.String({ format: 'uuid', description: 'Flags involving this user' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'From the previous page' })),
  },
  closed,
);
export type FlagsQuery = Static<typeof FlagsQuery>;

export const FlagParams = Type.Object({ id: Uuid }, closed);

export const ResolveBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('dismissed'), Type.Literal('confirmed')], {
      description: '`dismissed` releases the flag’s holds at once; `confirmed` keeps them until their release time',
    }),
    note: Type.String({ minLength: 1, maxLength: 2000, description: 'Why, for the record' }),
  },
  closed,
);

export const Hold = Type.Object({
  id: Uuid,
  userId: Uuid,
  reason: Type.String(),
  amounts: Type.Array(Type.Object({ asset: Type.String(), amount: Type.Integer() })),
  releaseAt: DateTime,
  releasedAt: Nullable(DateTime),
});

export const Flag = Type.Object({
  id: Uuid,
  rule: Type.String(),
  severity: Type.String({ description: 'low (review only) or high (the received items were held)' }),
  userIds: Type.Array(Uuid),
  variantId: Nullable(Uuid),
  reference: Type.String({ description: '`market.trade:<trade id>` or `trade.offer:<offer id>`' }),
  details: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String({ description: 'open or resolved' }),
  createdAt: DateTime,
  resolvedAt: Nullable(DateTime),
  resolvedBy: Nullable(Uuid),
  outcome: Nullable(Type.String()),
  note: Nullable(Type.String()),
  holds: Type.Array(Hold),
});

export const FlagPage = Type.Object({ items: Type.Array(Flag), nextCursor: Nullable(Type.String()) });

/** A hold as shown on the trade it applies to. */
export const TradeHold = Nullable(
  Type.Object({
    reason: Type.String(),
    releaseAt: DateTime,
    released: Type.Boolean(),
  }),
);
