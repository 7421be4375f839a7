import { decodeCursor, encodeCursor, UUID_PATTERN } from '../../platform/http/cursor.ts';
import { withRetryableTransaction, withTransaction, type Db } from '../../platform/db/tx.ts';
import { CATALOGUE, KNOWN_FACT_TYPES, FACT_TYPES, type CatalogueEntry } from './catalogue.ts';
import {
  AchievementExistsError,
  AchievementNotFoundError,
  AlreadyCheckedInError,
  NotClaimableError,
  RewardsInputError,
} from './errors.ts';
import { utcDay, type FactInput } from './facts.ts';
import { achievementSource, checkinSource, payoutId } from './ids.ts';
import {
  COIN,
  POINTS,
  assetRanking,
  balances,
  boardUsers,
  ensureWallet,
  systemShard,
  transfer,
  walletAccountId,
  type Leg,
} from './ports.ts';
import * as repo from './repo.ts';
import { parseRule } from './rules.ts';
import type { AchievementRow, RewardSpec } from './tables.ts';
import { appendAudit, type RequestOrigin } from '../../platform/audit/index.ts';

/** Points a check-in pays: a base, plus a bonus growing with the streak up to its 7th day. */
export const checkinPoints = (streak: number) => BigInt(10 + 5 * Math.min(Math.max(streak, 1) - 1, 6));

/**
 * Pays `reward` from the rewards account with a transfer id derived from (user, source): the
 * ledger refuses a second transfer with that id, so a payment can never happen twice.
 */
async function payReward(tx: Db, userId: string, source: string, reward: RewardSpec, at: Date): Promise<string | null> {
  const points = BigInt(reward.points ?? 0);
  const coins = BigInt(reward.coins ?? 0);
  const from = systemShard('rewards', userId);
  const to = walletAccountId(userId);
  const legs: Leg[] = [];
  if (points > 0n) legs.push({ from, to, asset: POINTS, amount: points });
  if (coins > 0n) legs.push({ from, to, asset: COIN, amount: coins });
  if (legs.length === 0) return null;
  const id = payoutId(userId, source);
  await ensureWallet(tx, userId);
  await transfer(tx, { id, kind: 'rewards.payout', reference: source, memo: source, legs });
  await repo.insertPayout(tx, { transferId: id, userId, source, points, coins, createdAt: at });
  return id;
}

async function payAchievement(tx: Db, userId: string, a: AchievementRow, at: Date): Promise<void> {
  // The conditional update settles who pays; the derived transfer id backs it in the ledger.
  if (!(await repo.markPaidOnce(tx, userId, a.code, null, at))) return;
  const transferId = await payReward(tx, userId, achievementSource(a.code), a.reward, at);
  if (transferId) await repo.markPaid(tx, userId, a.code, transferId);
}

/**
 * Re-measures `achievements` for one user over their stored facts and completes (and, for
 * automatic ones, pays) those whose rule is now met. The caller holds the user's rewards lock.
 */
async function evaluate(tx: Db, userId: string, achievements: readonly AchievementRow[], at: Date) {
  const completed: string[] = [];
  // Settled achievements (completed, and paid or waiting for a claim) cannot change any more.
  const rows = await repo.progressRows(
    tx,
    userId,
    achievements.map((a) => a.code),
  );
  const settled = new Set(rows.filter((p) => p.completedAt && p.paidAt).map((p) => p.code));
  const done = new Set(rows.filter((p) => p.completedAt).map((p) => p.code));
  for (const a of achievements) {
    if (settled.has(a.code) || (a.payout === 'claim' && done.has(a.code))) continue;
    const rule = parseRule(a.rule);
    const value = await repo.measureFor(tx, userId, rule);
    if (value === 0) continue;
    await repo.saveProgress(tx, userId, a.code, Math.min(value, rule.threshold));
    if (value < rule.threshold) continue;
    if (await repo.completeOnce(tx, userId, a.code, at)) completed.push(a.code);
    if (a.payout === 'auto') await payAchievement(tx, userId, a, at);
  }
  return completed;
}

/**
 * Records facts (from one domain event) and re-evaluates the achievements they can move: one
 * transaction per user, holding that user's rewards lock, so parallel deliveries see each other's
 * facts, and a transaction pays one user only (two users' payouts in one transaction could lock
 * the rewards account's shards in opposite orders). Facts are a set keyed by (user, event, type):
 * a redelivered, duplicated or reordered event, or a retry after a partial failure, changes nothing
 * it should not.
 */
