import { uuidv7 } from 'uuidv7';
import { withTransaction, type Db } from '../../platform/db/tx.ts';
import { decodeCursor, decodeIdCursor, encodeCursor, pageById } from '../../platform/http/cursor.ts';
import { authorsOf, newLinkToken, ownStrategy, reaches, seesCode, visibleStrategy, type Viewer } from './access.ts';
import { BlockedError, ForkNotAllowedError, InvalidFieldError, SharedStrategyNotFoundError } from './errors.ts';
import { announceSharedBots } from './feed-service.ts';
import {
  botsOfStrategies,
  forkStrategyVersion,
  hasBlocked,
  versionContent,
  versionStamps,
  versionsWithContent,
} from './ports.ts';
import * as repo from './repo.ts';
import { plainText } from './text.ts';
import type { ForkBody, PageQuery, SharingBody, TokenPageQuery } from './schemas.ts';
import { contentView, forkView, sharingView } from './views.ts';

/*
 * Sharing a strategy, reading a shared one and its versions, and forking an open one. A fork copies
 * one version's document or source into a new private strategy of the caller, with its lineage;
 * it never copies money, bots, positions or allocations.
 */

export async function getSharing(db: Db, userId: string, strategyId: string) {
  await ownStrategy(db, userId, strategyId);
  return sharingView(strategyId, await repo.findSharing(db, strategyId));
}

/**
 * Sets how a strategy is shared. Making it public announces its bots to the author's followers;
 * versions that exist by then count as announced, so only later ones reach the feed.
 */
export async function setSharing(db: Db, userId: string, strategyId: string, body: SharingBody) {
  const strategy = await ownStrategy(db, userId, strategyId);
  return withTransaction(db, async (tx) => {
    const before = await repo.findSharing(tx, strategyId);
    const row = await repo.upsertSharing(
      tx,
      {
        strategyId,
        ownerId: userId,
        visibility: body.visibility,
        mode: body.mode,
        ...(body.description !== undefined ? { description: plainText(body.description) } : {}),
        linkToken: newLinkToken(),
        announcedVersion: strategy.latestVersion,
      },
      body.rotateLink === true,
    );
    if (row.visibility === 'public' && before?.visibility !== 'public') {
      await repo.claimAnnouncement(tx, strategyId, row.announcedVersion, strategy.latestVersion);
      await announceSharedBots(tx, strategy, await botsOfStrategies(tx, [strategyId]));
    }
    return sharingView(strategyId, row);
  });
}

export async function getSharedStrategy(db: Db, viewer: Viewer, strategyId: string, token?: string) {
  const { strategy, sharing } = await visibleStrategy(db, viewer, strategyId, token);
  const lineage = await repo.forkInto(db, strategyId);
  const code = seesCode(sharing, strategy.ownerId, viewer)
    ? await versionContent(db, strategyId, strategy.latestVersion)
    : null;
  const authors = await authorsOf(db, lineage ? [strategy.ownerId, lineage.sourceOwnerId] : [strategy.ownerId]);
  // The lineage names its source only while the viewer could reach that source themselves.
  let forkedFrom = null;
  if (lineage) {
    const sourceSharing = await repo.findSharing(db, lineage.sourceStrategyId);
    if (reaches(sourceSharing, lineage.sourceOwnerId, viewer) || viewer.userId === strategy.ownerId) {
      forkedFrom = {
        strategyId: lineage.sourceStrategyId,
        version: lineage.sourceVersion,
        author: authors.get(lineage.sourceOwnerId) ?? null,
        forkedAt: lineage.createdAt.toISOString(),
      };
    }
  }
  const shared = sharingView(strategyId, sharing);
  return {
    id: strategy.id,
    name: strategy.name,
    kind: strategy.kind,
    author: authors.get(strategy.ownerId) ?? null,
    visibility: shared.visibility,
    mode: shared.mode,
    description: shared.description,
    latestVersion: strategy.latestVersion,
    forkedFrom,
    ...(code ? contentView(code) : {}),
    createdAt: strategy.createdAt.toISOString(),
    updatedAt: strategy.updatedAt.toISOString(),
  };
}

const decodeVersionCursor = (cursor: string | undefined) =>
  decodeCursor(cursor, (raw) =>
    Array.isArray(raw) && raw.length === 1 && Number.isInteger(raw[0]) && (raw[0] as number) > 0
      ? (raw[0] as number)
      : undefined,
  );

/** Version history: numbers and dates for everyone who reaches it, the content too where code is visible. */
export async function listVersions(db: Db, viewer: Viewer, strategyId: string, q: TokenPageQuery) {
  const { strategy, sharing } = await visibleStrategy(db, viewer, strategyId, q.token);
  const before = decodeVersionCursor(q.cursor);
  const codeVisible = seesCode(sharing, strategy.ownerId, viewer);
  const rows = codeVisible
    ? (await versionsWithContent(db, strategyId, q.limit + 1, before)).map((v) => ({
        version: v.version,
        createdAt: v.createdAt.toISOString(),
        ...contentView(v),
      }))
    : (await versionStamps(db, strategyId, q.limit + 1, before)).map((v) => ({
        version: v.version,
        createdAt: v.createdAt.toISOString(),
      }));
  const items = rows.slice(0, q.limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.version]) : null,
    codeVisible,
  };
}

/** Forks a version of an open strategy the caller reaches into a new private strategy of theirs. */
export async function forkStrategy(db: Db, userId: string, strategyId: string, body: ForkBody, token?: string) {
  const viewer: Viewer = { userId, moderator: false };
  const { strategy, sharing } = await visibleStrategy(db, viewer, strategyId, token);
  if (!seesCode(sharing, strategy.ownerId, viewer)) throw new ForkNotAllowedError();
  if (strategy.ownerId !== userId && (await hasBlocked(db, strategy.ownerId, userId))) {
    throw new BlockedError('The author of this strategy has blocked you');
  }
  const version = body.version ?? strategy.latestVersion;
  if (version > strategy.latestVersion) {
    throw new InvalidFieldError('body.version', `this strategy has versions 1 to ${strategy.latestVersion}`);
  }
  return withTransaction(db, async (tx) => {
    const copied = await forkStrategyVersion(tx, {
      strategyId,
      version,
      ownerId: userId,
      name: body.name ?? `${strategy.name} (fork)`.slice(0, 100),
    });
    if (!copied) throw new SharedStrategyNotFoundError();
    const fork = await repo.insertFork(tx, {
      id: uuidv7(),
      sourceStrategyId: strategyId,
      sourceVersion: version,
      sourceOwnerId: strategy.ownerId,
      forkedStrategyId: copied.strategy.id,
      forkedBy: userId,
    });
    const authors = await authorsOf(tx, [userId]);
    return {
      fork: forkView(fork, authors),
      strategy: {
        id: copied.strategy.id,
        name: copied.strategy.name,
        kind: copied.strategy.kind,
        latestVersion: copied.strategy.latestVersion,
        ...contentView(copied.content),
      },
    };
  });
}

/** Who forked the caller's strategy, newest first. */
export async function listForks(db: Db, userId: string, strategyId: string, q: PageQuery) {
  await ownStrategy(db, userId, strategyId);
  const rows = await repo.forksOf(db, strategyId, q.limit + 1, decodeIdCursor(q.cursor));
  const authors = await authorsOf(
    db,
    rows.map((r) => r.forkedBy),
  );
  return pageById(rows, q.limit, (r) => forkView(r, authors));
}
