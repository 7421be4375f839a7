import { Type } from 'typebox';
import { Nullable, Units, Uuid, Variant, closed } from './schemas.ts';

export const CardStatsReply = Type.Object({
  cardId: Uuid,
  maxSupply: Nullable(Type.Integer({ description: 'Print run' })),
  minted: Units('Copies ever issued, all variants'),
  circulating: Units('Copies held by anyone now (ledger balances)'),
  burned: Units('Copies returned to the mint by upgrades'),
  holders: Type.Integer({ description: 'Owners holding at least one copy of any variant' }),
  variants: Type.Array(
    Type.Object({
      variant: Variant,
      asset: Type.String(),
      minted: Units('Issued'),
      circulating: Units('Held by anyone'),
      burned: Units('Returned to the mint'),
      holders: Type.Integer({ description: 'Owners holding at least one copy' }),
    }),
  ),
  pulls: Type.Object({
    observed: Type.Integer({ description: 'Times this card came out of a pack' }),
    expected: Type.Number({ description: 'Expected from the configured odds of the openings made' }),
    pValue: Nullable(Type.Number({ description: 'Chi-square test of observed against expected' })),
    byPack: Type.Array(
      Type.Object({
        packId: Uuid,
        name: Type.String(),
        openings: Type.Integer(),
        observed: Type.Integer(),
        expected: Type.Number(),
      }),
    ),
  }),
});

export const HistoryQuery = Type.Object(
  {
    bucket: Type.Enum(['day', 'week', 'month'], { default: 'day' }),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  closed,
);

export const HistoryReply = Type.Object({
  cardId: Uuid,
  bucket: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  items: Type.Array(
    Type.Object({
      period: Type.String({ format: 'date-time' }),
      pulled: Type.Integer({ description: 'Copies pulled from packs' }),
      upgradeAttempts: Type.Integer(),
      upgradedInto: Type.Integer({ description: 'Higher variants minted by successful upgrades' }),
      burned: Units('Copies burned by upgrade attempts'),
    }),
  ),
});
