// Test support of the bots module: an app, a card with recorded candles, funded users, deps.
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { QUIET_ENV, bearer } from '../helpers/http.ts';
import type { CreatedTestUser } from '../helpers/users.ts';
import type { Db } from '../../src/platform/db/tx.ts';
import { createVariant, giveCards, grantCoins } from './market.ts';
import type { RunnerDeps } from '../../src/modules/bots/runner.ts';
import { createSandbox, type Sandbox } from '../../src/modules/bots/sandbox/sandbox.ts';
import type { Candle } from '../../src/modules/bots/strategy.ts';
import { StrategyCache } from '../../src/modules/bots/strategy-cache.ts';

export { grantCoins };
export const auth = (u: CreatedTestUser) => bearer(u.token);

export function startBotsApp(env: Record<string, string> = {}): Promise<TestApp> {
  return createTestApp({ env: { ...QUIET_ENV, LOG_LEVEL: 'error', ...env } });
}

/** A new card whose base variant `holder` owns `copies` of; returns the variant id (its book). */
export async function cardHeldBy(
  t: TestApp,
  admin: CreatedTestUser,
  holder: CreatedTestUser,
  code: string,
  copies = 100n,
) {
  const { cardId } = await createVariant(t, admin, code);
  const { variantId } = await giveCards(t.runtime.ctx.db, holder.id, cardId, copies);
  return variantId;
}

/** Writes recorded candles of a variant, as the exchange would have from its trades. */
export async function recordCandles(
  db: Db,
  variantId: string,
  interval: string,
  candles: readonly Candle[],
): Promise<void> {
  for (const c of candles) {
    await db.execute(sql`
      INSERT INTO market_candles (variant_id, interval, bucket_start, open, high, low, close, volume, notional, trades)
      VALUES (${variantId}, ${interval}, ${new Date(c.start)}, ${c.open}, ${c.high}, ${c.low}, ${c.close}, ${c.volume},
              ${c.close * c.volume}, 1)
      ON CONFLICT (variant_id, interval, bucket_start) DO UPDATE
        SET open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume`);
  }
}

/** What the scheduler gives the runner, with its own sandbox (close it after the test). */
export function runnerDeps(db: Db, maxFailures = 3): RunnerDeps & { sandbox: Sandbox } {
  const sandbox = createSandbox({ memoryBytes: 32 * 1024 * 1024, cpuMsPerCall: 200 });
  return { db, sandbox, strategies: new StrategyCache(db, sandbox), logger: pino({ level: 'silent' }), maxFailures };
}
