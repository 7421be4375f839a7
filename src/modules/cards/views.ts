import type { CardDto, CardSetDto } from './schemas.ts';
import type { CardRow, SetRow, VariantRow } from './repo.ts';
import { VARIANTS } from './rarity.ts';

export function cardView(row: CardRow, variants: readonly VariantRow[]): CardDto {
  return {
    id: row.id,
    set: { id: row.setId, code: row.setCode, name: row.setName },
    number: row.number,
    name: row.name,
    rarity: row.rarity,
    element: row.element,
    stats: row.stats,
    text: row.text,
    artUrl: row.artUrl,
    maxSupply: row.maxSupply === null ? null : Number(row.maxSupply),
    maxLevel: row.maxLevel,
    price: row.price,
    retired: row.retiredAt !== null,
    variants: variants
      .filter((v) => v.cardId === row.id && v.level <= row.maxLevel)
      .map((v) => ({ id: v.id, level: v.level, variant: VARIANTS[v.level] ?? 'base', asset: v.asset })),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function setView(row: SetRow, cardCount: number): CardSetDto {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    releaseDate: row.releaseDate,
    cardCount,
    retired: row.retiredAt !== null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
