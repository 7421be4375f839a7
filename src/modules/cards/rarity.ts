/** Rarity tiers, lowest first: the order is the rank used by filters, sorting and the pity rule. */
export const RARITIES = ['common', 'uncommon', 'rare', 'epic', 'legendary', 'mythic'] as const;
export type Rarity = (typeof RARITIES)[number];

export const rarityRank = (rarity: Rarity): number => RARITIES.indexOf(rarity);

/**
 * Variant levels of a card, base first. Each level is its own ledger asset; an upgrade burns copies
 * of one level to mint the next.
 */
export const VARIANTS = ['base', 'foil', 'holo', 'gold'] as const;
export type Variant = (typeof VARIANTS)[number];

export const variantLevel = (variant: Variant): number => VARIANTS.indexOf(variant);

/** Ledger asset code of a card variant: stable for the life of the variant, unlike set codes or numbers. */
export const variantAssetCode = (variantId: string): string => `CARD:${variantId.toUpperCase()}`;

/** Ledger asset code of a sealed pack of a product. */
export const packAssetCode = (productId: string): string => `PACK:${productId.toUpperCase()}`;
