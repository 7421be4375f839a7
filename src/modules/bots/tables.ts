import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

export const STRATEGY_KINDS = ['rules', 'code'] as const;
export type StrategyKind = (typeof STRATEGY_KINDS)[number];
export const BOT_MODES = ['paper', 'live'] as const;
export type BotMode = (typeof BOT_MODES)[number];
export const BOT_STATUSES = ['stopped', 'running', 'paused'] as const;
export type BotStatus = (typeof BOT_STATUSES)[number];
export const RUN_STATUSES = ['ok', 'error', 'skipped'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const BACKTEST_STATUSES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type BacktestStatus = (typeof BACKTEST_STATUSES)[number];

/** A user's strategy; its content lives in numbered versions, and editing adds a version. */
export const botStrategies = pgTable(
  'bot_strategies',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    name: text('name').notNull(),
    kind: text('kind', { enum: STRATEGY_KINDS }).notNull(),
    latestVersion: integer('latest_version').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [index('bot_strategies_owner_idx').on(t.ownerId, t.id)],
);

/** One immutable version: a rules document or JavaScript source. Bots and backtests pin one. */
export const botStrategyVersions = pgTable(
  'bot_strategy_versions',
  {
    strategyId: uuid('strategy_id')
      .notNull()
      .references(() => botStrategies.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    document: jsonb('document'),
    source: text('source'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.strategyId, t.version] }),
    check('bot_strategy_versions_content', sql`(${t.document} IS NULL) <> (${t.source} IS NULL)`),
  ],
);

/**
 * A bot: a pinned strategy version running on some cards at one candle length, on paper or live.
 * A live bot trades as its own ledger account (its id), funded by `allocation` coins moved from
 * the owner's wallet at start and returned at stop. `paperState` is a paper bot's simulated
 * account. The scheduler claims a due bot by its lease; `bot_runs` holds one row per tick.
 */
export const bots = pgTable(
  'bots',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    name: text('name').notNull(),
    strategyId: uuid('strategy_id')
      .notNull()
      .references(() => botStrategies.id),
    strategyVersion: integer('strategy_version').notNull(),
    mode: text('mode', { enum: BOT_MODES }).notNull(),
    status: text('status', { enum: BOT_STATUSES }).notNull().default('stopped'),
    variantIds: uuid('variant_ids').array().notNull(),
    interval: text('interval').notNull(),
    allocation: amount('allocation').notNull(),
    /** Protections and scheduling policy (see `BotSettings`). */
    settings: jsonb('settings').notNull(),
    /** What the strategy carries between ticks. */
    strategyState: jsonb('strategy_state').notNull().default({}),
    /** Paper bots: simulated cash, holdings, open orders; live bots: positions' entry and peak. */
    book: jsonb('book').notNull().default({}),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    pauseReason: text('pause_reason'),
    /** The next tick to run (a candle close plus jitter); null while not running. */
    nextRunAt: at('next_run_at'),
    /** The tick last run (a candle close). */
    lastTick: at('last_tick'),
    leaseUntil: at('lease_until'),
    startedAt: at('started_at'),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('bots_owner_idx').on(t.ownerId, t.id),
    index('bots_due_idx')
      .on(t.nextRunAt)
      .where(sql`${t.status} = 'running'`),
    check('bots_allocation', sql`${t.allocation} >= 0`),
  ],
);

/** The execution log: one row per bot and tick, so no tick ever runs twice. */
export const botRuns = pgTable(
  'bot_runs',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    tick: at('tick').notNull(),
    scheduledAt: at('scheduled_at').notNull(),
    startedAt: at('started_at').notNull(),
    finishedAt: at('finished_at').notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull(),
    errorKind: text('error_kind'),
    error: text('error'),
    inputsDigest: text('inputs_digest'),
    decisions: jsonb('decisions').notNull().default([]),
    orders: jsonb('orders').notNull().default([]),
    fills: jsonb('fills').notNull().default([]),
    notes: jsonb('notes').notNull().default([]),
    durationMs: real('duration_ms').notNull(),
    cpuMs: real('cpu_ms').notNull(),
  },
  (t) => [uniqueIndex('bot_runs_tick_key').on(t.botId, t.tick), index('bot_runs_bot_idx').on(t.botId, t.id)],
);

