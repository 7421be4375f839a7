import { FairStream, canonicalJson, sha256Hex } from './fair.ts';
import { RARITIES, rarityRank, type Rarity } from './rarity.ts';

/** Integer weight per rarity in one slot; a missing rarity has weight 0. */
export type RarityWeights = Partial<Record<Rarity, number>>;

export interface PoolCard {
  cardId: string;
  rarity: Rarity;
  /** Print run; null when unlimited. */
  maxSupply: number | null;
}

/**
 * Everything that decides an opening's odds: the commitment covers its hash, so neither the weights,
 * the card pool nor the pity rule can change behind a user's back.
 */
export interface DropTable {
  productId: string;
  slots: { weights: RarityWeights }[];
  /** Within `packs` openings a user gets at least one card of `rarity` or better (last slot of the pity pack). */
  pity: { rarity: Rarity; packs: number } | null;
  /** Eligible cards, sorted by id: the card draw picks an index into this order. */
  pool: PoolCard[];
}

/** Copies left per capped card at the moment of an opening (cards without a print run are absent). */
export type Supply = Record<string, number>;

export interface Pull {
  slot: number;
  rarity: Rarity;
  cardId: string;
}

export interface OpeningDraw {
  pulls: Pull[];
  /** This opening was the pity pack: its last slot drew only from the guaranteed rarities. */
  pityApplied: boolean;
  pityAfter: number;
  /** HMAC steps consumed per slot (a rejection adds one). */
  steps: number[];
}

export interface OpeningInputs {
  serverSeed: string;
  clientSeed: string;
  nonce: bigint | number;
  table: DropTable;
  pityCounter: number;
  supply: Supply;
}

export class SoldOutError extends Error {
  constructor(readonly slot: number) {
    super(`no card is left to draw in slot ${slot}`);
  }
}

export function dropTableHash(table: DropTable): string {
  return sha256Hex(canonicalJson(table));
}

/** Whether the next opening with this counter is the pity pack. */
export const isPityPack = (table: DropTable, pityCounter: number): boolean =>
  table.pity !== null && pityCounter >= table.pity.packs - 1;

/** Cards still drawable, grouped by rarity, in pool order. */
export function eligibleByRarity(table: DropTable, supply: Supply): Map<Rarity, string[]> {
  const groups = new Map<Rarity, string[]>(RARITIES.map((r) => [r, []]));
  for (const card of table.pool) {
    if (card.maxSupply !== null && (supply[card.cardId] ?? 0) <= 0) continue;
    groups.get(card.rarity)?.push(card.cardId);
  }
  return groups;
}

/**
 * The weights a slot actually uses: rarities without an eligible card drop out (the others keep
 * their weights, so their shares renormalise), and the pity slot keeps only the guaranteed
 * rarities. When the pity cannot be honoured (every guaranteed card is sold out) the slot draws
 * normally and the counter carries on.
 */
export function effectiveWeights(
  table: DropTable,
  slot: number,
  eligible: Map<Rarity, string[]>,
  pitySlot: boolean,
): { weights: [Rarity, number][]; pity: boolean } {
  const base = table.slots[slot]?.weights ?? {};
  const all = RARITIES.map((r): [Rarity, number] => [r, (eligible.get(r)?.length ?? 0) > 0 ? (base[r] ?? 0) : 0]);
  const usable = all.filter(([, w]) => w > 0);
  if (pitySlot && table.pity) {
    const floor = rarityRank(table.pity.rarity);
    const guaranteed = usable.filter(([r]) => rarityRank(r) >= floor);
    if (guaranteed.length > 0) return { weights: guaranteed, pity: true };
  }
  return { weights: usable, pity: false };
}

/** Draws one pack. Pure: the same inputs always give the same pulls. */
export function drawPack(inputs: OpeningInputs): OpeningDraw {
  const { table } = inputs;
  const remaining: Supply = { ...inputs.supply };
  const capped = new Set(table.pool.filter((c) => c.maxSupply !== null).map((c) => c.cardId));
  const pityPack = isPityPack(table, inputs.pityCounter);
  const lastSlot = table.slots.length - 1;
  const pulls: Pull[] = [];
  const steps: number[] = [];
  let pityApplied = false;
  let eligible = eligibleByRarity(table, remaining);
  for (let slot = 0; slot < table.slots.length; slot++) {
    const { weights, pity } = effectiveWeights(table, slot, eligible, pityPack && slot === lastSlot);
    const total = weights.reduce((sum, [, w]) => sum + w, 0);
    if (total === 0) throw new SoldOutError(slot);
    const stream = new FairStream(inputs.serverSeed, inputs.clientSeed, inputs.nonce, slot);
    let ticket = stream.nextInt(total);
    let rarity: Rarity = 'common';
    for (const [r, w] of weights) {
      rarity = r;
      if (ticket < w) break;
      ticket -= w;
    }
    const cards = eligible.get(rarity) ?? [];
    const cardId = cards[stream.nextInt(cards.length)];
    if (cardId === undefined) throw new SoldOutError(slot);
    if (capped.has(cardId)) {
      remaining[cardId] = (remaining[cardId] ?? 0) - 1;
      // The last copy just went: later slots draw without it, their weights renormalised.
      if ((remaining[cardId] ?? 0) <= 0) eligible = eligibleByRarity(table, remaining);
    }
    pulls.push({ slot, rarity, cardId });
    steps.push(stream.steps);
    pityApplied ||= pity;
  }
  return { pulls, pityApplied, pityAfter: nextPityCounter(table, inputs.pityCounter, pulls), steps };
}

/** The counter after an opening: back to 0 on a guaranteed-or-better pull, else one more. */
export function nextPityCounter(table: DropTable, pityCounter: number, pulls: readonly Pull[]): number {
  if (!table.pity) return 0;
  const floor = rarityRank(table.pity.rarity);
  return pulls.some((p) => rarityRank(p.rarity) >= floor) ? 0 : pityCounter + 1;
}

/** Copies of each capped card an opening takes from its print run. */
export function supplyTaken(table: DropTable, pulls: readonly Pull[]): Map<string, number> {
  const capped = new Set(table.pool.filter((c) => c.maxSupply !== null).map((c) => c.cardId));
  const taken = new Map<string, number>();
  for (const p of pulls) if (capped.has(p.cardId)) taken.set(p.cardId, (taken.get(p.cardId) ?? 0) + 1);
  return taken;
}
