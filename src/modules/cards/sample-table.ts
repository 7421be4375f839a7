import type { DropTable, PoolCard } from './draw.ts';
import { RARITIES, type Rarity } from './rarity.ts';

/** Cards per rarity in the sample pool. */
const POOL_SIZES: Record<Rarity, number> = { common: 60, uncommon: 40, rare: 25, epic: 12, legendary: 6, mythic: 3 };

/**
 * A realistic five-slot product with an epic-or-better pity within 10 packs: the fixture of the
 * draw's statistical tests and of the draw benchmark. `capped` gives those rarities a print run.
 */
export function sampleDropTable(opts: { capped?: Partial<Record<Rarity, number>> } = {}): DropTable {
  const pool: PoolCard[] = [];
  for (const rarity of RARITIES) {
    for (let i = 0; i < POOL_SIZES[rarity]; i++) {
      const cardId = `${String(RARITIES.indexOf(rarity))}-${rarity}-${String(i).padStart(3, '0')}`;
      pool.push({ cardId, rarity, maxSupply: opts.capped?.[rarity] ?? null });
    }
  }
  const filler = { common: 7000, uncommon: 2500, rare: 500 };
  return {
    productId: 'sample-product',
    slots: [
      { weights: filler },
      { weights: filler },
      { weights: filler },
      { weights: { uncommon: 6000, rare: 3000, epic: 800, legendary: 180, mythic: 20 } },
      { weights: { rare: 7000, epic: 2200, legendary: 650, mythic: 150 } },
    ],
    pity: { rarity: 'epic', packs: 10 },
    pool,
  };
}
