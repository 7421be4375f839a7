import type { Db } from '../../platform/db/tx.ts';
import { decodeCursor, decodeIdCursor, encodeCursor, InvalidCursorError } from '../../platform/http/cursor.ts';
import { authorsOf, seesCode, seesHidden, visibleBot, type Authors, type Viewer } from './access.ts';
import {
  botFillsUntil,
  botStandings,
  botsOfStrategies,
  orderByStanding,
  sharedBotPerformance,
  strategiesInfo,
  versionContent,
  type BotStanding,
  type BotSummary,
  type StrategyInfo,
} from './ports.ts';
import * as repo from './repo.ts';
import type { BotListQuery } from './schemas.ts';
import type { SharingRow } from './tables.ts';
import { contentView, sharingView } from './views.ts';

/*
 * Shared bot pages. The list shows bots of public strategies (unlisted ones only open by link),
 * searched by bot or strategy name, description or author username, sorted newest first, by
 * followers or likes, or by a leaderboard metric; every figure comes from the platform's record.
 */

interface Candidate {
  bot: BotSummary;
  sharing: SharingRow;
  hidden: boolean;
}

function botItem(
  c: Candidate,
  strategy: Pick<StrategyInfo, 'id' | 'name'>,
  authors: Authors,
  likes: Map<string, number>,
  followers: Map<string, number>,
  standing: BotStanding | undefined,
) {
  const shared = sharingView(strategy.id, c.sharing);
  return {
    id: c.bot.id,
    name: c.bot.name,
    author: authors.get(c.bot.ownerId) ?? null,
    strategyId: strategy.id,
    strategyName: strategy.name,
    strategyVersion: c.bot.strategyVersion,
    visibility: shared.visibility,
    mode: shared.mode,
    description: shared.description,
    botMode: c.bot.mode,
    status: c.bot.status,
    likes: likes.get(c.bot.id) ?? 0,
    followers: followers.get(c.bot.id) ?? 0,
    hidden: c.hidden,
    createdAt: c.bot.createdAt.toISOString(),
    standing: standing ?? null,
  };
}

const strategiesById = async (db: Db, ids: Iterable<string>) =>
  new Map((await strategiesInfo(db, [...new Set(ids)])).map((s) => [s.id, s]));

/**
 * Every bot of a public strategy the viewer may see, matching the search: a word of the bot's or
 * strategy's name or description, or part of the author's username.
 */
async function candidates(db: Db, viewer: Viewer, search: string | undefined): Promise<Candidate[]> {
  const sharings = new Map((await repo.publicSharings(db)).map((s) => [s.strategyId, s]));
  if (sharings.size === 0) return [];
  const bots = await botsOfStrategies(db, [...sharings.keys()]);
  const hidden = await repo.hiddenOfTypes(db, ['bot', 'user']);
  const all: Candidate[] = [];
  for (const bot of bots) {
    const sharing = sharings.get(bot.strategyId);
    if (!sharing) continue;
    const isHidden = hidden.has(`bot:${bot.id}`) || hidden.has(`user:${bot.ownerId}`);
    if (isHidden && !seesHidden(viewer, bot.ownerId)) continue;
    all.push({ bot, sharing, hidden: isHidden });
  }
  if (!search) return all;
  const needle = search.toLowerCase();
  const strategies = await strategiesById(
    db,
    all.map((c) => c.bot.strategyId),
  );
  const authors = await authorsOf(
    db,
    all.map((c) => c.bot.ownerId),
  );
  return all.filter(
    (c) =>
      c.bot.name.toLowerCase().includes(needle) ||
      (strategies.get(c.bot.strategyId)?.name.toLowerCase().includes(needle) ?? false) ||
      c.sharing.description.toLowerCase().includes(needle) ||
      (authors.get(c.bot.ownerId)?.username.toLowerCase().includes(needle) ?? false),
  );
}

const decodeCountCursor = (cursor: string | undefined) =>
  decodeCursor(cursor, (raw) =>
    Array.isArray(raw) &&
    raw.length === 2 &&
    Number.isInteger(raw[0]) &&
    typeof raw[1] === 'string' &&
    /^[0-9a-f-]{36}$/.test(raw[1])
      ? { n: raw[0] as number, id: raw[1] }
      : undefined,
  );

