import { LRUCache } from 'lru-cache';
import type { Db } from '../../platform/db/tx.ts';
import * as repo from './repo.ts';
import type { Sandbox } from './sandbox/sandbox.ts';
import type { Strategy } from './strategy.ts';
import { loadStrategy } from './strategy-service.ts';

/**
 * Runnable strategies by version, kept between ticks: versions never change, so a compiled one
 * stays valid until it is evicted (a code strategy's sandbox context is freed then).
 */
export class StrategyCache {
  private readonly cache: LRUCache<string, Promise<Strategy>>;

  constructor(
    private readonly db: Db,
    private readonly sandbox: Sandbox,
    max = 2000,
  ) {
    this.cache = new LRUCache({
      max,
      dispose: (strategy) => {
        void strategy.then((s) => s.close?.()).catch(() => undefined);
      },
    });
  }

  get(strategyId: string, version: number): Promise<Strategy> {
    const key = `${strategyId}@${version}`;
    let found = this.cache.get(key);
    if (!found) {
      found = this.load(strategyId, version);
      found.catch(() => this.cache.delete(key));
      this.cache.set(key, found);
    }
    return found;
  }

  private async load(strategyId: string, version: number): Promise<Strategy> {
    const row = await repo.strategyVersion(this.db, strategyId, version);
    if (!row) throw new Error(`strategy ${strategyId} has no version ${version}`);
    return loadStrategy(this.sandbox, row);
  }

  clear(): void {
    this.cache.clear();
  }
}
