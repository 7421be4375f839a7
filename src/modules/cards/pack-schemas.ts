import { Type, type Static } from 'typebox';
import { IdempotencyHeaders } from '../../platform/http/idempotency.ts';
import { RARITIES } from './rarity.ts';
import { Card, DateTime, Nullable, Rarity, Units, Uuid, Variant, closed } from './schemas.ts';

const Weight = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const Weights = Type.Object(Object.fromEntries(RARITIES.map((r) => [r, Type.Optional(Weight)])), {
  ...closed,
  description: 'Integer weight per rarity; a rarity drawn with probability weight / total of the slot',
});
const Slot = Type.Object({ weights: Weights }, closed);
const Pity = Type.Object(
  {
    rarity: Rarity,
    packs: Type.Integer({ minimum: 1, maximum: 1000, description: 'At least one such card within this many packs' }),
  },
  closed,
);
const PackName = Type.String({ minLength: 1, maxLength: 100 });
const SetIds = Type.Array(Uuid, { maxItems: 50, uniqueItems: true, description: 'Sets drawn from; empty = all' });

export const PackCreateBody = Type.Object(
  {
    name: PackName,
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    price: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Coin minor units' }),
    setIds: Type.Optional(SetIds),
    slots: Type.Array(Slot, { minItems: 1, maxItems: 10 }),
    pity: Type.Optional(Nullable(Pity)),
  },
  closed,
);
export type PackCreate = Static<typeof PackCreateBody>;

export const PackUpdateBody = Type.Object(
  {
    name: Type.Optional(PackName),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    price: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    setIds: Type.Optional(SetIds),
    slots: Type.Optional(Type.Array(Slot, { minItems: 1, maxItems: 10 })),
    pity: Type.Optional(Nullable(Pity)),
    retired: Type.Optional(
      Type.Boolean({ description: 'Retired products are no longer sold; owned packs still open' }),
    ),
  },
  { ...closed, minProperties: 1 },
);
export type PackUpdate = Static<typeof PackUpdateBody>;

const SlotOdds = Type.Object({
  slot: Type.Integer(),
  totalWeight: Type.Integer(),
  rarities: Type.Array(Type.Object({ rarity: Rarity, weight: Type.Integer(), probability: Type.Number() })),
});
const PerPack = {
  perPack: Type.Number({ description: 'Expected copies in a regular pack' }),
  perPityPack: Type.Number({ description: 'Expected copies in the pity pack' }),
  longRunPerPack: Type.Number({ description: 'Expected copies per pack over time, pity included' }),
};
export const Odds = Type.Object({
  slots: Type.Array(SlotOdds),
  pitySlot: Nullable(SlotOdds),
  pity: Nullable(
    Type.Object({
      rarity: Rarity,
      packs: Type.Integer(),
      regularPackHitChance: Type.Number(),
      longRunPityShare: Type.Number(),
    }),
  ),
  rarities: Type.Array(Type.Object({ rarity: Rarity, eligibleCards: Type.Integer(), ...PerPack })),
  cards: Type.Optional(Type.Array(Type.Object({ cardId: Uuid, rarity: Rarity, ...PerPack }))),
});

export const PackProduct = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  price: Units('Coin minor units'),
  setIds: Type.Array(Uuid),
  slots: Type.Array(Slot),
  pity: Nullable(Pity),
  asset: Type.String({ description: 'Ledger asset code of a sealed pack' }),
  retired: Type.Boolean(),
  dropTableHash: Type.String({ description: 'SHA-256 of the exact drop table (canonical JSON)' }),
  odds: Odds,
  createdAt: DateTime,
  updatedAt: DateTime,
});
export const PackList = Type.Object({ items: Type.Array(PackProduct) });
export const PackListQuery = Type.Object({ includeRetired: Type.Boolean({ default: false }) }, closed);

export const PurchaseBody = Type.Object(
  { quantity: Type.Integer({ minimum: 1, maximum: 20, default: 1 }) },
  { ...closed, default: {} },
);
export const PurchaseReply = Type.Object({
  packId: Uuid,
  quantity: Type.Integer(),
  paid: Units('Coin minor units paid'),
  packsOwned: Units('Unopened packs of this product you now hold'),
  transferId: Uuid,
});

export const OpenBody = Type.Object(
  {
    packId: Uuid,
    commitment: Type.Optional(
      Type.String({
        pattern: '^[0-9a-f]{64}$',
        description: 'The commitment you read from GET /api/fairness/commitment: refused (409) if anything changed',
      }),
    ),
  },
  closed,
);

export const Proof = Type.Object({
  serverSeedHash: Type.String(),
  clientSeed: Type.String(),
  nonce: Units('Nonce of this draw'),
  dropTableHash: Nullable(Type.String()),
  pityCounter: Nullable(Type.Integer()),
  commitment: Nullable(Type.String()),
  algorithm: Type.String(),
});

export const OpeningReply = Type.Object({
  id: Uuid,
  packId: Uuid,
  cards: Type.Array(Type.Object({ slot: Type.Integer(), variant: Variant, card: Card })),
  pityApplied: Type.Boolean(),
  pityBefore: Type.Integer(),
  pityAfter: Type.Integer(),
  createdAt: DateTime,
  proof: Proof,
});

export const UpgradeRecipe = Type.Object({
  from: Variant,
  to: Variant,
  copies: Units('Copies of `from` burned'),
  fee: Units('Coin minor units'),
  successBps: Type.Integer({ description: 'Chance of success in basis points (10000 = certain)' }),
  successChance: Type.Number(),
  hash: Type.String({
    description:
      'SHA-256 of the recipe (canonical JSON): the commitment of an attempt is ' +
      'SHA-256("serverSeedHash:clientSeed:nonce:hash:0")',
  }),
});
export const UpgradeInfo = Type.Object({
  cardId: Uuid,
  rarity: Rarity,
  maxLevel: Type.Integer(),
  onFailure: Type.String(),
  recipes: Type.Array(UpgradeRecipe),
});
export const UpgradeBody = Type.Object(
  { from: Variant, commitment: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })) },
  closed,
);
export const UpgradeReply = Type.Object({
  id: Uuid,
  cardId: Uuid,
  from: Variant,
  to: Variant,
  success: Type.Boolean(),
  roll: Type.Integer({ description: 'Uniform in [0, 10000); success when below successBps' }),
  successBps: Type.Integer(),
  copiesBurned: Units('Copies of `from` burned'),
  fee: Units('Coin minor units paid'),
  createdAt: DateTime,
  proof: Proof,
});

export { IdempotencyHeaders };