/** Orders candidates for the sort and returns one page of them and the cursor of the next. */
async function page(db: Db, all: Candidate[], q: BotListQuery) {
  const ids = all.map((c) => c.bot.id);
  const byId = new Map(all.map((c) => [c.bot.id, c]));
  let ordered: Candidate[];
  let cursorOf: (c: Candidate) => string;
  if (q.sort === 'newest') {
    const before = decodeIdCursor(q.cursor);
    ordered = [...all].sort((a, b) => (a.bot.id < b.bot.id ? 1 : -1)).filter((c) => !before || c.bot.id < before);
    cursorOf = (c) => encodeCursor([c.bot.id]);
  } else if (q.sort === 'likes' || q.sort === 'followers') {
    const counts = q.sort === 'likes' ? await repo.likeCounts(db, ids) : await repo.followerCounts(db, 'bot', ids);
    const n = (c: Candidate) => counts.get(c.bot.id) ?? 0;
    const after = decodeCountCursor(q.cursor);
    ordered = [...all]
      .sort((a, b) => n(b) - n(a) || (a.bot.id < b.bot.id ? 1 : -1))
      .filter((c) => !after || n(c) < after.n || (n(c) === after.n && c.bot.id < after.id));
    cursorOf = (c) => encodeCursor([n(c), c.bot.id]);
  } else {
    // Board order is deterministic (rank, then trades, then id); a cursor holds the last id shown.
    const ranked = await orderByStanding(db, ids, q.sort, q.period);
    let start = 0;
    const after = decodeIdCursor(q.cursor);
    if (after) {
      const at = ranked.indexOf(after);
      if (at < 0) throw new InvalidCursorError('names a bot that is no longer in this list');
      start = at + 1;
    }
    ordered = ranked.slice(start).flatMap((id) => byId.get(id) ?? []);
    cursorOf = (c) => encodeCursor([c.bot.id]);
  }
  const items = ordered.slice(0, q.limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: ordered.length > q.limit && last ? cursorOf(last) : null,
  };
}

export async function listSharedBots(db: Db, viewer: Viewer, q: BotListQuery) {
  const all = await candidates(db, viewer, q.q);
  const { items, nextCursor } = await page(db, all, q);
  const ids = items.map((c) => c.bot.id);
  // Counts of the page only: the sorts by count read their own.
  const likes = await repo.likeCounts(db, ids);
  const followers = await repo.followerCounts(db, 'bot', ids);
  const strategies = await strategiesById(
    db,
    items.map((c) => c.bot.strategyId),
  );
  const authors = await authorsOf(
    db,
    items.map((c) => c.bot.ownerId),
  );
  const standings = await botStandings(db, ids, q.period);
  return {
    items: items.flatMap((c) => {
      const strategy = strategies.get(c.bot.strategyId);
      return strategy ? [botItem(c, strategy, authors, likes, followers, standings.get(c.bot.id))] : [];
    }),
    nextCursor,
  };
}

/**
 * A shared bot's page: its author, sharing, the platform's performance report, recent trades and,
 * for an open strategy, the code of the version it runs. A live bot's trades and equity show only
 * up to `delayMinutes` ago to anyone but its owner, so nobody can trade ahead of it.
 */
export async function getSharedBot(
  db: Db,
  viewer: Viewer,
  botId: string,
  opts: { token?: string | undefined; delayMinutes: number; now?: number },
) {
  const found = await visibleBot(db, viewer, botId, opts.token);
  const { bot, strategy, sharing } = found;
  const now = opts.now ?? Date.now();
  const delayed = bot.mode === 'live' && viewer.userId !== bot.ownerId;
  const cutoff = delayed ? now - opts.delayMinutes * 60_000 : now;
  const performance = await sharedBotPerformance(db, bot.id);
  const trades = await botFillsUntil(db, bot.id, new Date(cutoff), 20);
  const code = seesCode(sharing, bot.ownerId, viewer)
    ? await versionContent(db, strategy.id, bot.strategyVersion)
    : null;
  const [authors, likes, followers, standings] = [
    await authorsOf(db, [bot.ownerId]),
    await repo.likeCounts(db, [bot.id]),
    await repo.followerCounts(db, 'bot', [bot.id]),
    await botStandings(db, [bot.id], '30d'),
  ];
  const me = viewer.userId;
  const candidate = { bot, sharing: sharing ?? privateSharing(strategy), hidden: found.hidden };
  const item = botItem(candidate, strategy, authors, likes, followers, standings.get(bot.id));
  return {
    ...item,
    likedByMe: me ? await repo.hasLiked(db, bot.id, me) : false,
    followedByMe: me ? await repo.isFollowing(db, me, 'bot', bot.id) : false,
    performance: {
      equity: performance.equity.filter((p) => Date.parse(p.t) <= cutoff),
      roundTrips: performance.trades.filter((t) => Date.parse(t.exitAt) <= cutoff),
      metrics: performance.metrics,
    },
    recentTrades: trades,
    tradesDelayedUntil: delayed ? new Date(cutoff).toISOString() : null,
    code: code ? { version: code.version, ...contentView(code) } : null,
  };
}

/** What an unshared strategy looks like to its owner (the only one who reaches it). */
function privateSharing(strategy: StrategyInfo): SharingRow {
  return {
    strategyId: strategy.id,
    ownerId: strategy.ownerId,
    visibility: 'private',
    mode: 'protected',
    description: '',
    linkToken: '',
    announcedVersion: 0,
    createdAt: strategy.createdAt,
    updatedAt: strategy.updatedAt,
  };
}
