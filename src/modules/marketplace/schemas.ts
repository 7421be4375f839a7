import { Type, type Static } from 'typebox';
import { RARITIES } from '../cards/index.ts';
import { MAX_ORDER_PRICE, MAX_ORDER_QUANTITY } from '../market/index.ts';

/** Integer in JSON, bigint in code (the serializer writes bigints as plain integers). */
const Units = (description: string) => Type.Unsafe<bigint>(Type.Integer({ description }));
const Id = Type.String({ format: 'uuid' });
const closed = { additionalProperties: false } as const;
const Positive = (description: string, maximum: number) => Type.Integer({ minimum: 1, maximum, description });
const Price = (description: string) => Positive(description, MAX_ORDER_PRICE);
const Quantity = (description: string) => Positive(description, MAX_ORDER_QUANTITY);

export const CreateListingBody = Type.Object(
  {
    cardId: Type.String({ format: 'uuid', description: 'The card variant to sell.' }),
    quantity: Quantity('Cards to list, at least 1; they move into escrow.'),
    price: Price('Price per card in minor coin units; on the tick and within the price band.'),
    expiresAt: Type.Optional(
      Type.String({ format: 'date-time', description: 'When the unsold rest is withdrawn; in the future.' }),
    ),
  },
  closed,
);
export type CreateListingBody = Static<typeof CreateListingBody>;

export const UpdateListingBody = Type.Object(
  {
    price: Type.Optional(Price('New price per card; loses time priority and may sell at once.')),
    quantity: Type.Optional(
      Quantity('Cards still on offer (sold ones are not counted): fewer keeps time priority, more loses it.'),
    ),
  },
  { ...closed, minProperties: 1 },
);

export const PurchaseBody = Type.Object(
  {
    listingId: Id,
    quantity: Quantity('Cards to buy from this listing, at most what it still offers.'),
  },
  closed,
);

export const ListingIdParams = Type.Object({ id: Id }, closed);
export const VariantParams = Type.Object(
  { cardId: Type.String({ format: 'uuid', description: 'The card variant.' }) },
  closed,
);

const Cursor = Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page.' }));
const Limit = Type.Integer({ minimum: 1, maximum: 100, default: 20 });

export const ListingsQuery = Type.Object(
  {
    card: Type.Optional(Type.String({ format: 'uuid', description: 'A card (all its variants) or one variant.' })),
    set: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A set id or set code.' })),
    rarity: Type.Optional(Type.Union(RARITIES.map((r) => Type.Literal(r)))),
    minPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    maxPrice: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    seller: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A seller’s id or username.' })),
    sort: Type.Union([Type.Literal('price'), Type.Literal('-price'), Type.Literal('newest')], {
      default: 'newest',
      description: '`price` cheapest first, `-price` dearest first, `newest` most recent first.',
    }),
    limit: Limit,
    cursor: Cursor,
  },
  closed,
);
export type ListingsQuery = Static<typeof ListingsQuery>;

export const MyListingsQuery = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('done')], {
      default: 'open',
      description: '`open`, or `done` (sold out or cancelled).',
    }),
    limit: Limit,
    cursor: Cursor,
  },
  closed,
);

export const Listing = Type.Object({
  id: Id,
  cardId: Type.String({ format: 'uuid', description: 'The card variant for sale (its book).' }),
  baseCardId: Type.String({ format: 'uuid', description: 'The card the variant belongs to.' }),
  level: Type.Integer({ description: 'Variant level (0 = base).' }),
  cardName: Type.String(),
  rarity: Type.String(),
  set: Type.Object({ id: Id, code: Type.String(), name: Type.String() }),
  seller: Type.Object({ id: Id, username: Type.Union([Type.String(), Type.Null()]) }),
  price: Units('Price per card.'),
  quantity: Units('Cards listed in all (sold ones included).'),
  remaining: Units('Cards still on offer.'),
  sold: Units('Cards sold so far.'),
  status: Type.String({ description: 'open, filled (sold out) or cancelled' }),
  cancelReason: Type.Union([Type.String(), Type.Null()]),
  buyerPays: Units('What buying every remaining card costs, fee included.'),
  sellerReceives: Units('What the seller receives for every remaining card, after any seller fee.'),
  createdAt: Type.String({ format: 'date-time' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const ListingPage = Type.Object({
  items: Type.Array(Listing),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const PurchaseReply = Type.Object({
  orderId: Type.String({ format: 'uuid', description: 'The buyer’s order that took the listing.' }),
  listingId: Id,
  cardId: Id,
  side: Type.String(),
  type: Type.String(),
  timeInForce: Type.String(),
  status: Type.String(),
  price: Units('Price per card (the listing’s).'),
  quantity: Units('Cards bought.'),
  filledQuantity: Units('Cards bought.'),
  filledNotional: Units('price × quantity.'),
  fee: Units('Commission on this purchase.'),
  paid: Units('Coins that left the buyer’s wallet.'),
  buyerPays: Units('What the buyer pays, fee included (equals paid).'),
  sellerReceives: Units('What the seller receives.'),
  listingRemaining: Units('Cards the listing still offers.'),
  createdAt: Type.String({ format: 'date-time' }),
});

export const SuggestionReply = Type.Object({
  cardId: Id,
  price: Units('Suggested price per card.'),
  basis: Type.Union([Type.Literal('trades'), Type.Literal('rarity_floor')], {
    description: '`trades`: median of recent trades; `rarity_floor`: too few trades, the rarity’s floor price.',
  }),
  sampleSize: Type.Integer({ description: 'Recent trades considered.' }),
  minTrades: Type.Integer({ description: 'Trades needed before the median is used.' }),
  oldestTradeAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  oldestTradeAgeSeconds: Type.Union([Type.Integer(), Type.Null()]),
  rarity: Type.String(),
  buyerPays: Units('What a buyer pays for one card at this price.'),
  sellerReceives: Units('What the seller receives for one card at this price.'),
});
