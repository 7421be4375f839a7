import { Type, type Static } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const DateTime = Type.String({ format: 'date-time' });

const CardInput = Type.Object(
  {
    variantId: Uuid,
    quantity: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Copies of this variant' }),
  },
  { additionalProperties: false },
);

export const ItemsInput = Type.Object(
  {
    cards: Type.Array(CardInput, { maxItems: 50, default: [] }),
    coins: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Minor units (1 coin = 100)' }),
  },
  { additionalProperties: false },
);
export type ItemsInput = Static<typeof ItemsInput>;

const Message = Type.String({ maxLength: 500 });

export const CounterBody = Type.Object(
  {
    offered: ItemsInput,
    requested: ItemsInput,
    message: Type.Optional(Message),
  },
  { additionalProperties: false },
);

export const ProposeBody = Type.Object(
  {
    to: Type.String({ minLength: 1, maxLength: 64, description: 'The recipient: a username or a user id' }),
    offered: ItemsInput,
    requested: ItemsInput,
    message: Type.Optional(Message),
  },
  { additionalProperties: false },
);

const Items = Type.Object({
  cards: Type.Array(Type.Object({ variantId: Uuid, quantity: Type.Integer() })),
  coins: Type.Integer(),
});

export const Offer = Type.Object({
  id: Uuid,
  proposerId: Uuid,
  recipientId: Uuid,
  offered: Items,
  requested: Items,
  message: Type.Union([Type.String(), Type.Null()]),
  status: Type.String({ description: 'open, accepted, declined, cancelled, expired or countered' }),
  replacesId: Type.Union([Uuid, Type.Null()]),
  createdAt: DateTime,
  expiresAt: DateTime,
  closedAt: Type.Union([DateTime, Type.Null()]),
  hold: Type.Union(
    [
      Type.Object({
        reason: Type.String({ description: 'Why what was received in this trade is held' }),
        releaseAt: DateTime,
        released: Type.Boolean(),
      }),
      Type.Null(),
    ],
    { description: 'A review hold on items received in this trade, or null' },
  ),
});

export const OfferPage = Type.Object({ items: Type.Array(Offer), nextCursor: Type.Union([Uuid, Type.Null()]) });

export const ListQuery = Type.Object(
  {
    box: Type.Union([Type.Literal('incoming'), Type.Literal('outgoing'), Type.Literal('history')], {
      default: 'incoming',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'From the previous page' })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
