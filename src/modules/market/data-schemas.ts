import { Type, type Static } from 'typebox';
import { CANDLE_INTERVALS } from './engine/index.ts';

/*
 * Market data replies carry plain numbers in code: they are cached as JSON, and amounts stay far
 * below 2^53 (the price band and balances bound them). In JSON they are integers, as everywhere.
 */
const Int = (description: string) => Type.Integer({ description });
const NullableInt = (description: string) => Type.Union([Type.Integer(), Type.Null()], { description });
const Id = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

const Level = Type.Object({ price: Int('Price.'), quantity: Int('Open quantity.'), orders: Type.Integer() });
export const BookQuery = Type.Object(
  { levels: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
);
export const BookReply = Type.Object({ cardId: Id, bids: Type.Array(Level), asks: Type.Array(Level) });
export type BookReply = Static<typeof BookReply>;

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
      price: Int('Price.'),
      quantity: Int('Quantity.'),
      takerSide: Type.String(),
      ts: DateTime,
    }),
  ),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type TradesReply = Static<typeof TradesReply>;

const TickerFields = {
  cardId: Id,
  last: NullableInt('Last traded price (even when older than 24 h); null when the card never traded.'),
  bestBid: NullableInt('Best bid.'),
  bestAsk: NullableInt('Best ask.'),
  change: NullableInt('24 h change: last minus the last price before the window (else the first inside it).'),
  high: NullableInt('24 h high.'),
  low: NullableInt('24 h low.'),
  volume: Int('24 h volume in card units.'),
  trades: Type.Integer({ description: 'Trades in the last 24 h.' }),
  thin: Type.Boolean({ description: 'Fewer than 5 trades in 24 h: the prices say little.' }),
};
export const TickerReply = Type.Object(TickerFields);
export type TickerReply = Static<typeof TickerReply>;

export const TickersQuery = Type.Object(
  {
    cardIds: Type.Optional(
      Type.Array(Type.String({ format: 'uuid' }), {
        minItems: 1,
        maxItems: 100,
        description: 'Only these card variants (repeat the parameter).',
      }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);
export type TickersQuery = Static<typeof TickersQuery>;
export const TickersReply = Type.Object({ tickers: Type.Array(TickerReply) });
export type TickersReply = Static<typeof TickersReply>;

export const CandlesQuery = Type.Object(
  {
    interval: Type.Union(CANDLE_INTERVALS.map((i) => Type.Literal(i))),
    from: DateTime,
    to: DateTime,
  },
  { additionalProperties: false },
);
export const CandlesReply = Type.Object({
  cardId: Id,
  interval: Type.String(),
  thin: Type.Boolean({ description: 'The card has fewer than 5 trades in the last 24 h (now).' }),
  candles: Type.Array(
    Type.Object({
      start: DateTime,
      open: NullableInt('Open; null when the interval had no trades.'),
      high: NullableInt('High; null when the interval had no trades.'),
      low: NullableInt('Low; null when the interval had no trades.'),
      close: NullableInt('Close; null when the interval had no trades.'),
      volume: Int('Volume in card units (0 without trades).'),
      trades: Type.Integer(),
      thin: Type.Boolean({ description: 'Fewer than 5 trades in the 24 h ending with this interval.' }),
    }),
  ),
});
export type CandlesReply = Static<typeof CandlesReply>;

export const HistoryQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ description: 'nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);
const Hold = Type.Object({
  reason: Type.String(),
  releaseAt: DateTime,
  released: Type.Boolean(),
});
export const Fill = Type.Object({
  tradeId: Id,
  cardId: Id,
  side: Type.Union([Type.Literal('buy'), Type.Literal('sell')], { description: 'From your side of the trade.' }),
  role: Type.Union([Type.Literal('maker'), Type.Literal('taker')]),
  price: Int('Price per card.'),
  quantity: Int('Cards traded.'),
  fee: Int('Commission you paid on this fill (0 when the other side paid it).'),
  costBasis: NullableInt('Sells: FIFO cost of the cards sold, purchase fees included; null for buys.'),
  realised: NullableInt('Sells: proceeds net of your fee minus the cost basis; null for buys.'),
  uncoveredQuantity: Int('Sold cards with no recorded purchase (packs, gifts): left out of realised.'),
  ts: DateTime,
  hold: Type.Union([Hold, Type.Null()], {
    description: 'A fraud review hold on what you received in this trade, with its reason and release time.',
  }),
});
export const Position = Type.Object({
  cardId: Id,
  openQuantity: Int('Cards bought and not yet sold.'),
  openCost: Int('What those cards cost, fees included.'),
  averageCost: NullableInt('openCost / openQuantity rounded to the minor unit; null when nothing is open.'),
  realised: Int('Realised profit on this card, net of fees.'),
});
export const HistoryReply = Type.Object({
  items: Type.Array(Fill),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
  positions: Type.Array(Position),
  totalRealised: Int('Realised profit over every card, net of fees.'),
});
export type HistoryReply = Static<typeof HistoryReply>;
