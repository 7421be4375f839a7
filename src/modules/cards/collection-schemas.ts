import { Type } from 'typebox';
import { Card, CardFilterProps, Nullable, SetRef, Units, Uuid, Variant, closed } from './schemas.ts';

export const CollectionQuery = Type.Object(CardFilterProps, closed);

export const CollectionItem = Type.Object({
  card: Card,
  holdings: Type.Array(
    Type.Object({ variantId: Uuid, variant: Variant, asset: Type.String(), quantity: Units('Copies held') }),
  ),
  quantity: Units('Copies held, all variants'),
});

export const CollectionPage = Type.Object({
  items: Type.Array(CollectionItem),
  nextCursor: Nullable(Type.String()),
  totals: Type.Object({ distinctCards: Type.Integer(), copies: Units('Copies held in total') }),
});

export const SetCompletion = Type.Object({
  items: Type.Array(
    Type.Object({
      set: SetRef,
      ownedCards: Type.Integer({ description: 'Distinct cards of the set you own, any variant' }),
      totalCards: Type.Integer(),
      completion: Type.Number({ description: 'ownedCards / totalCards' }),
      complete: Type.Boolean(),
    }),
  ),
});

export const Wishlist = Type.Object({
  items: Type.Array(
    Type.Object({
      card: Card,
      variant: Nullable(Variant),
      note: Nullable(Type.String()),
      owned: Units('Copies you already own'),
      addedAt: Type.String({ format: 'date-time' }),
    }),
  ),
});

export const WishBody = Type.Object(
  {
    cardId: Uuid,
    variant: Type.Optional(Nullable(Variant)),
    note: Type.Optional(Nullable(Type.String({ maxLength: 280 }))),
  },
  closed,
);

export const WishDeleteQuery = Type.Object({ cardId: Uuid }, closed);

export const UsernameParams = Type.Object(
  { username: Type.String({ minLength: 3, maxLength: 24, pattern: '^[A-Za-z0-9_]+$' }) },
  closed,
);
