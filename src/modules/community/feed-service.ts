import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { decodeIdCursor, pageById } from '../../platform/http/cursor.ts';
import { authorsOf } from './access.ts';
import { botStandings, botsOfStrategies, notify, strategiesInfo, type BotSummary, type StrategyInfo } from './ports.ts';
import * as repo from './repo.ts';
import type { PageQuery } from './schemas.ts';
import { feedView } from './views.ts';

/*
 * The activity feed: rows written when something happens to a public strategy (its bots shared,
 * a new version, a bot reaching a return milestone), read by whoever follows its author or one of
 * its bots. Rows carry names and numbers, never code. A new version is announced when bots' event
 * about it arrives; new bots and milestones are found by a scan, which also catches any version an
 * event missed. Each strategy's announced version moves on with a conditional update, so two
 * workers never announce one version twice.
 */

/** Total-return milestones (percent) a shared bot's reaching is news. */
export const RETURN_MILESTONES = [10, 25, 50, 100, 200, 500] as const;

/** Announces bots of a public strategy not announced before (feed rows by their author). */
export async function announceSharedBots(tx: Db, strategy: StrategyInfo, bots: readonly BotSummary[]): Promise<number> {
  const fresh = new Set(
    await repo.noteBots(
      tx,
      bots.map((b) => ({ botId: b.id, strategyId: b.strategyId })),
    ),
  );
  const rows = bots
    .filter((b) => fresh.has(b.id))
    .map((b) => ({
      id: uuidv7(),
      actorId: b.ownerId,
      kind: 'bot_shared' as const,
      strategyId: strategy.id,
      botId: b.id,
      data: { botName: b.name, strategyName: strategy.name, botMode: b.mode },
    }));
  await repo.insertFeed(tx, rows);
  return rows.length;
}

/** Announces versions from `from + 1` to the latest, and tells followers of the strategy's bots. */
async function announceVersions(db: Db, strategy: StrategyInfo, from: number, bots: readonly BotSummary[]) {
  return withTransaction(db, async (tx) => {
    if (!(await repo.claimAnnouncement(tx, strategy.id, from, strategy.latestVersion))) return 0;
    const rows = [];
    for (let v = from + 1; v <= strategy.latestVersion; v += 1) {
      rows.push({
        id: uuidv7(),
        actorId: strategy.ownerId,
        kind: 'strategy_version' as const,
        strategyId: strategy.id,
        botId: null,
        data: { strategyName: strategy.name, version: v },
      });
    }
    await repo.insertFeed(tx, rows);
    const followers = await repo.followersOf(
      tx,
      'bot',
      bots.map((b) => b.id),
    );
    for (const userId of followers) {
      if (userId === strategy.ownerId) continue;
      await notify(tx, {
        userId,
        type: 'community.strategy_version',
        title: `New version of ${strategy.name}`,
        body: `${strategy.name} has a new version (${strategy.latestVersion}).`,
        data: { strategyId: strategy.id, version: strategy.latestVersion },
      });
    }
    return rows.length;
  });
}

async function announceMilestones(db: Db, strategies: Map<string, StrategyInfo>, bots: readonly BotSummary[]) {
  if (bots.length === 0) return 0;
  const [standings, reached] = [
    await botStandings(
      db,
      bots.map((b) => b.id),
      'all',
    ),
    await repo.botMilestones(
      db,
      bots.map((b) => b.id),
    ),
  ];
  let written = 0;
  for (const bot of bots) {
    const totalReturn = standings.get(bot.id)?.totalReturn;
    const current = reached.get(bot.id);
    if (totalReturn === null || totalReturn === undefined || current === undefined) continue;
    const pct = totalReturn * 100;
    const milestone = [...RETURN_MILESTONES].reverse().find((m) => pct >= m);
    if (milestone === undefined || milestone <= current) continue;
    const strategy = strategies.get(bot.strategyId);
    written += await withTransaction(db, async (tx) => {
      if (!(await repo.raiseMilestone(tx, bot.id, current, milestone))) return 0;
      await repo.insertFeed(tx, [
        {
          id: uuidv7(),
          actorId: bot.ownerId,
          kind: 'result',
          strategyId: bot.strategyId,
          botId: bot.id,
          data: { botName: bot.name, strategyName: strategy?.name ?? '', milestonePct: milestone, totalReturn },
        },
      ]);
      return 1;
    });
  }
  return written;
}

/** Announces a public strategy's versions not announced yet (on bots' "new version" event). */
export async function announceNewVersions(db: Db, strategyId: string): Promise<number> {
  const sharing = await repo.findSharing(db, strategyId);
  if (!sharing || sharing.visibility !== 'public') return 0;
  const [strategy] = await strategiesInfo(db, [strategyId]);
  if (!strategy || strategy.latestVersion <= sharing.announcedVersion) return 0;
  return announceVersions(db, strategy, sharing.announcedVersion, await botsOfStrategies(db, [strategyId]));
}

/**
 * One pass over public strategies: new versions, newly shared bots and return milestones become
 * feed rows. Returns how many rows it wrote.
 */
export async function scanFeed(db: Db): Promise<number> {
  const sharings = await repo.publicSharings(db);
  if (sharings.length === 0) return 0;
  const strategies = new Map(
    (
      await strategiesInfo(
        db,
        sharings.map((s) => s.strategyId),
      )
    ).map((s) => [s.id, s]),
  );
  const bots = await botsOfStrategies(db, [...strategies.keys()]);
  let written = 0;
  for (const sharing of sharings) {
    const strategy = strategies.get(sharing.strategyId);
    if (!strategy) continue;
    const own = bots.filter((b) => b.strategyId === strategy.id);
    if (strategy.latestVersion > sharing.announcedVersion) {
      written += await announceVersions(db, strategy, sharing.announcedVersion, own);
    }
    written += await withTransaction(db, (tx) => announceSharedBots(tx, strategy, own));
  }
  return written + (await announceMilestones(db, strategies, bots));
}

/** The caller's feed: activity of the authors and bots they follow, newest first. */
export async function listFeed(db: Db, userId: string, q: PageQuery) {
  const rows = await repo.feedRows(db, userId, q.limit + 1, decodeIdCursor(q.cursor));
  const authors = await authorsOf(
    db,
    rows.map((r) => r.actorId),
  );
  return pageById(rows, q.limit, (r) => feedView(r, authors));
}
