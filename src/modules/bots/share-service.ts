import { uuidv7 } from 'uuidv7';
import type { Db } from '../../platform/db/tx.ts';
import { botPerformance } from './bot-service.ts';
import * as repo from './repo.ts';
import type { StrategyRow } from './tables.ts';

/*
 * What the community module may know about strategies and bots, read-only, plus the one write it
 * needs: a fork, which copies one strategy version into a new strategy of another user. Nothing
 * here moves money, starts bots or copies positions; who may see what is the community's rule.
 */

export interface StrategyInfo {
  id: string;
  ownerId: string;
  name: string;
  kind: 'rules' | 'code';
  latestVersion: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface VersionContent {
  version: number;
  createdAt: Date;
  document: unknown;
  source: string | null;
}

export interface BotSummary {
  id: string;
  ownerId: string;
  name: string;
  strategyId: string;
  strategyVersion: number;
  mode: 'paper' | 'live';
  status: 'stopped' | 'running' | 'paused';
  createdAt: Date;
}

const info = (row: StrategyRow): StrategyInfo => ({
  id: row.id,
  ownerId: row.ownerId,
  name: row.name,
  kind: row.kind,
  latestVersion: row.latestVersion,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export async function findStrategyInfo(db: Db, id: string): Promise<StrategyInfo | null> {
  const row = await repo.findStrategy(db, id);
  return row ? info(row) : null;
}

export async function strategiesInfo(db: Db, ids: readonly string[]): Promise<StrategyInfo[]> {
  return (await repo.strategiesByIds(db, ids)).map(info);
}

/** Version numbers and times, newest first (no content). */
export function versionStamps(db: Db, strategyId: string, limit: number, beforeVersion?: number) {
  return repo.strategyVersionStamps(db, strategyId, limit, beforeVersion);
}

/** Versions with their rules document or source, newest first. */
export async function versionsWithContent(
  db: Db,
  strategyId: string,
  limit: number,
  beforeVersion?: number,
): Promise<VersionContent[]> {
  const rows = await repo.strategyVersionsWithContent(db, strategyId, limit, beforeVersion);
  return rows.map((r) => ({ version: r.version, createdAt: r.createdAt, document: r.document, source: r.source }));
}

export async function versionContent(db: Db, strategyId: string, version: number): Promise<VersionContent | null> {
  const row = await repo.strategyVersion(db, strategyId, version);
  return row ? { version: row.version, createdAt: row.createdAt, document: row.document, source: row.source } : null;
}

/**
 * Copies version `version` of strategy `strategyId` into a new strategy of `ownerId` (its version 1),
 * inside the caller's transaction. Returns null when that version does not exist.
 */
export async function forkStrategyVersion(
  db: Db,
  input: { strategyId: string; version: number; ownerId: string; name: string },
): Promise<{ strategy: StrategyInfo; content: VersionContent } | null> {
  const source = await repo.findStrategy(db, input.strategyId);
  const version = source && (await repo.strategyVersion(db, input.strategyId, input.version));
  if (!source || !version) return null;
  const created = await repo.insertStrategy(
    db,
    { id: uuidv7(), ownerId: input.ownerId, name: input.name, kind: source.kind, latestVersion: 1 },
    { document: version.document, source: version.source },
  );
  return {
    strategy: info(created),
    content: { version: 1, createdAt: created.createdAt, document: version.document, source: version.source },
  };
}

export function botsOfStrategies(db: Db, strategyIds: readonly string[]): Promise<BotSummary[]> {
  return repo.botSummariesOfStrategies(db, strategyIds);
}

export function findBotSummary(db: Db, id: string): Promise<BotSummary | null> {
  return repo.botSummary(db, id);
}

/** A user's bots, newest first (demo data). */
export async function botsOwnedBy(db: Db, ownerId: string, limit = 100): Promise<BotSummary[]> {
  return (await repo.botsOf(db, ownerId, limit)).map((b) => ({
    id: b.id,
    ownerId: b.ownerId,
    name: b.name,
    strategyId: b.strategyId,
    strategyVersion: b.strategyVersion,
    mode: b.mode,
    status: b.status,
    createdAt: b.createdAt,
  }));
}

/** The platform's performance report of a bot (equity curve, round trips, metrics). */
export function sharedBotPerformance(db: Db, botId: string) {
  return botPerformance(db, { userId: '', any: true }, botId);
}

/** A bot's latest fills made at or before `until`, newest first. */
export async function botFillsUntil(db: Db, botId: string, until: Date, limit: number) {
  return (await repo.fillsUntil(db, botId, until, limit)).map((f) => ({
    variantId: f.variantId,
    side: f.side,
    price: Number(f.price),
    quantity: Number(f.quantity),
    fee: Number(f.fee),
    at: f.at.toISOString(),
  }));
}
