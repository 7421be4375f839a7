import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const at = (name: string) => timestamp(name, { withTimezone: true });

export const VISIBILITIES = ['private', 'unlisted', 'public'] as const;
export type Visibility = (typeof VISIBILITIES)[number];
export const SHARING_MODES = ['protected', 'open'] as const;
export type SharingMode = (typeof SHARING_MODES)[number];
export const FOLLOW_TARGETS = ['user', 'bot'] as const;
export type FollowTarget = (typeof FOLLOW_TARGETS)[number];
export const FEED_KINDS = ['bot_shared', 'strategy_version', 'result'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];
export const REPORT_TARGETS = ['comment', 'bot', 'user'] as const;
export type ReportTarget = (typeof REPORT_TARGETS)[number];
export const REPORT_STATUSES = ['open', 'resolved', 'dismissed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/**
 * How a strategy is shared: no row means private. `visibility` says who reaches it (public: everyone
 * and listed; unlisted: whoever holds `linkToken`), `mode` what they see (protected: performance
 * only; open: the code too, and they may fork it). `announcedVersion` is the last version the
 * feed has announced.
 */
export const communitySharing = pgTable(
  'community_sharing',
  {
    strategyId: uuid('strategy_id').primaryKey(),
    ownerId: uuid('owner_id').notNull(),
    visibility: text('visibility', { enum: VISIBILITIES }).notNull().default('private'),
    mode: text('mode', { enum: SHARING_MODES }).notNull().default('protected'),
    description: text('description').notNull().default(''),
    linkToken: text('link_token').notNull(),
    announcedVersion: integer('announced_version').notNull().default(0),
    createdAt: at('created_at').notNull().defaultNow(),
    updatedAt: at('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('community_sharing_link_key').on(t.linkToken),
    index('community_sharing_public_idx')
      .on(t.strategyId)
      .where(sql`${t.visibility} = 'public'`),
    index('community_sharing_owner_idx').on(t.ownerId),
  ],
);

/** Lineage of a fork: which version of whose strategy became whose new private strategy. */
export const communityForks = pgTable(
  'community_forks',
  {
    id: uuid('id').primaryKey(),
    sourceStrategyId: uuid('source_strategy_id').notNull(),
    sourceVersion: integer('source_version').notNull(),
    sourceOwnerId: uuid('source_owner_id').notNull(),
    forkedStrategyId: uuid('forked_strategy_id').notNull(),
    forkedBy: uuid('forked_by').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('community_forks_forked_key').on(t.forkedStrategyId),
    index('community_forks_source_idx').on(t.sourceStrategyId, t.id),
  ],
);

/** Comments on shared bots; a reply names its parent. Deleting erases the text, keeps the row. */
export const communityComments = pgTable(
  'community_comments',
  {
    id: uuid('id').primaryKey(),
    botId: uuid('bot_id').notNull(),
    authorId: uuid('author_id').notNull(),
    parentId: uuid('parent_id'),
    body: text('body').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
    editedAt: at('edited_at'),
    deletedAt: at('deleted_at'),
  },
  (t) => [
    index('community_comments_bot_idx').on(t.botId, t.id),
    index('community_comments_parent_idx').on(t.parentId),
    check('community_comments_body_length', sql`char_length(${t.body}) <= 4000`),
  ],
);

/** Who liked which shared bot (one like per user and bot). */
export const communityLikes = pgTable(
  'community_likes',
  {
    botId: uuid('bot_id').notNull(),
    userId: uuid('user_id').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.botId, t.userId] }), index('community_likes_user_idx').on(t.userId)],
);

/** Who follows which user or bot; a follower's feed is built from these. */
export const communityFollows = pgTable(
  'community_follows',
  {
    followerId: uuid('follower_id').notNull(),
    targetType: text('target_type', { enum: FOLLOW_TARGETS }).notNull(),
    targetId: uuid('target_id').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.followerId, t.targetType, t.targetId] }),
    index('community_follows_target_idx').on(t.targetType, t.targetId),
  ],
);

/** Activity of authors and bots, written when it happens; read by their followers. Never code. */
export const communityFeed = pgTable(
  'community_feed',
  {
    id: uuid('id').primaryKey(),
    actorId: uuid('actor_id').notNull(),
    kind: text('kind', { enum: FEED_KINDS }).notNull(),
    strategyId: uuid('strategy_id').notNull(),
    botId: uuid('bot_id'),
    data: jsonb('data').notNull().default({}),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    index('community_feed_actor_idx').on(t.actorId, t.id),
    index('community_feed_strategy_idx').on(t.strategyId, t.id),
    index('community_feed_bot_idx').on(t.botId, t.id),
  ],
);

/** Shared bots the feed has announced, and the highest return milestone announced for each. */
export const communityBotNotes = pgTable('community_bot_notes', {
  botId: uuid('bot_id').primaryKey(),
  strategyId: uuid('strategy_id').notNull(),
  milestonePct: integer('milestone_pct').notNull().default(0),
  createdAt: at('created_at').notNull().defaultNow(),
});

/** A user's report of a comment, bot or user; one open report per reporter and target. */
export const communityReports = pgTable(
  'community_reports',
  {
    id: uuid('id').primaryKey(),
    reporterId: uuid('reporter_id').notNull(),
    targetType: text('target_type', { enum: REPORT_TARGETS }).notNull(),
    targetId: uuid('target_id').notNull(),
    reason: text('reason').notNull(),
    status: text('status', { enum: REPORT_STATUSES }).notNull().default('open'),
    resolvedBy: uuid('resolved_by'),
    resolutionNote: text('resolution_note'),
    resolvedAt: at('resolved_at'),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('community_reports_open_key')
      .on(t.reporterId, t.targetType, t.targetId)
      .where(sql`${t.status} = 'open'`),
    index('community_reports_status_idx').on(t.status, t.id),
  ],
);

/** Content a moderator hid: invisible to everyone but moderators and its author. */
export const communityHidden = pgTable(
  'community_hidden',
  {
    targetType: text('target_type', { enum: REPORT_TARGETS }).notNull(),
    targetId: uuid('target_id').notNull(),
    hiddenBy: uuid('hidden_by').notNull(),
    reason: text('reason').notNull(),
    createdAt: at('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.targetType, t.targetId] })],
);

export type SharingRow = typeof communitySharing.$inferSelect;
export type ForkRow = typeof communityForks.$inferSelect;
export type CommentRow = typeof communityComments.$inferSelect;
export type FeedRow = typeof communityFeed.$inferSelect;
export type ReportRow = typeof communityReports.$inferSelect;
export type HiddenRow = typeof communityHidden.$inferSelect;
