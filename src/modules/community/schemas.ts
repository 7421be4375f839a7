import { Type, type Static } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;
const Cursor = Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: 'From the previous page' }));
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });
const LinkToken = Type.Optional(
  Type.String({
    minLength: 16,
    maxLength: 64,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'The link token of an unlisted strategy (from its owner)',
  }),
);

export const COMMENT_MAX_CHARS = 2000;
export const Username = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.-]+$' });

export const IdParams = Type.Object({ id: Uuid }, closed);
export const UsernameParams = Type.Object({ username: Username }, closed);
export const TokenQuery = Type.Object({ token: LinkToken }, closed);
export type TokenQuery = Static<typeof TokenQuery>;
export const PageQuery = Type.Object({ limit: Limit, cursor: Cursor }, closed);
export type PageQuery = Static<typeof PageQuery>;
export const TokenPageQuery = Type.Object({ limit: Limit, cursor: Cursor, token: LinkToken }, closed);
export type TokenPageQuery = Static<typeof TokenPageQuery>;

const Author = Nullable(Type.Object({ id: Uuid, username: Type.String() }));
const Visibility = Type.Union([Type.Literal('private'), Type.Literal('unlisted'), Type.Literal('public')], {
  description: '`private`: only you; `unlisted`: whoever has the link; `public`: everyone, listed',
});
const Mode = Type.Union([Type.Literal('protected'), Type.Literal('open')], {
  description: '`protected`: others see performance, never code; `open`: code visible and forkable',
});

// --- sharing ---

export const SharingBody = Type.Object(
  {
    visibility: Visibility,
    mode: Mode,
    description: Type.Optional(Type.String({ maxLength: 2000, description: 'Plain text shown on shared pages' })),
    rotateLink: Type.Optional(Type.Boolean({ description: 'Issue a new link token; the old link stops working' })),
  },
  closed,
);
export type SharingBody = Static<typeof SharingBody>;

export const Sharing = Type.Object({
  strategyId: Uuid,
  visibility: Visibility,
  mode: Mode,
  description: Type.String(),
  linkToken: Nullable(Type.String({ description: 'Owner only: the token of the unlisted link' })),
  updatedAt: Nullable(DateTime),
});

const Content = {
  document: Type.Optional(Type.Unknown({ description: 'Rules document (open mode or your own strategy only)' })),
  source: Type.Optional(Type.String({ description: 'Source code (open mode or your own strategy only)' })),
};

const ForkedFrom = Nullable(
  Type.Object({ strategyId: Uuid, version: Type.Integer(), author: Author, forkedAt: DateTime }),
);

export const SharedStrategy = Type.Object({
  id: Uuid,
  name: Type.String(),
  kind: Type.String(),
  author: Author,
  visibility: Visibility,
  mode: Mode,
  description: Type.String(),
  latestVersion: Type.Integer(),
  forkedFrom: ForkedFrom,
  ...Content,
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const VersionItem = Type.Object({ version: Type.Integer(), createdAt: DateTime, ...Content });
export const VersionPage = Type.Object({
  items: Type.Array(VersionItem),
  nextCursor: Nullable(Type.String()),
  codeVisible: Type.Boolean(),
});

export const ForkBody = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the latest' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  closed,
);
export type ForkBody = Static<typeof ForkBody>;

export const Fork = Type.Object({
  id: Uuid,
  sourceStrategyId: Uuid,
  sourceVersion: Type.Integer(),
  forkedStrategyId: Uuid,
  forkedBy: Author,
  createdAt: DateTime,
});
export const ForkPage = Type.Object({ items: Type.Array(Fork), nextCursor: Nullable(Type.String()) });
export const ForkResult = Type.Object({
  fork: Fork,
  strategy: Type.Object({
    id: Uuid,
    name: Type.String(),
    kind: Type.String(),
    latestVersion: Type.Integer(),
    ...Content,
  }),
});

// --- shared bots ---

export const BOT_SORTS = ['newest', 'followers', 'likes', 'return', 'sharpe'] as const;
export const BOARD_PERIODS = ['7d', '30d', '90d', 'all'] as const;

export const BotListQuery = Type.Object(
  {
    q: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Words in the bot or strategy name or description, or an author username',
      }),
    ),
    sort: Type.Union(
      BOT_SORTS.map((s) => Type.Literal(s)),
      { default: 'newest' },
    ),
    period: Type.Union(
      BOARD_PERIODS.map((p) => Type.Literal(p)),
      { default: '30d', description: 'Period of the return and sharpe figures' },
    ),
    limit: Limit,
    cursor: Cursor,
  },
  closed,
);
export type BotListQuery = Static<typeof BotListQuery>;

const Standing = Nullable(
  Type.Object({
    period: Type.String(),
    qualified: Type.Boolean(),
    rank: Nullable(Type.Integer()),
    totalReturn: Nullable(Type.Number()),
    sharpe: Nullable(Type.Number()),
    maxDrawdown: Nullable(Type.Number()),
    profitFactor: Nullable(Type.Number()),
    trades: Type.Integer(),
    computedAt: Type.String(),
  }),
);

