import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import client from 'prom-client';
import { scopedCache, type Cache } from '../../platform/cache/cache.ts';
import { databaseName, type Db } from '../../platform/db/tx.ts';
import type { DomainEvent } from '../../platform/events/outbox.ts';
import type { Metrics } from '../../platform/metrics/metrics.ts';
import { readThrough } from '../../platform/cache/read-through.ts';

/*
 * Cached market data reads. Every read of a variant (book, first trades page, ticker, candles) is
 * stored under that variant's key prefix, the tickers list under its own; both are dropped when
 * the exchange reports a change of the variant (`market.changed`, recorded in the same transaction
 * as every book change and trade and delivered by the outbox after commit).
 *
 * Staleness bound: a committed change is visible once its event is delivered (the dispatcher is
 * nudged on commit and polls every OUTBOX_POLL_MS), and in every case after the TTL
 * (MARKET_DATA_CACHE_TTL_MS, a few seconds): the TTL also covers a read that loaded the old state
 * just before the change and stored it just after the invalidation, the 24 h window sliding on
 * without a trade, and processes that keep an in-memory cache without a shared Redis.
 */

const ROOT = 'market:data:';
const TICKERS = `${ROOT}tickers:`;
const variantPrefix = (variantId: string) => `${ROOT}v:${variantId.toLowerCase()}:`;

/** Cache keys of the market data reads. `variantId` is the card variant (the book's cardId). */
export const marketDataKeys = {
  book: (variantId: string, levels: number) => `${variantPrefix(variantId)}book:${levels}`,
  firstTrades: (variantId: string, limit: number) => `${variantPrefix(variantId)}trades:${limit}`,
  ticker: (variantId: string) => `${variantPrefix(variantId)}ticker`,
  /** By the series' first bucket and length: ranges that cover the same buckets share one entry. */
  candles: (variantId: string, interval: string, firstBucket: number, buckets: number) =>
    `${variantPrefix(variantId)}candles:${interval}:${firstBucket}:${buckets}`,
  tickers: (limit: number, variantIds: readonly string[] | undefined) => {
    const ids = variantIds === undefined ? '*' : [...new Set(variantIds.map((v) => v.toLowerCase()))].sort().join(',');
    return `${TICKERS}${limit}:${createHash('sha256').update(ids).digest('base64url')}`;
  },
};

/** The market's view of the shared cache, scoped to this database (tests share one Redis). */
export async function marketDataStore(cache: Cache, db: Db): Promise<Cache> {
  return scopedCache(cache, `market:${await databaseName(db)}:`);
}

/** Drops every cached read of a variant and every cached tickers list. */
export async function invalidateVariant(cache: Cache, variantId: string): Promise<void> {
  await Promise.all([cache.deletePrefix(variantPrefix(variantId)), cache.deletePrefix(TICKERS)]);
}

/** The `market.changed` handler: the changed variant's cached reads are stale. */
export function invalidateOnChange(cache: Cache) {
  return async (event: DomainEvent): Promise<void> => {
    const { variantId } = event.payload as { variantId?: unknown };
    if (typeof variantId !== 'string') return;
    await invalidateVariant(cache, variantId);
  };
}

/** Read-through cache of JSON market data replies, counting hits and misses. */
export class MarketDataCache {
  private readonly lookups: client.Counter<'result'>;

  constructor(
    private readonly cache: Cache,
    private readonly ttlMs: number,
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    const name = 'market_data_cache_lookups_total';
    const existing = metrics.registry.getSingleMetric(name) as client.Counter<'result'> | undefined;
    this.lookups =
      existing ??
      new client.Counter({
        name,
        help: 'Market data reads served from the cache (hit) or the database (miss)',
        labelNames: ['result'],
        registers: [metrics.registry],
      });
  }

  /** The cached JSON text of `key`, or of `load()`'s value (which must be what the reply schema describes). */
  readJson(key: string, load: () => Promise<unknown>): Promise<string> {
    return this.read(key, async () => JSON.stringify(await load()));
  }

  /** The cached value of `key`, or `load()`'s, stored for the TTL. A cache outage falls back to the database. */
  read<T>(key: string, load: () => Promise<T>): Promise<T> {
    return readThrough(this.cache, key, load, {
      ttlMs: this.ttlMs,
      onLookup: (result) => this.lookups.inc({ result }),
      onError: (err, operation) => this.logger.warn({ err, key }, `market data cache ${operation} failed`),
    });
  }
}
