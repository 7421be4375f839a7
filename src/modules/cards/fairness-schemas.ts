import { Type } from 'typebox';
import { Nullable, Units, Uuid, closed } from './schemas.ts';

const SeedState = {
  serverSeedHash: Type.String({ description: 'SHA-256 of the server seed, published before use' }),
  clientSeed: Type.String(),
  nonce: Units('Number of the next draw with this seed'),
  createdAt: Type.String({ format: 'date-time' }),
};

export const Commitment = Type.Object({
  ...SeedState,
  algorithm: Type.String(),
  packs: Type.Array(
    Type.Object({
      packId: Uuid,
      name: Type.String(),
      dropTableHash: Type.String(),
      pityCounter: Type.Integer(),
      commitment: Type.String({
        description: 'SHA-256("serverSeedHash:clientSeed:nonce:dropTableHash:pityCounter"); send it when opening',
      }),
    }),
  ),
});

export const ClientSeedBody = Type.Object(
  {
    clientSeed: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[\\x21-\\x7E]+$',
      description: 'Printable ASCII',
    }),
  },
  closed,
);

export const RotateReply = Type.Object({
  revealed: Type.Object({
    ...SeedState,
    serverSeed: Type.String({ description: 'The seed itself: every draw made with it can now be recomputed' }),
    revealedAt: Type.String({ format: 'date-time' }),
  }),
  next: Type.Object(SeedState),
});

const Pull = Type.Object({ slot: Type.Integer(), rarity: Type.String(), cardId: Type.String() });

export const VerifyReply = Type.Object({
  kind: Type.Union([Type.Literal('opening'), Type.Literal('upgrade')]),
  id: Uuid,
  valid: Type.Boolean(),
  checks: Type.Object({
    serverSeedMatchesCommitment: Type.Boolean(),
    dropTableMatchesCommitment: Nullable(Type.Boolean()),
    pullsMatch: Nullable(Type.Boolean()),
    rollMatches: Nullable(Type.Boolean()),
  }),
  algorithm: Type.String(),
  howToVerify: Type.String({ description: 'Where the procedure is specified and how to check this record offline' }),
  serverSeed: Type.String(),
  serverSeedHash: Type.String(),
  clientSeed: Type.String(),
  nonce: Units('Nonce of the draw'),
  opening: Nullable(
    Type.Object({
      dropTableHash: Type.String(),
      dropTable: Type.Unknown({ description: 'The exact drop table the opening used' }),
      pityCounter: Type.Integer(),
      pityApplied: Type.Boolean(),
      supply: Type.Record(Type.String(), Type.Integer(), { description: 'Copies left of capped cards' }),
      pulls: Type.Array(Pull),
      recomputed: Type.Array(Pull),
    }),
  ),
  upgrade: Nullable(Type.Object({ successBps: Type.Integer(), roll: Type.Integer(), success: Type.Boolean() })),
});

export const OpeningIdParams = Type.Object({ openingId: Uuid }, closed);
