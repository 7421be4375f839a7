import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const BOARD_KINDS = ['live', 'paper', 'backtest', 'traders', 'collectors'] as const;
export type BoardKind = (typeof BOARD_KINDS)[number];
export const BOARD_PERIODS = ['7d', '30d', '90d', 'all'] as const;
export const BOARD_METRICS = ['return', 'sharpe', 'maxDrawdown', 'profitFactor'] as const;

/**
 * The stored boards: one row per board, period and subject (a bot, a backtest or a person), written
 * only by the aggregation job. Reads never compute a metric: they page these rows by a stored rank.
 * A rank is set only on qualified rows whose metric is known; ties are broken by trades (more
 * first), then by subject id.
 */
export const leaderboardEntries = pgTable(
  'leaderboard_entries',
  {
    board: text('board', { enum: BOARD_KINDS }).notNull(),
    period: text('period', { enum: BOARD_PERIODS }).notNull(),
    subjectId: uuid('subject_id').notNull(),
    ownerId: uuid('owner_id').notNull(),
    name: text('name').notNull(),
    /** Cards a bot or backtest trades, and their sets, for the card and set filters. */
    variantIds: uuid('variant_ids').array().notNull(),
    setIds: uuid('set_ids').array().notNull(),
    qualified: boolean('qualified').notNull(),
    /** Why the subject is not ranked (a qualification rule it misses). */
    reason: text('reason'),
    totalReturn: doublePrecision('total_return'),
    sharpe: doublePrecision('sharpe'),
    maxDrawdown: doublePrecision('max_drawdown'),
    profitFactor: doublePrecision('profit_factor'),
    /** People boards: realised profit (traders) or collection value (collectors), minor units. */
    amount: bigint('amount', { mode: 'bigint' }),
    trades: integer('trades').notNull(),
    rankReturn: integer('rank_return'),
    rankSharpe: integer('rank_sharpe'),
    rankMaxDrawdown: integer('rank_max_drawdown'),
    rankProfitFactor: integer('rank_profit_factor'),
    rankAmount: integer('rank_amount'),
    computedAt: at('computed_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.board, t.period, t.subjectId] }),
    index('leaderboard_entries_return_idx').on(t.board, t.period, t.rankReturn),
    index('leaderboard_entries_sharpe_idx').on(t.board, t.period, t.rankSharpe),
    index('leaderboard_entries_drawdown_idx').on(t.board, t.period, t.rankMaxDrawdown),
    index('leaderboard_entries_pf_idx').on(t.board, t.period, t.rankProfitFactor),
    index('leaderboard_entries_amount_idx').on(t.board, t.period, t.rankAmount),
    index('leaderboard_entries_owner_idx').on(t.ownerId, t.board, t.period),
    index('leaderboard_entries_subject_idx').on(t.subjectId),
    check('leaderboard_entries_trades', sql`${t.trades} >= 0`),
  ],
);

/** Bots whose record changed since the job last computed them (a run, a fill, a status change). */
export const leaderboardDirty = pgTable('leaderboard_dirty', {
  botId: uuid('bot_id').primaryKey(),
  markedAt: at('marked_at').notNull().defaultNow(),
});

/**
 * The strategy version each bot's record counts from: when a bot is seen running a version other
 * than the one stored here, its record restarts at that moment.
 */
export const leaderboardBotVersions = pgTable('leaderboard_bot_versions', {
  botId: uuid('bot_id').primaryKey(),
  strategyVersion: integer('strategy_version').notNull(),
  since: at('since').notNull(),
});

export type EntryRow = typeof leaderboardEntries.$inferSelect;
export type NewEntry = typeof leaderboardEntries.$inferInsert;
