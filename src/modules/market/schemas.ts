import { Type, type Static } from 'typebox';

/** Integer in JSON, bigint in code (the serializer writes bigints as plain integers). */
const Units = (description: string) => Type.Unsafe<bigint>(Type.Integer({ description }));
/**
 * Nullable amounts are numbers in code at the edge: the serializer picks a nullable's branch by
 * validation, which a bigint fails. Prices stay far below 2^53 (the band and balances bound them).
 */
const NullableUnits = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });
/** bigint | null → what a NullableUnits field carries. */
export const nullableUnits = (v: bigint | null): number | null => (v === null ? null : Number(v));
const Id = Type.String({ format: 'uuid' });

/** Bounds of one order: price × quantity stays far inside a 64-bit amount. */
export const MAX_ORDER_PRICE = 1_000_000_000_000;
export const MAX_ORDER_QUANTITY = 1_000_000;

export const PlaceOrderBody = Type.Object(
  {
    cardId: Type.String({ format: 'uuid', description: 'The card variant whose book the order goes to.' }),
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    type: Type.Union([Type.Literal('limit'), Type.Literal('market')]),
    quantity: Type.Integer({ maximum: MAX_ORDER_QUANTITY, description: 'Card units, at least 1.' }),
    price: Type.Optional(
      Type.Integer({
        maximum: MAX_ORDER_PRICE,
        description: 'Limit price per card in minor units; limit orders only.',
      }),
    ),
    timeInForce: Type.Optional(
      Type.Union([Type.Literal('GTC'), Type.Literal('IOC'), Type.Literal('FOK')], { default: 'GTC' }),
    ),
    expiresAt: Type.Optional(
      Type.String({
        format: 'date-time',
        description: 'GTC limit orders: when what is left is cancelled and its escrow returned (within 90 days).',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PlaceOrderBody = Static<typeof PlaceOrderBody>;

export const Order = Type.Object({
  id: Id,
  cardId: Id,
  side: Type.String(),
  type: Type.String(),
  timeInForce: Type.String(),
  price: NullableUnits('Limit price (for a market buy, the protection price).'),
  quantity: Units('Ordered quantity.'),
  remaining: Units('Quantity still open (or left unfilled when closed).'),
  filledQuantity: Units('Quantity filled.'),
  filledNotional: Units('Σ price × quantity of the fills.'),
  feePaid: Units('Commission charged to this order so far.'),
  buyerPays: NullableUnits('What a buyer pays for the full quantity at the limit price, fee included.'),
  sellerReceives: NullableUnits('What a seller receives for the full quantity at the limit price.'),
  status: Type.String({ description: 'open, filled or cancelled' }),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  cancelReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const OrderIdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const CardParams = Type.Object(
  {
    cardId: Type.String({
      format: 'uuid',
      description:
        'The book: a card variant id, or the id of a card with a single variant (a card with several is ' +
        'refused with 400 `card_has_variants`, naming their ids)',
    }),
  },
  { additionalProperties: false },
);

export const MyOrdersQuery = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('done')], { default: 'open' }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  },
  { additionalProperties: false },
);
export const OrderList = Type.Object({ orders: Type.Array(Order) });
