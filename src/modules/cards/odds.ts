import { effectiveWeights, eligibleByRarity, type DropTable, type Supply } from './draw.ts';
import { RARITIES, rarityRank, type Rarity } from './rarity.ts';

/** One slot's table as the draw uses it: integer weights after sold-out rarities dropped out. */
export interface SlotOdds {
  slot: number;
  totalWeight: number;
  rarities: { rarity: Rarity; weight: number; probability: number }[];
}

export interface RarityOdds {
  rarity: Rarity;
  eligibleCards: number;
  /** Expected cards of this rarity in a regular pack, in the pity pack, and per pack in the long run. */
  perPack: number;
  perPityPack: number;
  longRunPerPack: number;
}

export interface CardOdds {
  cardId: string;
  rarity: Rarity;
  perPack: number;
  perPityPack: number;
  longRunPerPack: number;
}

export interface PublishedOdds {
  slots: SlotOdds[];
  /** The last slot's table in the pity pack; null without a pity rule. */
  pitySlot: SlotOdds | null;
  pity: {
    rarity: Rarity;
    packs: number;
    /** Chance a regular pack already holds a guaranteed-or-better card. */
    regularPackHitChance: number;
    /** Share of openings that are pity packs in the long run. */
    longRunPityShare: number;
  } | null;
  rarities: RarityOdds[];
  cards: CardOdds[];
}

function slotOdds(slot: number, weights: [Rarity, number][]): SlotOdds {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  return {
    slot,
    totalWeight: total,
    rarities: weights.map(([rarity, weight]) => ({ rarity, weight, probability: total > 0 ? weight / total : 0 })),
  };
}

const probabilityOf = (odds: SlotOdds, rarity: Rarity) =>
  odds.rarities.find((r) => r.rarity === rarity)?.probability ?? 0;

/**
 * The exact probabilities the draw uses with the current supply: per slot, per rarity and per card,
 * for regular packs and for the pity pack. The long-run figures weight the two by how often the pity
 * pack comes: the pity counter is a chain 0..N-1 where a regular pack hits with chance q, so the
 * counter sits at c with probability proportional to (1-q)^c and the pity pack is state N-1.
 */
export function publishedOdds(table: DropTable, supply: Supply): PublishedOdds {
  const eligible = eligibleByRarity(table, supply);
  const slots = table.slots.map((_, i) => slotOdds(i, effectiveWeights(table, i, eligible, false).weights));
  const last = table.slots.length - 1;
  const pityWeights = table.pity ? effectiveWeights(table, last, eligible, true) : undefined;
  const pitySlot = pityWeights ? slotOdds(last, pityWeights.weights) : null;
  const pitySlots = pitySlot ? [...slots.slice(0, last), pitySlot] : slots;

  let pity: PublishedOdds['pity'] = null;
  let pityShare = 0;
  if (table.pity) {
    const floor = rarityRank(table.pity.rarity);
    const missAll = slots.reduce(
      (p, s) =>
        p * (1 - s.rarities.filter((r) => rarityRank(r.rarity) >= floor).reduce((a, r) => a + r.probability, 0)),
      1,
    );
    const q = 1 - missAll;
    const n = table.pity.packs;
    // Geometric weights (1-q)^c for c = 0..n-1; the last one is the pity pack.
    let sum = 0;
    for (let c = 0; c < n; c++) sum += (1 - q) ** c;
    pityShare = pityWeights?.pity ? (1 - q) ** (n - 1) / sum : 0;
    pity = { rarity: table.pity.rarity, packs: n, regularPackHitChance: q, longRunPityShare: pityShare };
  }

  const expected = (tables: SlotOdds[], rarity: Rarity) => tables.reduce((s, t) => s + probabilityOf(t, rarity), 0);
  const rarities = RARITIES.map((rarity): RarityOdds => {
    const perPack = expected(slots, rarity);
    const perPityPack = expected(pitySlots, rarity);
    return {
      rarity,
      eligibleCards: eligible.get(rarity)?.length ?? 0,
      perPack,
      perPityPack,
      longRunPerPack: (1 - pityShare) * perPack + pityShare * perPityPack,
    };
  });
  const byRarity = new Map(rarities.map((r) => [r.rarity, r]));
  const cards: CardOdds[] = [];
  for (const [rarity, ids] of eligible) {
    const r = byRarity.get(rarity);
    if (!r) continue;
    for (const cardId of ids) {
      cards.push({
        cardId,
        rarity,
        perPack: r.perPack / ids.length,
        perPityPack: r.perPityPack / ids.length,
        longRunPerPack: r.longRunPerPack / ids.length,
      });
    }
  }
  return { slots, pitySlot, pity, rarities, cards };
}
