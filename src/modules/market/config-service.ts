import { appendAudit, type RequestOrigin } from '../../platform/audit/index.ts';
import type { Db } from '../../platform/db/tx.ts';
import {
  DEFAULT_FEE_SCHEDULE,
  DEFAULT_MARKET_PROTECTION_BPS,
  DEFAULT_PRICE_BAND,
  type FeeSchedule,
} from './engine/index.ts';
import { readMarketConfig, writeMarketConfig } from './repo.ts';

export interface MarketSettings {
  tickSize: bigint;
  /** Orders priced outside [last / band, last × band] are refused. */
  priceBand: bigint;
  fees: FeeSchedule;
  /** Levels of depth published on the book channel after a change. */
  publishedLevels: number;
  /** A market order never fills further than this from the best price at arrival (basis points). */
  marketProtectionBps: bigint;
}

export const DEFAULT_MARKET_SETTINGS: MarketSettings = Object.freeze({
  tickSize: 1n,
  priceBand: DEFAULT_PRICE_BAND,
  fees: DEFAULT_FEE_SCHEDULE,
  publishedLevels: 10,
  marketProtectionBps: DEFAULT_MARKET_PROTECTION_BPS,
});

/**
 * The exchange's settings as they stand: the admin-set row when there is one, else the defaults.
 * Read inside the caller's transaction, so an order is checked against the settings it commits with.
 */
export async function loadMarketSettings(db: Db): Promise<MarketSettings> {
  const row = await readMarketConfig(db);
  if (!row) return DEFAULT_MARKET_SETTINGS;
  return Object.freeze({
    ...DEFAULT_MARKET_SETTINGS,
    priceBand: BigInt(row.priceBand),
    marketProtectionBps: BigInt(row.marketProtectionBps),
    fees: Object.freeze({
      ...DEFAULT_MARKET_SETTINGS.fees,
      rateBps: BigInt(row.commissionBps),
      minimumFee: row.minimumFee,
    }),
  });
}

export interface MarketConfigInput {
  commissionBps: number;
  minimumFee: number;
  priceBand: number;
  marketProtectionBps: number;
}

/** The settings as admins see and set them (JSON numbers). */
export function configView(s: MarketSettings) {
  return {
    commissionBps: Number(s.fees.rateBps),
    minimumFee: Number(s.fees.minimumFee),
    feePayer: s.fees.payer,
    priceBand: Number(s.priceBand),
    marketProtectionBps: Number(s.marketProtectionBps),
    tickSize: Number(s.tickSize),
  };
}

/**
 * Replaces the exchange's settings and audits the change with what it was before. Orders already
 * placed keep their commission terms; new orders, band checks and market-order protection use these.
 */
export async function saveMarketSettings(
  tx: Db,
  input: MarketConfigInput,
  actorId: string,
  origin?: RequestOrigin,
): Promise<MarketSettings> {
  const before = configView(await loadMarketSettings(tx));
  const values = {
    commissionBps: input.commissionBps,
    minimumFee: BigInt(input.minimumFee),
    priceBand: input.priceBand,
    marketProtectionBps: input.marketProtectionBps,
    updatedBy: actorId,
  };
  await writeMarketConfig(tx, values);
  const after = await loadMarketSettings(tx);
  await appendAudit(tx, {
    actor: { type: 'user', id: actorId },
    action: 'admin.market.config',
    target: { type: 'market.config', id: 'exchange' },
    origin,
    details: { before, after: configView(after) },
  });
  return after;
}
