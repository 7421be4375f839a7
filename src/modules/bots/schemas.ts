import { Type, type Static } from 'typebox';
import { BOT_INTERVALS } from './strategy.ts';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
const closed = { additionalProperties: false } as const;
const Coins = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units (1 coin = 100)' });
const Interval = Type.Union(
  BOT_INTERVALS.map((i) => Type.Literal(i)),
  { description: 'Candle length the bot acts on: 1m, 5m, 15m, 1h, 4h or 1d' },
);
const Name = Type.String({ minLength: 1, maxLength: 100 });
const Cursor = Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'From the previous page' }));
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });

export const IdParams = Type.Object({ id: Uuid }, closed);
export const PageQuery = Type.Object({ limit: Limit, cursor: Cursor }, closed);
export type PageQuery = Static<typeof PageQuery>;

const Document = Type.Unknown({ description: 'A rules document (kind `rules`); see `GET /api/strategies/templates`' });
const Source = Type.String({
  minLength: 1,
  maxLength: 100_000,
  description: 'JavaScript defining `function decide(input)` (kind `code`); runs in a sandbox',
});

export const StrategyBody = Type.Object(
  {
    name: Name,
    kind: Type.Union([Type.Literal('rules'), Type.Literal('code')]),
    document: Type.Optional(Document),
    source: Type.Optional(Source),
  },
  closed,
);
export type StrategyBody = Static<typeof StrategyBody>;

export const VersionBody = Type.Object({ document: Type.Optional(Document), source: Type.Optional(Source) }, closed);
export type VersionBody = Static<typeof VersionBody>;

export const Strategy = Type.Object({
  id: Uuid,
  ownerId: Uuid,
  name: Type.String(),
  kind: Type.String({ description: 'rules or code' }),
  latestVersion: Type.Integer(),
  document: Type.Optional(Type.Unknown({ description: 'The latest version (rules)' })),
  source: Type.Optional(Type.String({ description: 'The latest version (code)' })),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export const StrategyPage = Type.Object({ items: Type.Array(Strategy), nextCursor: Nullable(Type.String()) });

export const Template = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  kind: Type.String(),
  document: Type.Optional(Type.Unknown()),
  source: Type.Optional(Type.String()),
});
export const TemplateList = Type.Object({ items: Type.Array(Template) });

export const BotSettings = Type.Object(
  {
    maxDrawdownPct: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 100,
        description: 'Pause when equity falls this far below its peak',
      }),
    ),
    stopLossGuard: Type.Optional(
      Type.Object(
        {
          stopOuts: Type.Integer({ minimum: 1, maximum: 100 }),
          windowCandles: Type.Integer({ minimum: 1, maximum: 10_000 }),
        },
        { ...closed, description: 'Pause after this many stop-loss exits within the window' },
      ),
    ),
    maxOrdersPerHour: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    missedTicks: Type.Optional(
      Type.Union([Type.Literal('skip'), Type.Literal('catch_up')], {
        description: '`skip` (default): after downtime run only the latest tick; `catch_up`: run each missed one',
      }),
    ),
    lookback: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000, description: 'Candles the strategy sees' })),
  },
  closed,
);
export type BotSettings = Static<typeof BotSettings>;

export const BotBody = Type.Object(
  {
    name: Name,
    strategyId: Uuid,
    strategyVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the latest' })),
    mode: Type.Union([Type.Literal('paper'), Type.Literal('live')]),
    variantIds: Type.Array(Uuid, { minItems: 1, maxItems: 20, uniqueItems: true, description: 'Cards it trades' }),
    interval: Interval,
    allocation: Coins,
    settings: Type.Optional(BotSettings),
  },
  closed,
);
export type BotBody = Static<typeof BotBody>;

export const BotPatch = Type.Object(
  {
    name: Type.Optional(Name),
    strategyVersion: Type.Optional(Type.Integer({ minimum: 1 })),
    variantIds: Type.Optional(Type.Array(Uuid, { minItems: 1, maxItems: 20, uniqueItems: true })),
    interval: Type.Optional(Interval),
    allocation: Type.Optional(Coins),
    settings: Type.Optional(BotSettings),
  },
  { ...closed, minProperties: 1 },
);
export type BotPatch = Static<typeof BotPatch>;

