import { Type, type Static } from 'typebox';
import { CANDLE_INTERVALS } from './engine/index.ts';

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

export const PlaceOrderBody = Type.Object(
  {
    cardId: Type.String({ format: 'uuid', description: 'The card variant whose book the order goes to.' }),
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    type: Type.Union([Type.Literal('limit'), Type.Literal('market')]),
    quantity: Type.Integer({ description: 'Card units, at least 1.' }),
    price: Type.Optional(Type.Integer({ description: 'Limit price per card in minor units; limit orders only.' })),
    timeInForce: Type.Optional(
      Type.Union([Type.Literal('GTC'), Type.Literal('IOC'), Type.Literal('FOK')], { default: 'GTC' }),
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
  cancelReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export const OrderIdParams = Type.Object({ id: Id }, { additionalProperties: false });
export const CardParams = Type.Object({ cardId: Id }, { additionalProperties: false });

export const MyOrdersQuery = Type.Object(
  {
    status: Type.Union([Type.Literal('open'), Type.Literal('done')], { default: 'open' }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  },
  { additionalProperties: false },
);
export const OrderList = Type.Object({ orders: Type.Array(Order) });

const Level = Type.Object({ price: Units('Price.'), quantity: Units('Open quantity.'), orders: Type.Integer() });
export const BookQuery = Type.Object(
  { levels: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
);
export const BookReply = Type.Object({ cardId: Id, bids: Type.Array(Level), asks: Type.Array(Level) });

export const TradesQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ format: 'uuid', description: 'nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);
export const TradesReply = Type.Object({
  trades: Type.Array(
    Type.Object({
      id: Id,
      price: Units('Price.'),
      quantity: Units('Quantity.'),
      takerSide: Type.String(),
      ts: Type.String({ format: 'date-time' }),
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const TickerReply = Type.Object({
  cardId: Id,
  last: NullableUnits('Last traded price.'),
  bestBid: NullableUnits('Best bid.'),
  bestAsk: NullableUnits('Best ask.'),
  change: NullableUnits('24 h change.'),
  high: NullableUnits('24 h high.'),
  low: NullableUnits('24 h low.'),
  volume: Units('24 h volume.'),
  trades: Type.Integer(),
  thin: Type.Boolean({ description: 'Fewer than 5 trades in 24 h.' }),
});

export const CandlesQuery = Type.Object(
  {
    interval: Type.Union(CANDLE_INTERVALS.map((i) => Type.Literal(i))),
    from: Type.String({ format: 'date-time' }),
    to: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export const CandlesReply = Type.Object({
  cardId: Id,
  interval: Type.String(),
  thin: Type.Boolean(),
  candles: Type.Array(
    Type.Object({
      start: Type.String({ format: 'date-time' }),
      open: Units('Open.'),
      high: Units('High.'),
      low: Units('Low.'),
      close: Units('Close.'),
      volume: Units('Volume.'),
      trades: Type.Integer(),
    }),
  ),
});