/** Orders a bot placed: simulated (paper) or on the exchange (live, `exchangeOrderId`). */
export const botOrders = pgTable(
  'bot_orders',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    runId: uuid('run_id'),
    variantId: uuid('variant_id').notNull(),
    side: text('side', { enum: ['buy', 'sell'] }).notNull(),
    type: text('type', { enum: ['limit', 'market'] }).notNull(),
    price: amount('price'),
    quantity: amount('quantity').notNull(),
    filled: amount('filled')
      .notNull()
      .default(sql`0`),
    status: text('status', { enum: ['open', 'filled', 'cancelled', 'rejected'] }).notNull(),
    reason: text('reason'),
    rejection: text('rejection'),
    exchangeOrderId: uuid('exchange_order_id'),
    createdAt: at('created_at').notNull(),
    updatedAt: at('updated_at').notNull(),
  },
  (t) => [
    index('bot_orders_bot_idx').on(t.botId, t.id),
    index('bot_orders_open_idx')
      .on(t.botId)
      .where(sql`${t.status} = 'open'`),
  ],
);

/** Every fill a bot got, for its trade list and metrics. */
export const botFills = pgTable(
  'bot_fills',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    orderId: uuid('order_id').notNull(),
    variantId: uuid('variant_id').notNull(),
    side: text('side', { enum: ['buy', 'sell'] }).notNull(),
    price: amount('price').notNull(),
    quantity: amount('quantity').notNull(),
    fee: amount('fee').notNull(),
    at: at('at').notNull(),
  },
  (t) => [index('bot_fills_bot_idx').on(t.botId, t.at)],
);

/** Equity snapshots (cash plus holdings at the last close), per tick. */
export const botEquity = pgTable(
  'bot_equity',
  {
    botId: uuid('bot_id')
      .notNull()
      .references(() => bots.id, { onDelete: 'cascade' }),
    at: at('at').notNull(),
    equity: amount('equity').notNull(),
    cash: amount('cash').notNull(),
    benchmark: amount('benchmark'),
  },
  (t) => [primaryKey({ columns: [t.botId, t.at] })],
);

/** A backtest job over the exchange's recorded candles; `resultHash` proves determinism. */
export const botBacktests = pgTable(
  'bot_backtests',
  {
    id: uuid('id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    strategyId: uuid('strategy_id')
      .notNull()
      .references(() => botStrategies.id),
    strategyVersion: integer('strategy_version').notNull(),
    variantIds: uuid('variant_ids').array().notNull(),
    interval: text('interval').notNull(),
    from: at('from').notNull(),
    to: at('to').notNull(),
    settings: jsonb('settings').notNull(),
    status: text('status', { enum: BACKTEST_STATUSES }).notNull(),
    progress: real('progress').notNull().default(0),
    result: jsonb('result'),
    resultHash: text('result_hash'),
    error: text('error'),
    createdAt: at('created_at').notNull().defaultNow(),
    startedAt: at('started_at'),
    finishedAt: at('finished_at'),
  },
  (t) => [index('bot_backtests_owner_idx').on(t.ownerId, t.id)],
);

export type BotRow = typeof bots.$inferSelect;
export type StrategyRow = typeof botStrategies.$inferSelect;
export type StrategyVersionRow = typeof botStrategyVersions.$inferSelect;
export type RunRow = typeof botRuns.$inferSelect;
export type BotOrderRow = typeof botOrders.$inferSelect;
export type BotFillRow = typeof botFills.$inferSelect;
export type BacktestRow = typeof botBacktests.$inferSelect;
