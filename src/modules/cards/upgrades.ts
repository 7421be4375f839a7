import { VARIANTS, type Rarity, type Variant } from './rarity.ts';

/**
 * Upgrade recipes, published as they are: burn `copies` of a variant and pay the fee to attempt the
 * next level. The attempt succeeds with `successBps` / 10000 (rolled with the provably fair
 * stream); on failure the copies and the fee are consumed and nothing is minted.
 */
export interface UpgradeRecipe {
  from: Variant;
  to: Variant;
  copies: bigint;
  successBps: number;
  /** Fee in coin minor units. */
  fee: bigint;
}

const STEPS: Record<Exclude<Variant, 'base'>, { copies: bigint; successBps: number; feeFactor: bigint }> = {
  foil: { copies: 3n, successBps: 10_000, feeFactor: 1n },
  holo: { copies: 3n, successBps: 7_500, feeFactor: 2n },
  gold: { copies: 4n, successBps: 5_000, feeFactor: 4n },
};

/** Fee of the first step per rarity, in coin minor units (1 coin = 100). */
const BASE_FEE: Record<Rarity, bigint> = {
  common: 100n,
  uncommon: 200n,
  rare: 500n,
  epic: 1_000n,
  legendary: 2_500n,
  mythic: 5_000n,
};

/** The recipe that upgrades `from` of a card of `rarity`, or undefined at the top level or above `maxLevel`. */
export function upgradeRecipe(rarity: Rarity, from: Variant, maxLevel: number): UpgradeRecipe | undefined {
  const level = VARIANTS.indexOf(from);
  const to = VARIANTS[level + 1];
  if (to === undefined || to === 'base' || level + 1 > maxLevel) return undefined;
  const step = STEPS[to];
  return { from, to, copies: step.copies, successBps: step.successBps, fee: BASE_FEE[rarity] * step.feeFactor };
}

/** Every recipe a card offers, lowest level first. */
export function upgradeRecipes(rarity: Rarity, maxLevel: number): UpgradeRecipe[] {
  return VARIANTS.map((v) => upgradeRecipe(rarity, v, maxLevel)).filter((r): r is UpgradeRecipe => r !== undefined);
}