export const Bot = Type.Object({
  id: Uuid,
  ownerId: Uuid,
  name: Type.String(),
  strategyId: Uuid,
  strategyVersion: Type.Integer(),
  mode: Type.String({ description: 'paper or live' }),
  status: Type.String({ description: 'stopped, running or paused' }),
  pauseReason: Nullable(Type.String()),
  variantIds: Type.Array(Uuid),
  interval: Type.String(),
  allocation: Type.Integer(),
  settings: BotSettings,
  consecutiveFailures: Type.Integer(),
  nextRunAt: Nullable(DateTime),
  lastTick: Nullable(DateTime),
  startedAt: Nullable(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export const BotPage = Type.Object({ items: Type.Array(Bot), nextCursor: Nullable(Type.String()) });

export const RunsQuery = Type.Object(
  {
    limit: Limit,
    cursor: Cursor,
    status: Type.Optional(Type.Union([Type.Literal('ok'), Type.Literal('error'), Type.Literal('skipped')])),
  },
  closed,
);
export type RunsQuery = Static<typeof RunsQuery>;

export const Run = Type.Object({
  id: Uuid,
  tick: DateTime,
  scheduledAt: DateTime,
  startedAt: DateTime,
  finishedAt: DateTime,
  lagMs: Type.Number({ description: 'Started minus scheduled' }),
  status: Type.String(),
  errorKind: Nullable(Type.String()),
  error: Nullable(Type.String()),
  inputsDigest: Nullable(Type.String()),
  decisions: Type.Array(Type.Unknown()),
  orders: Type.Array(Type.Unknown()),
  fills: Type.Array(Type.Unknown()),
  notes: Type.Array(Type.String()),
  durationMs: Type.Number(),
  cpuMs: Type.Number(),
});
export const RunPage = Type.Object({ items: Type.Array(Run), nextCursor: Nullable(Type.String()) });

export const BotOrder = Type.Object({
  id: Uuid,
  runId: Nullable(Uuid),
  variantId: Uuid,
  side: Type.String(),
  type: Type.String(),
  price: Nullable(Type.Integer()),
  quantity: Type.Integer(),
  filled: Type.Integer(),
  status: Type.String({ description: 'open, filled, cancelled or rejected' }),
  reason: Nullable(Type.String()),
  rejection: Nullable(Type.String()),
  exchangeOrderId: Nullable(Uuid),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export const BotOrderPage = Type.Object({ items: Type.Array(BotOrder), nextCursor: Nullable(Type.String()) });

const Metric = Type.Union([
  Type.Object({ value: Type.Number() }),
  Type.Object({ insufficient: Type.String({ description: 'Why there is no number yet' }) }),
]);
export const Metrics = Type.Record(Type.String(), Metric);
const EquityPoint = Type.Object({ t: DateTime, equity: Type.Integer() });
const ClosedTrade = Type.Object({
  variantId: Uuid,
  entryAt: DateTime,
  exitAt: DateTime,
  quantity: Type.Integer(),
  entryPrice: Type.Integer(),
  exitPrice: Type.Integer(),
  fees: Type.Integer(),
  pnl: Type.Integer(),
});

export const Performance = Type.Object({
  botId: Uuid,
  mode: Type.String(),
  equity: Type.Array(EquityPoint),
  trades: Type.Array(ClosedTrade),
  metrics: Metrics,
});

export const ParityReport = Type.Object({
  botId: Uuid,
  mode: Type.String(),
  strategyVersion: Type.Integer(),
  status: Type.Union([Type.Literal('match'), Type.Literal('diverged'), Type.Literal('no_runs')]),
  from: Nullable(DateTime),
  to: Nullable(DateTime),
  checkedTicks: Type.Integer({ description: 'Successful runs compared, up to and including a divergence' }),
  errorTicks: Type.Integer({ description: 'Runs that failed (no decisions to compare)' }),
  truncated: Type.Boolean({ description: 'The bot has more runs than one check replays' }),
  firstDivergence: Nullable(
    Type.Object({
      tick: DateTime,
      logged: Type.Array(Type.Unknown(), { description: 'The intents the bot logged at this tick' }),
      replayed: Type.Array(Type.Unknown(), { description: 'The intents the replay decided' }),
    }),
  ),
});

export const BacktestBody = Type.Object(
  {
    strategyId: Uuid,
    strategyVersion: Type.Optional(Type.Integer({ minimum: 1 })),
    variantIds: Type.Array(Uuid, { minItems: 1, maxItems: 20, uniqueItems: true }),
    interval: Interval,
    from: DateTime,
    to: DateTime,
    initialCash: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    slippageBps: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 10 })),
    spreadBps: Type.Optional(Type.Integer({ minimum: 0, maximum: 2000, default: 50 })),
    lookback: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })),
  },
  closed,
);
export type BacktestBody = Static<typeof BacktestBody>;

export const Backtest = Type.Object({
  id: Uuid,
  ownerId: Uuid,
  strategyId: Uuid,
  strategyVersion: Type.Integer(),
  variantIds: Type.Array(Uuid),
  interval: Type.String(),
  from: DateTime,
  to: DateTime,
  settings: Type.Record(Type.String(), Type.Unknown()),
  status: Type.String({ description: 'queued, running, done, failed or cancelled' }),
  progress: Type.Number(),
  resultHash: Nullable(Type.String({ description: 'SHA-256 of the full result: equal inputs, equal hash' })),
  result: Nullable(
    Type.Object({
      candles: Type.Integer(),
      ticks: Type.Integer(),
      orders: Type.Integer(),
      rejected: Type.Integer(),
      fills: Type.Integer(),
      feesPaid: Type.Integer(),
      finalCash: Type.Integer(),
      metrics: Metrics,
      equity: Type.Array(EquityPoint, { description: 'At most 500 points, evenly sampled' }),
      benchmark: Type.Array(EquityPoint),
      trades: Type.Array(ClosedTrade, { description: 'The last 500 round trips' }),
    }),
  ),
  error: Nullable(Type.String()),
  createdAt: DateTime,
  startedAt: Nullable(DateTime),
  finishedAt: Nullable(DateTime),
});
export const BacktestPage = Type.Object({ items: Type.Array(Backtest), nextCursor: Nullable(Type.String()) });
