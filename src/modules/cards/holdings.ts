import type { Db } from '../../platform/db/tx.ts';
import { balances, systemBalance, walletAccountId } from './ports.ts';
import { variantsByAssets, type VariantRow } from './repo.ts';

export interface Holding {
  cardId: string;
  level: number;
  variantId: string;
  asset: string;
  quantity: bigint;
}

const CARD_ASSET = 'CARD:';

/**
 * A user's cards, read from their ledger balances: the ledger is the only record of who owns
 * what. Copies reserved by pending transfers (listed on the market, offered in a trade) count as
 * owned.
 */
export async function cardHoldings(db: Db, userId: string): Promise<Holding[]> {
  const rows = (await balances(db, walletAccountId(userId))).filter(
    (b) => b.asset.startsWith(CARD_ASSET) && b.total > 0n,
  );
  const variants = new Map(
    (
      await variantsByAssets(
        db,
        rows.map((r) => r.asset),
      )
    ).map((v) => [v.asset, v]),
  );
  const holdings: Holding[] = [];
  for (const r of rows) {
    const v = variants.get(r.asset);
    if (v) holdings.push({ cardId: v.cardId, level: v.level, variantId: v.id, asset: v.asset, quantity: r.total });
  }
  return holdings;
}

/** Copies of a variant in circulation: what the mint issued minus what came back to it. */
export async function circulatingSupply(db: Db, variant: VariantRow): Promise<bigint> {
  return -(await systemBalance(db, 'mint', variant.asset));
}