export async function recordFacts(db: Db, facts: readonly FactInput[], now = new Date()): Promise<string[]> {
  const completed: string[] = [];
  for (const userId of [...new Set(facts.map((f) => f.userId))].sort()) {
    const mine = facts.filter((f) => f.userId === userId);
    const codes = await withRetryableTransaction(db, async (tx) => {
      await repo.lockUser(tx, userId);
      const added = await repo.insertFacts(tx, mine);
      if (added.length === 0) return [];
      const achievements = await repo.achievementsForTypes(tx, [...new Set(added.map((f) => f.type))]);
      return evaluate(tx, userId, achievements, now);
    });
    for (const code of codes) completed.push(`${userId}:${code}`);
  }
  return completed;
}

/** Claims the reward of a completed achievement that pays on claim. */
export async function claim(db: Db, userId: string, code: string, now = new Date()) {
  return withTransaction(db, async (tx) => {
    await repo.lockUser(tx, userId);
    const a = await repo.findAchievement(tx, code);
    if (!a) throw new AchievementNotFoundError();
    const p = await repo.findProgress(tx, userId, code);
    if (!p?.completedAt) throw new NotClaimableError('not_completed');
    if (a.payout !== 'claim') throw new NotClaimableError('automatic');
    if (p.paidAt) throw new NotClaimableError('already_claimed');
    await payAchievement(tx, userId, a, now);
    return achievementView(a, await repo.findProgress(tx, userId, code));
  });
}

/** Today's check-in: extends the streak when yesterday had one, pays points, counts toward streak badges. */
export async function checkin(db: Db, userId: string, now = new Date()) {
  return withTransaction(db, async (tx) => {
    await repo.lockUser(tx, userId);
    const day = utcDay(now);
    if (await repo.findCheckin(tx, userId, day)) throw new AlreadyCheckedInError(day);
    const last = await repo.lastCheckin(tx, userId);
    const yesterday = utcDay(new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000));
    const streak = last?.day === yesterday ? last.streak + 1 : 1;
    const points = checkinPoints(streak);
    await repo.insertCheckin(tx, { userId, day, streak, points });
    const transferId = await payReward(tx, userId, checkinSource(day), { points: Number(points) }, now);
    const fact: FactInput = { userId, eventId: `checkin:${day}`, type: FACT_TYPES.checkin, attrs: {}, occurredAt: now };
    const added = await repo.insertFacts(tx, [fact]);
    const completed =
      added.length > 0 ? await evaluate(tx, userId, await repo.achievementsForTypes(tx, [fact.type]), now) : [];
    return { day, streak, points, transferId, completed, nextPoints: checkinPoints(streak + 1) };
  });
}

/**
 * Evaluates one achievement over every user with facts of its type: those who already qualify
 * complete it (and are paid, when it pays automatically) exactly as live evaluation would have.
 * Measures are computed a batch of users per statement; only qualifying users take their lock and
 * go through the same evaluation as a live event.
 */
export async function backfillAchievement(db: Db, code: string, now = new Date(), batch = 500) {
  const a = await repo.findAchievement(db, code);
  if (!a) throw new AchievementNotFoundError();
  const rule = parseRule(a.rule);
  let after: string | null = null;
  let evaluated = 0;
  let completed = 0;
  for (;;) {
    const users = await repo.usersWithFacts(db, rule.type, after, batch);
    const measures = await repo.measureAll(db, users, rule);
    const capped = new Map([...measures].filter(([, v]) => v > 0).map(([u, v]) => [u, Math.min(v, rule.threshold)]));
    await repo.saveProgressMany(db, code, capped);
    for (const [u, v] of measures) {
      if (v < rule.threshold) continue;
      completed += (
        await withRetryableTransaction(db, async (tx) => {
          await repo.lockUser(tx, u);
          return evaluate(tx, u, [a], now);
        })
      ).length;
    }
    evaluated += users.length;
    after = users.at(-1) ?? null;
    if (users.length < batch) break;
  }
  await repo.markBackfilled(db, code, rule);
  return { code, evaluated, completed };
}

/** Backfills every entry whose current rule has not been evaluated over the history yet. */
export async function backfillPending(db: Db, now = new Date()) {
  const results = [];
  for (const a of await repo.achievementsToBackfill(db)) results.push(await backfillAchievement(db, a.code, now));
  return results;
}

/** Adds the product catalogue's missing entries (new ones are then backfilled by `backfillPending`). */
export async function syncCatalogue(db: Db, entries: readonly CatalogueEntry[] = CATALOGUE): Promise<string[]> {
  for (const e of entries) parseRule(e.rule);
  return repo.insertMissingAchievements(db, entries);
}

/**
 * An operator adds an achievement: validated, stored with its audit row, then awarded to everyone who
 * already qualifies.
 */