const botFields = {
  id: Uuid,
  name: Type.String(),
  author: Author,
  strategyId: Uuid,
  strategyName: Type.String(),
  strategyVersion: Type.Integer(),
  visibility: Visibility,
  mode: Mode,
  description: Type.String(),
  botMode: Type.String({ description: 'paper or live' }),
  status: Type.String(),
  likes: Type.Integer(),
  followers: Type.Integer(),
  hidden: Type.Boolean({ description: 'Hidden by a moderator (only its author and moderators see it)' }),
  createdAt: DateTime,
};

export const SharedBotItem = Type.Object({ ...botFields, standing: Standing });
export const SharedBotPage = Type.Object({ items: Type.Array(SharedBotItem), nextCursor: Nullable(Type.String()) });

const Trade = Type.Object({
  variantId: Uuid,
  side: Type.String(),
  price: Type.Integer(),
  quantity: Type.Integer(),
  fee: Type.Integer(),
  at: DateTime,
});

export const SharedBotProfile = Type.Object({
  ...botFields,
  standing: Standing,
  likedByMe: Type.Boolean(),
  followedByMe: Type.Boolean(),
  performance: Type.Object({
    equity: Type.Array(Type.Object({ t: DateTime, equity: Type.Number() })),
    roundTrips: Type.Array(Type.Unknown()),
    metrics: Type.Record(Type.String(), Type.Unknown()),
  }),
  recentTrades: Type.Array(Trade),
  tradesDelayedUntil: Nullable(DateTime),
  code: Nullable(Type.Object({ version: Type.Integer(), ...Content })),
});

// --- comments ---

export const CommentBody = Type.Object(
  {
    body: Type.String({
      minLength: 1,
      maxLength: COMMENT_MAX_CHARS,
      description: 'Plain text; control characters are removed',
    }),
    parentId: Type.Optional(Uuid),
  },
  closed,
);
export type CommentBody = Static<typeof CommentBody>;
export const CommentEdit = Type.Object({ body: Type.String({ minLength: 1, maxLength: COMMENT_MAX_CHARS }) }, closed);

export const Comment = Type.Object({
  id: Uuid,
  botId: Uuid,
  parentId: Nullable(Uuid),
  author: Author,
  body: Nullable(Type.String()),
  state: Type.Union(
    [Type.Literal('visible'), Type.Literal('deleted'), Type.Literal('hidden'), Type.Literal('removed')],
    {
      description: '`removed`: hidden by a moderator (shown so to everyone but its author and moderators)',
    },
  ),
  createdAt: DateTime,
  editedAt: Nullable(DateTime),
});
export const CommentPage = Type.Object({ items: Type.Array(Comment), nextCursor: Nullable(Type.String()) });

// --- likes, follows, feed ---

export const LikeState = Type.Object({ botId: Uuid, liked: Type.Boolean(), likes: Type.Integer() });
export const FollowState = Type.Object({
  targetType: Type.String(),
  targetId: Uuid,
  following: Type.Boolean(),
  followers: Type.Integer(),
});

export const FeedItem = Type.Object({
  id: Uuid,
  kind: Type.String({ description: 'bot_shared, strategy_version or result' }),
  actor: Author,
  strategyId: Uuid,
  botId: Nullable(Uuid),
  data: Type.Record(Type.String(), Type.Unknown()),
  createdAt: DateTime,
});
export const FeedPage = Type.Object({ items: Type.Array(FeedItem), nextCursor: Nullable(Type.String()) });

// --- reports and moderation ---

const TargetType = Type.Union([Type.Literal('comment'), Type.Literal('bot'), Type.Literal('user')]);
const Reason = Type.String({ minLength: 1, maxLength: 1000 });

export const ReportBody = Type.Object({ targetType: TargetType, targetId: Uuid, reason: Reason }, closed);
export type ReportBody = Static<typeof ReportBody>;

export const Report = Type.Object({
  id: Uuid,
  reporter: Author,
  targetType: Type.String(),
  targetId: Uuid,
  reason: Type.String(),
  status: Type.String(),
  targetHidden: Type.Boolean(),
  resolutionNote: Nullable(Type.String()),
  resolvedAt: Nullable(DateTime),
  createdAt: DateTime,
});
export const OwnReport = Type.Object({
  id: Uuid,
  targetType: Type.String(),
  targetId: Uuid,
  status: Type.String(),
  createdAt: DateTime,
});
export const ReportPage = Type.Object({ items: Type.Array(Report), nextCursor: Nullable(Type.String()) });
export const ReportQuery = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('dismissed')], {
      default: 'open',
    }),
    limit: Limit,
    cursor: Cursor,
  },
  closed,
);
export type ReportQuery = Static<typeof ReportQuery>;

export const ResolveBody = Type.Object(
  {
    outcome: Type.Union([Type.Literal('resolved'), Type.Literal('dismissed')]),
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  closed,
);
export type ResolveBody = Static<typeof ResolveBody>;

export const HideBody = Type.Object({ targetType: TargetType, targetId: Uuid, reason: Reason }, closed);
export type HideBody = Static<typeof HideBody>;
export const HiddenParams = Type.Object({ targetType: TargetType, targetId: Uuid }, closed);
export const Hidden = Type.Object({
  targetType: Type.String(),
  targetId: Uuid,
  reason: Type.String(),
  hiddenBy: Uuid,
  createdAt: DateTime,
});
