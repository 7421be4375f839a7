import { Type, type Static } from 'typebox';
import { Rule } from './rules.ts';
import { PAYOUTS } from './tables.ts';

const closed = { additionalProperties: false } as const;
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const Cursor = Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'From the previous page' }));
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });
const Code = Type.String({
  pattern: '^[a-z][a-z0-9_]{1,47}$',
  description: 'Lower-case letters, digits and underscores',
  example: 'first_pack',
});

export const PageQuery = Type.Object({ limit: Limit, cursor: Cursor }, closed);
export const CodeParams = Type.Object({ id: Code }, closed);

export const RewardView = Type.Object({
  points: Type.Integer({ minimum: 0 }),
  coins: Type.Integer({ minimum: 0, description: 'Minor units, 1 coin = 100' }),
});

const Payout = Type.Union([Type.Literal(PAYOUTS[0]), Type.Literal(PAYOUTS[1])], {
  description: '`auto`: paid when completed; `claim`: claim it with POST /api/rewards/claim/:id',
});

const CatalogueFields = {
  code: Code,
  name: Type.String(),
  description: Type.String(),
  rule: Rule,
  reward: RewardView,
  payout: Payout,
};

export const Badge = Type.Object({ ...CatalogueFields, earnedAt: Nullable(DateTime) });
export const BadgeList = Type.Object({ items: Type.Array(Badge) });

export const Achievement = Type.Object({
  ...CatalogueFields,
  progress: Type.Integer({ minimum: 0 }),
  threshold: Type.Integer({ minimum: 1 }),
  completedAt: Nullable(DateTime),
  paidAt: Nullable(DateTime),
  claimable: Type.Boolean(),
});
export const AchievementList = Type.Object({ items: Type.Array(Achievement) });

export const CheckinReply = Type.Object({
  day: Type.String({ format: 'date' }),
  streak: Type.Integer({ minimum: 1 }),
  points: Type.Integer({ minimum: 1 }),
  nextPoints: Type.Integer({ minimum: 1, description: 'What tomorrow’s check-in pays if the streak holds' }),
  transferId: Nullable(Type.String({ format: 'uuid' })),
  completed: Type.Array(Code, { description: 'Achievements this check-in completed' }),
});

export const PointsPage = Type.Object({
  balance: Type.Integer({ minimum: 0 }),
  items: Type.Array(
    Type.Object({
      transferId: Type.String({ format: 'uuid' }),
      source: Type.String({ description: '`achievement:<code>` or `checkin:<day>`' }),
      points: Type.Integer({ minimum: 0 }),
      coins: Type.Integer({ minimum: 0 }),
      createdAt: DateTime,
    }),
  ),
  nextCursor: Nullable(Type.String()),
});

export const LeaderboardPage = Type.Object({
  items: Type.Array(
    Type.Object({
      rank: Type.Integer({ minimum: 1 }),
      userId: Type.String({ format: 'uuid' }),
      username: Nullable(Type.String()),
      points: Type.Integer({ minimum: 1 }),
    }),
  ),
  nextCursor: Nullable(Type.String()),
});

export const CreateAchievementBody = Type.Object(
  {
    code: Code,
    name: Type.String({ minLength: 1, maxLength: 60 }),
    description: Type.String({ minLength: 1, maxLength: 300 }),
    rule: Rule,
    reward: Type.Object(
      {
        points: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
        coins: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000, description: 'Minor units' })),
      },
      closed,
    ),
    payout: Payout,
  },
  closed,
);
export type CreateAchievementBody = Static<typeof CreateAchievementBody>;

export const CreateAchievementReply = Type.Object({
  achievement: Type.Object(CatalogueFields),
  backfill: Type.Object({ code: Code, evaluated: Type.Integer(), completed: Type.Integer() }),
});

export const BackfillBody = Type.Object(
  { code: Type.Optional(Code) },
  { ...closed, description: 'One achievement, or every one whose rule was not evaluated over the history yet' },
);
export const BackfillReply = Type.Object({
  items: Type.Array(Type.Object({ code: Code, evaluated: Type.Integer(), completed: Type.Integer() })),
});
