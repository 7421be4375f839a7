import { DuplicateVariantError, EmptyOfferError } from './errors.ts';
import { COIN, variantAssetCode, type Leg } from './ports.ts';
import type { StoredItems } from './tables.ts';

/** One side of an offer: card variants with quantities, and coins (minor units). */
export interface Items {
  cards: { variantId: string; quantity: bigint }[];
  coins: bigint;
}

export const isEmpty = (items: Items) => items.coins === 0n && items.cards.length === 0;

/** Refuses an offer with nothing on either side or a variant named twice on one side. */
export function checkItems(offered: Items, requested: Items): void {
  if (isEmpty(offered) && isEmpty(requested)) throw new EmptyOfferError();
  for (const side of [offered, requested]) {
    const seen = new Set<string>();
    for (const c of side.cards) {
      const id = c.variantId.toLowerCase();
      if (seen.has(id)) throw new DuplicateVariantError(c.variantId);
      seen.add(id);
    }
  }
}

/** Ledger legs moving every item of a side from one account to another. */
export function legsFor(items: Items, from: string, to: string): Leg[] {
  const legs: Leg[] = items.cards.map((c) => ({
    from,
    to,
    asset: variantAssetCode(c.variantId),
    amount: c.quantity,
  }));
  if (items.coins > 0n) legs.push({ from, to, asset: COIN, amount: items.coins });
  return legs;
}

export const storeItems = (items: Items): StoredItems => ({
  cards: items.cards.map((c) => ({ variantId: c.variantId.toLowerCase(), quantity: c.quantity.toString() })),
  coins: items.coins.toString(),
});

export const loadItems = (stored: StoredItems): Items => ({
  cards: stored.cards.map((c) => ({ variantId: c.variantId, quantity: BigInt(c.quantity) })),
  coins: BigInt(stored.coins),
});
