import { eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/tx.ts';
import { DEFAULT_MARKET_SETTINGS, type MarketSettings } from './service.ts';
import { marketConfig } from './tables.ts';

/**
 * The exchange's settings as they stand: the admin-set row when there is one, else the defaults.
 * Read inside the caller's transaction, so an order is checked against the settings it commits with.
 */
export async function loadMarketSettings(db: Db): Promise<MarketSettings> {
  const [row] = await db.select().from(marketConfig).where(eq(marketConfig.id, 1));
  if (!row) return DEFAULT_MARKET_SETTINGS;
  return Object.freeze({
    ...DEFAULT_MARKET_SETTINGS,
    priceBand: BigInt(row.priceBand),
    marketProtectionBps: BigInt(row.marketProtectionBps),
    fees: Object.freeze({ rateBps: BigInt(row.commissionBps), minimumFee: row.minimumFee, payer: row.feePayer }),
  });
}
