import { Type, type Static } from 'typebox';
import { RARITIES, VARIANTS } from './rarity.ts';

export const closed = { additionalProperties: false } as const;
export const DateTime = Type.String({ format: 'date-time' });
export const Uuid = Type.String({ format: 'uuid' });
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);
/** A quantity or coin amount: a bigint in code, a plain JSON integer on the wire. */
export const Units = (description: string) => Type.Unsafe<bigint>(Type.Integer({ minimum: 0, description }));

export const Rarity = Type.Enum(RARITIES, { description: 'Rarity tier, lowest first' });
export const Variant = Type.Enum(VARIANTS, { description: 'Variant level name, base first' });
export const IdParams = Type.Object({ id: Uuid }, closed);
export const Cursor = Type.String({ minLength: 1, maxLength: 300, description: 'From the previous page' });
export const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });
export const Page = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Nullable(Type.String()) });

const Stat = Type.Integer({ minimum: 0, maximum: 100_000 });
export const CardStats = Type.Object(
  { attack: Type.Optional(Stat), defense: Type.Optional(Stat), health: Type.Optional(Stat), cost: Type.Optional(Stat) },
  closed,
);

export const SetRef = Type.Object({ id: Uuid, code: Type.String(), name: Type.String() });

export const CardVariant = Type.Object({
  id: Type.String({
    format: 'uuid',
    description: 'Variant id: what the exchange, listings and orders name (`variantId`)',
  }),
  level: Type.Integer(),
  variant: Variant,
  asset: Type.String({ description: 'Ledger asset code: one copy of this variant is one unit of it' }),
});

export const CardProps = {
  id: Uuid,
  set: SetRef,
  number: Type.Integer(),
  name: Type.String(),
  rarity: Rarity,
  element: Type.String({ description: 'Type / element' }),
  stats: CardStats,
  text: Type.String(),
  artUrl: Nullable(Type.String()),
  maxSupply: Nullable(
    Type.Integer({ minimum: 1, description: 'Print run: copies that can ever be pulled from packs; null = unlimited' }),
  ),
  maxLevel: Type.Integer({ description: 'Highest variant level this card upgrades to' }),
  price: Units('Reference price in coin minor units (1 coin = 100)'),
  retired: Type.Boolean({ description: 'Retired cards keep their owners but leave packs' }),
  variants: Type.Array(CardVariant),
  createdAt: DateTime,
  updatedAt: DateTime,
};
export const Card = Type.Object(CardProps);
export type CardDto = Static<typeof Card>;

const SORTS = ['name', 'rarity', 'newest', 'price'] as const;
export type CardSortKey = (typeof SORTS)[number];

/** Filters shared by the catalogue and by collections. */
export const CardFilterProps = {
  set: Type.Optional(
    Type.String({ minLength: 1, maxLength: 36, pattern: '^[A-Za-z0-9-]+$', description: 'Set id or set code' }),
  ),
  rarity: Type.Optional(
    Type.Array(Rarity, { maxItems: 6, description: 'One or more rarities (repeat the parameter)' }),
  ),
  element: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Part of the name, any case' })),
  variant: Type.Optional(Variant),
  priceMin: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  priceMax: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  sort: Type.Enum(SORTS, { default: 'name' }),
  order: Type.Optional(
    Type.Enum(['asc', 'desc'], { description: 'Default: asc for name and price, desc for rarity and newest' }),
  ),
  includeRetired: Type.Boolean({ default: false }),
  limit: Limit,
  cursor: Type.Optional(Cursor),
};

export const CardListQuery = Type.Object(
  {
    ...CardFilterProps,
    owned: Type.Optional(
      Type.Boolean({ description: 'true: only cards you own (of `variant` if given); false: only cards you do not' }),
    ),
  },
  closed,
);
export type CardListQueryT = Static<typeof CardListQuery>;

export const CardPage = Page(Card);

export const SearchQuery = Type.Object(
  {
    q: Type.String({ minLength: 1, maxLength: 100, description: 'Words to look for; typos are tolerated' }),
    limit: Type.Integer({ minimum: 1, maximum: 50, default: 20 }),
    includeRetired: Type.Boolean({ default: false }),
  },
  closed,
);
export const SearchHit = Type.Object({
  ...CardProps,
  score: Type.Number({ description: 'Relevance: full-text rank plus word similarity' }),
});
export const SearchReply = Type.Object({ query: Type.String(), items: Type.Array(SearchHit) });

const Name = Type.String({ minLength: 1, maxLength: 100 });
const Url = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 });

export const CardCreateBody = Type.Object(
  {
    setId: Uuid,
    number: Type.Integer({ minimum: 1, maximum: 100_000 }),
    name: Name,
    rarity: Rarity,
    element: Type.String({ minLength: 1, maxLength: 32 }),
    stats: Type.Optional(CardStats),
    text: Type.Optional(Type.String({ maxLength: 2000 })),
    artUrl: Type.Optional(Nullable(Url)),
    maxSupply: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))),
    maxLevel: Type.Optional(Type.Integer({ minimum: 0, maximum: VARIANTS.length - 1 })),
    price: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  },
  closed,
);
export type CardCreate = Static<typeof CardCreateBody>;

export const CardUpdateBody = Type.Object(
  {
    setId: Type.Optional(Uuid),
    number: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    name: Type.Optional(Name),
    rarity: Type.Optional(Rarity),
    element: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
    stats: Type.Optional(CardStats),
    text: Type.Optional(Type.String({ maxLength: 2000 })),
    artUrl: Type.Optional(Nullable(Url)),
    maxSupply: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }))),
    maxLevel: Type.Optional(Type.Integer({ minimum: 0, maximum: VARIANTS.length - 1 })),
    price: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    retired: Type.Optional(Type.Boolean({ description: 'Retire (true) or bring back (false)' })),
  },
  { ...closed, minProperties: 1 },
);
export type CardUpdate = Static<typeof CardUpdateBody>;

export const CardSet = Type.Object({
  id: Uuid,
  code: Type.String(),
  name: Type.String(),
  description: Nullable(Type.String()),
  releaseDate: Type.String({ format: 'date' }),
  cardCount: Type.Integer(),
  retired: Type.Boolean(),
  createdAt: DateTime,
  updatedAt: DateTime,
});
export type CardSetDto = Static<typeof CardSet>;
export const SetList = Type.Object({ items: Type.Array(CardSet) });

const SetCode = Type.String({
  minLength: 2,
  maxLength: 16,
  pattern: '^[A-Z0-9][A-Z0-9-]+$',
  description: 'Upper-case letters, digits and dashes',
  example: 'EMB',
});
export const SetCreateBody = Type.Object(
  {
    code: SetCode,
    name: Name,
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    releaseDate: Type.String({ format: 'date' }),
  },
  closed,
);
export type SetCreate = Static<typeof SetCreateBody>;
export const SetUpdateBody = Type.Object(
  {
    code: Type.Optional(SetCode),
    name: Type.Optional(Name),
    description: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
    releaseDate: Type.Optional(Type.String({ format: 'date' })),
    retired: Type.Optional(Type.Boolean()),
  },
  { ...closed, minProperties: 1 },
);
export type SetUpdate = Static<typeof SetUpdateBody>;
