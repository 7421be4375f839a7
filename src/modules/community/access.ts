import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../platform/db/tx.ts';
import { SharedBotNotFoundError, SharedStrategyNotFoundError } from './errors.ts';
import { boardUsers, findBotSummary, findStrategyInfo, type BotSummary, type StrategyInfo } from './ports.ts';
import * as repo from './repo.ts';
import type { SharingRow } from './tables.ts';

/*
 * Who sees what. A strategy without a sharing row is private. Its owner sees everything; anyone
 * else reaches it when it is public, or unlisted and they hold its link token. A bot is shown in
 * community exactly when its strategy is reachable: public strategies' bots are listed, unlisted
 * ones' open only by the strategy's link. Code is shown only to the owner, or to anyone who reaches
 * an open strategy. Content a moderator hid (a bot, a comment, or everything of a user) is seen
 * only by its author and moderators. Whatever a caller may not see is "not found".
 */

export interface Viewer {
  userId: string | null;
  /** Holds `content.moderate`: sees hidden content (never private strategies or protected code). */
  moderator: boolean;
}

export const newLinkToken = () => randomBytes(24).toString('base64url');

function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether `viewer` reaches a strategy owned by `ownerId` with this sharing (ignoring moderation). */
export function reaches(sharing: SharingRow | null, ownerId: string, viewer: Viewer, token?: string): boolean {
  if (viewer.userId === ownerId) return true;
  if (!sharing || sharing.visibility === 'private') return false;
  if (sharing.visibility === 'public') return true;
  return tokenMatches(sharing.linkToken, token);
}

/** Whether `viewer` may read the code of a strategy they reach. */
export function seesCode(sharing: SharingRow | null, ownerId: string, viewer: Viewer): boolean {
  return viewer.userId === ownerId || sharing?.mode === 'open';
}

/** Hidden content is seen by its author and moderators only. */
export const seesHidden = (viewer: Viewer, authorId: string) => viewer.moderator || viewer.userId === authorId;

export interface VisibleBot {
  bot: BotSummary;
  strategy: StrategyInfo;
  sharing: SharingRow | null;
  hidden: boolean;
}

/** A bot the viewer may see, or 404. */
export async function visibleBot(db: Db, viewer: Viewer, botId: string, token?: string): Promise<VisibleBot> {
  const bot = await findBotSummary(db, botId);
  if (!bot) throw new SharedBotNotFoundError();
  const sharing = await repo.findSharing(db, bot.strategyId);
  const strategy = await findStrategyInfo(db, bot.strategyId);
  const hiddenKeys = await repo.hiddenAmong(db, [
    { type: 'bot', id: bot.id },
    { type: 'user', id: bot.ownerId },
  ]);
  if (!strategy || !reaches(sharing, bot.ownerId, viewer, token)) throw new SharedBotNotFoundError();
  const hidden = hiddenKeys.has(`bot:${bot.id}`) || hiddenKeys.has(`user:${bot.ownerId}`);
  if (hidden && !seesHidden(viewer, bot.ownerId)) throw new SharedBotNotFoundError();
  return { bot, strategy, sharing, hidden };
}

export interface VisibleStrategy {
  strategy: StrategyInfo;
  sharing: SharingRow | null;
}

/** A strategy the viewer may see, or 404. */
export async function visibleStrategy(
  db: Db,
  viewer: Viewer,
  strategyId: string,
  token?: string,
): Promise<VisibleStrategy> {
  const strategy = await findStrategyInfo(db, strategyId);
  const sharing = await repo.findSharing(db, strategyId);
  if (!strategy || !reaches(sharing, strategy.ownerId, viewer, token)) throw new SharedStrategyNotFoundError();
  if (viewer.userId !== strategy.ownerId && !viewer.moderator) {
    const hidden = await repo.hiddenAmong(db, [{ type: 'user', id: strategy.ownerId }]);
    if (hidden.size > 0) throw new SharedStrategyNotFoundError();
  }
  return { strategy, sharing };
}

/** The caller's own strategy, or 404 (another user's is not revealed). */
export async function ownStrategy(db: Db, userId: string, strategyId: string): Promise<StrategyInfo> {
  const strategy = await findStrategyInfo(db, strategyId);
  if (!strategy || strategy.ownerId !== userId) throw new SharedStrategyNotFoundError();
  return strategy;
}

export type Authors = Map<string, { id: string; username: string }>;

/** Usernames of these users, in one lookup. */
export async function authorsOf(db: Db, ids: Iterable<string>): Promise<Authors> {
  const users = await boardUsers(db, [...new Set(ids)]);
  const authors: Authors = new Map();
  for (const u of users.values()) authors.set(u.id, { id: u.id, username: u.username });
  return authors;
}
