import type { Redis } from 'ioredis';
import type { Db } from '../../platform/db/tx.ts';
import type { BoardPeriod } from './contract.ts';
import * as repo from './repo.ts';
import type { RankKey } from './repo.ts';
import type { BoardKind, EntryRow } from './tables.ts';

/*
 * Each unfiltered board mirrored into Redis after the job writes it: a sorted set per ordering
 * (member: subject id, score: its stored rank), a hash of the rows themselves and a hash of each
 * owner's best rank. Reads page the sorted set by score, so Redis and the database answer with the
 * same rows in the same order. A board whose mirror was never built is read from the database.
 */

export const BOT_KEYS: RankKey[] = ['return', 'sharpe', 'maxDrawdown', 'profitFactor'];
export const keysOf = (board: BoardKind): RankKey[] =>
  board === 'traders' || board === 'collectors' ? ['amount'] : BOT_KEYS;

type StoredRow = Omit<EntryRow, 'amount' | 'computedAt'> & { amount: string | null; computedAt: string };

const toJson = (r: EntryRow): string =>
  JSON.stringify({
    ...r,
    amount: r.amount === null ? null : r.amount.toString(),
    computedAt: r.computedAt.toISOString(),
  });

function fromJson(text: string): EntryRow {
  const r = JSON.parse(text) as StoredRow;
  return { ...r, amount: r.amount === null ? null : BigInt(r.amount), computedAt: new Date(r.computedAt) };
}

export class BoardMirror {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private base = (board: BoardKind, period: BoardPeriod) => `${this.prefix}${board}:${period}`;
  private rowsKey = (board: BoardKind, period: BoardPeriod) => `${this.base(board, period)}:rows`;
  private rankKey = (board: BoardKind, period: BoardPeriod, key: RankKey) => `${this.base(board, period)}:${key}`;
  private ownersKey = (board: BoardKind, period: BoardPeriod, key: RankKey) =>
    `${this.base(board, period)}:${key}:owners`;
  private builtKey = (board: BoardKind, period: BoardPeriod) => `${this.base(board, period)}:built`;

  /** Replaces the mirror of one board and period with the database's ranked rows, atomically. */
  async write(db: Db, board: BoardKind, period: BoardPeriod): Promise<void> {
    const rows = new Map<string, EntryRow>();
    const orders: { key: RankKey; ranked: EntryRow[] }[] = [];
    for (const key of keysOf(board)) {
      const ranked = await repo.rankedRows(db, board, period, key);
      for (const r of ranked) rows.set(r.subjectId, r);
      orders.push({ key, ranked });
    }
    const tmp = (k: string) => `${k}:next`;
    const tx = this.redis.multi();
    const rowsKey = this.rowsKey(board, period);
    tx.del(tmp(rowsKey));
    if (rows.size > 0) tx.hset(tmp(rowsKey), Object.fromEntries([...rows].map(([id, r]) => [id, toJson(r)])));
    for (const { key, ranked } of orders) {
      const rankKey = this.rankKey(board, period, key);
      const ownersKey = this.ownersKey(board, period, key);
      tx.del(tmp(rankKey), tmp(ownersKey));
      const rank = (r: EntryRow) => rankOf(r, key) as number;
      if (ranked.length > 0) {
        tx.zadd(tmp(rankKey), ...ranked.flatMap((r) => [rank(r), r.subjectId]));
        const best = new Map<string, number>();
        for (const r of ranked) if (!best.has(r.ownerId)) best.set(r.ownerId, rank(r));
        tx.hset(tmp(ownersKey), Object.fromEntries(best));
        tx.rename(tmp(rankKey), rankKey);
        tx.rename(tmp(ownersKey), ownersKey);
      } else {
        tx.del(rankKey, ownersKey);
      }
    }
    if (rows.size > 0) tx.rename(tmp(rowsKey), rowsKey);
    else tx.del(rowsKey);
    tx.set(this.builtKey(board, period), '1');
    await tx.exec();
  }

  /** Ranked rows after `afterRank` in rank order, or null when this board has no mirror yet. */
  async page(board: BoardKind, period: BoardPeriod, key: RankKey, afterRank: number, limit: number) {
    const [built, ids] = await Promise.all([
      this.redis.exists(this.builtKey(board, period)),
      this.redis.zrangebyscore(this.rankKey(board, period, key), `(${afterRank}`, '+inf', 'LIMIT', 0, limit),
    ]);
    if (!built) return null;
    if (ids.length === 0) return [];
    const texts = await this.redis.hmget(this.rowsKey(board, period), ...ids);
    return texts.filter((t): t is string => t !== null).map(fromJson);
  }

  /** The owner's best stored rank (null: none), or undefined when this board has no mirror yet. */
  async ownBest(board: BoardKind, period: BoardPeriod, key: RankKey, ownerId: string) {
    const [built, best] = await Promise.all([
      this.redis.exists(this.builtKey(board, period)),
      this.redis.hget(this.ownersKey(board, period, key), ownerId),
    ]);
    if (!built) return undefined;
    return best === null ? null : Number(best);
  }

  /** Drops every key of this mirror (tests and full resets). */
  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** A row's stored rank for an ordering. */
export function rankOf(r: EntryRow, key: RankKey): number | null {
  switch (key) {
    case 'return':
      return r.rankReturn;
    case 'sharpe':
      return r.rankSharpe;
    case 'maxDrawdown':
      return r.rankMaxDrawdown;
    case 'profitFactor':
      return r.rankProfitFactor;
    case 'amount':
      return r.rankAmount;
  }
}
