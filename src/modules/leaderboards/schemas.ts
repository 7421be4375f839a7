import { Type, type Static } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;
const Cursor = Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'From the previous page' }));
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });

const Period = Type.Union([Type.Literal('7d'), Type.Literal('30d'), Type.Literal('90d'), Type.Literal('all')], {
  default: '30d',
  description: 'The last 7, 30 or 90 days, or all time (since the bot’s strategy version)',
});
const Metric = Type.Union(
  [Type.Literal('return'), Type.Literal('sharpe'), Type.Literal('maxDrawdown'), Type.Literal('profitFactor')],
  {
    default: 'return',
    description: 'Total return, Sharpe ratio, maximum drawdown (lowest first) or profit factor',
  },
);
const Mode = Type.Union([Type.Literal('live'), Type.Literal('paper'), Type.Literal('backtest')], {
  default: 'live',
  description: 'Live bots, paper bots or finished backtests: boards never mix them',
});

export const BoardQuery = Type.Object(
  {
    period: Period,
    metric: Metric,
    mode: Mode,
    cardId: Type.Optional({ ...Uuid, description: 'Only bots trading this card variant' }),
    setId: Type.Optional({ ...Uuid, description: 'Only bots trading a card of this set' }),
    minTrades: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Closed trades at least' })),
    limit: Limit,
    cursor: Cursor,
  },
  closed,
);
export type BoardQuery = Static<typeof BoardQuery>;

export const PeopleQuery = Type.Object({ period: Period, limit: Limit, cursor: Cursor }, closed);
export type PeopleQuery = Static<typeof PeopleQuery>;
export const CollectorsQuery = Type.Object({ limit: Limit, cursor: Cursor }, closed);
export type CollectorsQuery = Static<typeof CollectorsQuery>;

const Metrics = Type.Object({
  totalReturn: Nullable(Type.Number({ description: 'Fraction: 0.1 is +10 %' })),
  sharpe: Nullable(Type.Number()),
  maxDrawdown: Nullable(Type.Number({ description: 'Fraction of the peak' })),
  profitFactor: Nullable(Type.Number()),
});

export const BoardEntry = Type.Object({
  rank: Type.Integer({ minimum: 1 }),
  botId: Nullable(Uuid),
  backtestId: Nullable(Uuid),
  botName: Type.String({ description: 'The bot’s name, or a backtest’s strategy name and version' }),
  owner: Nullable(Type.String({ description: 'Owner’s username (null once the account is gone)' })),
  value: Type.Number({ description: 'The board’s metric' }),
  trades: Type.Integer({ description: 'Closed round trips in the period' }),
  metrics: Metrics,
  computedAt: DateTime,
});

export const BoardReply = Type.Object({
  mode: Type.String(),
  period: Type.String(),
  metric: Type.String(),
  items: Type.Array(BoardEntry),
  nextCursor: Nullable(Type.String()),
  myRank: Nullable(Type.Integer({ minimum: 1, description: 'Your best-placed bot on this board' })),
});

export const PreviewBoard = Type.Object({
  mode: Type.String(),
  period: Type.String(),
  metric: Type.String(),
  items: Type.Array(BoardEntry),
});
export const PreviewReply = Type.Object({ boards: Type.Array(PreviewBoard), generatedAt: DateTime });

export const PersonEntry = Type.Object({
  rank: Type.Integer({ minimum: 1 }),
  username: Type.String(),
  value: Type.Integer({ description: 'Realised profit or collection value, minor units (1 coin = 100)' }),
  count: Type.Integer({ description: 'Traders: exchange fills in the period; collectors: cards held' }),
  computedAt: DateTime,
});
export const PeopleReply = Type.Object({
  period: Type.String(),
  items: Type.Array(PersonEntry),
  nextCursor: Nullable(Type.String()),
  myRank: Nullable(Type.Integer({ minimum: 1 })),
});

export const RebuildReply = Type.Object({ queued: Type.Boolean() });