export async function createAchievement(
  db: Db,
  entry: CatalogueEntry,
  now = new Date(),
  actor?: { userId: string; origin: RequestOrigin },
) {
  if (!KNOWN_FACT_TYPES.has(entry.rule.type)) {
    throw new RewardsInputError('rule.type', `must be one of: ${[...KNOWN_FACT_TYPES].join(', ')}`);
  }
  const row = await withTransaction(db, async (tx) => {
    const inserted = await repo.insertAchievement(tx, { ...entry, position: (await repo.maxPosition(tx)) + 1 });
    if (inserted && actor) {
      await appendAudit(tx, {
        actor: { type: 'user', id: actor.userId },
        action: 'admin.rewards.achievement_added',
        target: { type: 'achievement', id: entry.code },
        origin: actor.origin,
        details: { rule: entry.rule, reward: entry.reward, payout: entry.payout },
      });
    }
    return inserted;
  });
  if (!row) throw new AchievementExistsError(entry.code);
  const backfill = await backfillAchievement(db, entry.code, now);
  return { achievement: catalogueView(row), backfill };
}

export const catalogueView = (a: AchievementRow) => ({
  code: a.code,
  name: a.name,
  description: a.description,
  rule: parseRule(a.rule),
  reward: { points: a.reward.points ?? 0, coins: a.reward.coins ?? 0 },
  payout: a.payout,
});

type ProgressRow = Awaited<ReturnType<typeof repo.findProgress>>;

function achievementView(a: AchievementRow, p: ProgressRow) {
  const rule = parseRule(a.rule);
  return {
    ...catalogueView(a),
    progress: p?.progress ?? 0,
    threshold: rule.threshold,
    completedAt: p?.completedAt?.toISOString() ?? null,
    paidAt: p?.paidAt?.toISOString() ?? null,
    claimable: Boolean(p?.completedAt && !p.paidAt && a.payout === 'claim'),
  };
}

/** The whole catalogue, each entry with whether (and when) the user earned its badge. */
export async function badges(db: Db, userId: string) {
  const rows = await repo.progressOf(db, userId);
  return {
    items: rows.map((r) => ({
      ...catalogueView(r.achievement),
      earnedAt: r.progress?.completedAt?.toISOString() ?? null,
    })),
  };
}

export async function achievements(db: Db, userId: string) {
  const rows = await repo.progressOf(db, userId);
  return { items: rows.map((r) => achievementView(r.achievement, r.progress ?? undefined)) };
}

function decodePayoutCursor(cursor: string | undefined) {
  return decodeCursor(cursor, (raw) => {
    if (!Array.isArray(raw) || raw.length !== 2) return undefined;
    const [at, id] = raw as unknown[];
    if (typeof at !== 'string' || typeof id !== 'string' || !UUID_PATTERN.test(id)) return undefined;
    const d = new Date(at);
    return Number.isNaN(d.getTime()) ? undefined : { at: d, id };
  });
}

/** The user's points balance and a page of what the rewards account paid them, newest first. */
export async function points(db: Db, userId: string, q: { limit: number; cursor?: string | undefined }) {
  const after = decodePayoutCursor(q.cursor);
  const [[balance], rows] = await Promise.all([
    balances(db, walletAccountId(userId), POINTS),
    repo.payoutsOf(db, userId, q.limit + 1, after),
  ]);
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    balance: Number(balance?.total ?? 0n),
    items: page.map((r) => ({
      transferId: r.transferId,
      source: r.source,
      points: Number(r.points),
      coins: Number(r.coins),
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor([last.createdAt.toISOString(), last.transferId]) : null,
  };
}

function decodeRankCursor(cursor: string | undefined) {
  return decodeCursor(cursor, (raw) => {
    if (!Array.isArray(raw) || raw.length !== 3) return undefined;
    const [total, id, position] = raw as unknown[];
    if (typeof total !== 'string' || !/^\d{1,19}$/.test(total) || typeof id !== 'string' || !UUID_PATTERN.test(id)) {
      return undefined;
    }
    if (typeof position !== 'number' || !Number.isSafeInteger(position) || position < 1) return undefined;
    return { total: BigInt(total), accountId: id, position };
  });
}

/**
 * Users ranked by points held (most first, equal holdings by user id), cursor-paged; positions
 * continue across pages.
 */
export async function leaderboard(db: Db, q: { limit: number; cursor?: string | undefined }) {
  const after = decodeRankCursor(q.cursor);
  const rows = await assetRanking(db, POINTS, { limit: q.limit + 1, after });
  const page = rows.slice(0, q.limit);
  const users = await boardUsers(
    db,
    page.map((r) => r.accountId),
  );
  const start = after?.position ?? 0;
  const items = page.map((r, i) => ({
    rank: start + i + 1,
    userId: r.accountId,
    username: users.get(r.accountId)?.username ?? null,
    points: Number(r.total),
  }));
  const last = page.at(-1);
  return {
    items,
    nextCursor:
      rows.length > q.limit && last ? encodeCursor([last.total.toString(), last.accountId, start + page.length]) : null,
  };
}
