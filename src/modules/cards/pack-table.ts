import type { Db } from '../../platform/db/tx.ts';
import type { DropTable, PoolCard, RarityWeights, Supply } from './draw.ts';
import { baseVariants, poolCards, poolCardsWithSet, type BaseVariant, type ProductRow } from './pack-repo.ts';
import { RARITIES } from './rarity.ts';

/** Weights with zero entries dropped, in rarity order: one table, one hash. */
export function normaliseWeights(weights: RarityWeights): RarityWeights {
  const out: RarityWeights = {};
  for (const r of RARITIES) {
    const w = weights[r];
    if (w !== undefined && w > 0) out[r] = w;
  }
  return out;
}

function dropTableOf(product: ProductRow, pool: PoolCard[]): DropTable {
  return {
    productId: product.id,
    slots: product.slots.map((s) => ({ weights: normaliseWeights(s.weights) })),
    pity:
      product.pityRarity !== null && product.pityPacks !== null
        ? { rarity: product.pityRarity, packs: product.pityPacks }
        : null,
    pool,
  };
}

/** The exact drop table a product would open with right now. */
export async function currentDropTable(db: Db, product: ProductRow): Promise<DropTable> {
  return dropTableOf(product, await poolCards(db, product.setIds));
}

/** `currentDropTable` of several products, from one read of the card pool. */
export async function currentDropTables(
  db: Db,
  products: readonly ProductRow[],
): Promise<{ product: ProductRow; table: DropTable }[]> {
  if (products.length === 0) return [];
  const everySet = products.some((p) => p.setIds.length === 0);
  const rows = await poolCardsWithSet(db, everySet ? [] : [...new Set(products.flatMap((p) => p.setIds))]);
  return products.map((product) => {
    const sets = new Set(product.setIds);
    const pool = rows.filter((r) => sets.size === 0 || sets.has(r.setId)).map((r) => r.card);
    return { product, table: dropTableOf(product, pool) };
  });
}

/**
 * Copies left of every capped card in the table; with `lock` the print runs stay locked until the
 * transaction ends (an opening draws and mints under that lock).
 */
export async function supplyOf(
  db: Db,
  table: DropTable,
  lock: boolean,
): Promise<{ supply: Supply; variants: Map<string, BaseVariant> }> {
  const capped = table.pool.filter((c) => c.maxSupply !== null).map((c) => c.cardId);
  const rows = await baseVariants(db, capped, lock);
  const supply: Supply = {};
  for (const r of rows) {
    const left = r.maxSupply === null ? 0n : r.maxSupply - r.minted;
    supply[r.cardId] = Number(left > 0n ? left : 0n);
  }
  return { supply, variants: new Map(rows.map((r) => [r.cardId, r])) };
}
