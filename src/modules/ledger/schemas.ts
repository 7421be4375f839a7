import { Type } from 'typebox';

const closed = { additionalProperties: false } as const;
const DateTime = Type.String({ format: 'date-time' });
const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/**
 * Integer minor units (1 coin = 100) in JSON, a bigint in code: balances can pass 2^53, and the
 * serializer writes a bigint as a plain JSON integer.
 */
const Units = (description: string) => Type.Unsafe<bigint>(Type.Integer({ description }));

export const Amount = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'Minor units, an integer above zero: 1 coin = 100 (the configured maximum applies)',
  example: 2500,
});

export const TransferBody = Type.Object(
  {
    to: Type.String({
      minLength: 1,
      maxLength: 64,
      description: "The recipient's username (any case) or user id",
      example: 'ada_l',
    }),
    amount: Amount,
    memo: Type.Optional(Type.String({ maxLength: 280, description: 'Shown to the recipient' })),
  },
  closed,
);

export const AmountBody = Type.Object({ amount: Amount }, closed);

export const Balance = Type.Object({
  asset: Type.String({ example: 'COIN' }),
  available: Units('Spendable now'),
  held: Units('Reserved by pending transfers (withdrawals, open orders)'),
  total: Units('available + held'),
});

export const BalanceReply = Type.Object({ balances: Type.Array(Balance) });

export const Counterparty = Type.Object({
  accountId: Uuid,
  type: Type.Union([Type.Literal('user'), Type.Literal('system'), Type.Literal('escrow')]),
  userId: Nullable(Uuid),
  username: Nullable(Type.String()),
  /** System account code (`mint`, `gateway`, `fees`) or escrow purpose. */
  label: Nullable(Type.String()),
});

export const TransferStatus = Type.Union([Type.Literal('posted'), Type.Literal('pending'), Type.Literal('voided')]);

export const TransactionItem = Type.Object({
  id: Uuid,
  kind: Type.String(),
  status: TransferStatus,
  asset: Type.String(),
  amount: Units('Signed from your point of view: negative when value left your wallet'),
  counterparty: Nullable(Counterparty),
  balanceAfter: Units('Your available balance of this asset after the transfer'),
  memo: Nullable(Type.String()),
  reference: Nullable(Type.String()),
  createdAt: DateTime,
});

export const TransactionsQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    kind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_.-]{0,63}$', example: 'wallet.transfer' })),
    asset: Type.Optional(Type.String({ pattern: '^[A-Z0-9][A-Z0-9_.:-]{0,63}$', example: 'COIN' })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after (inclusive)' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before (exclusive)' })),
  },
  closed,
);

export const TransactionsPage = Type.Object({
  items: Type.Array(TransactionItem),
  nextCursor: Nullable(Type.String()),
});

export const LegView = Type.Object({ from: Uuid, to: Uuid, asset: Type.String(), amount: Units('Above zero') });

export const TransferDetail = Type.Object({
  id: Uuid,
  kind: Type.String(),
  status: TransferStatus,
  reference: Nullable(Type.String()),
  memo: Nullable(Type.String()),
  createdAt: DateTime,
  resolvedAt: Nullable(DateTime),
  timeoutAt: Nullable(DateTime),
  legs: Type.Array(LegView),
});

export const IdParams = Type.Object({ id: Uuid }, closed);

export const TransferReply = Type.Object({
  id: Uuid,
  kind: Type.String(),
  status: TransferStatus,
  asset: Type.String(),
  amount: Units('Amount sent'),
  memo: Nullable(Type.String()),
  createdAt: DateTime,
  to: Type.Object({ userId: Uuid, username: Type.String() }),
  balance: Balance,
});

const paymentStatuses = [
  Type.Literal('review'),
  Type.Literal('pending'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
] as const;
export const PaymentStatus = Type.Union([...paymentStatuses], {
  description: '`review`: a payout above the review threshold, held until an admin approves or rejects it',
});

export const Payment = Type.Object({
  id: Uuid,
  direction: Type.Union([Type.Literal('deposit'), Type.Literal('payout')]),
  status: PaymentStatus,
  amount: Units('Coin minor units'),
  provider: Type.String(),
  checkoutUrl: Nullable(Type.String({ description: 'Where the payer completes a deposit' })),
  transferId: Nullable(Uuid),
  destinationId: Nullable(Uuid),
  createdAt: DateTime,
});

export const WithdrawBody = Type.Object(
  {
    amount: Amount,
    destinationId: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'One of your payout destinations. Required once you have added one, and always with a provider that ' +
          'moves real money; with the sandbox and no destinations it may be left out.',
      }),
    ),
  },
  closed,
);

export const WithdrawReply = Type.Object({ payment: Payment, balance: Balance });
export const DepositReply = Type.Object({ payment: Payment });

export const Violation = Type.Object({
  check: Type.String(),
  asset: Type.String(),
  accountId: Type.Optional(Uuid),
  transferId: Type.Optional(Uuid),
  expected: Type.String(),
  actual: Type.String(),
});

export const ReconcileReply = Type.Object({
  ok: Type.Boolean(),
  checkedAt: DateTime,
  counts: Type.Record(Type.String(), Type.Integer()),
  violations: Type.Array(Violation),
  size: Type.Object({ transfers: Type.Integer(), entries: Type.Integer(), balances: Type.Integer() }),
});

export const AuditQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'From the previous page' })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Actor id (user id, job)' })),
    action: Type.Optional(Type.String({ minLength: 1, maxLength: 128, example: 'wallet.transfer' })),
    targetType: Type.Optional(Type.String({ minLength: 1, maxLength: 64, example: 'transfer' })),
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Target id' })),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
  },
  closed,
);

export const AuditItem = Type.Object({
  id: Type.String(),
  occurredAt: DateTime,
  actorType: Type.String(),
  actorId: Nullable(Type.String()),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.String(),
  asset: Nullable(Type.String()),
  // `nullable` rather than a union: the serializer can only write a bigint through a plain integer schema.
  amount: Type.Unsafe<bigint | null>({
    type: 'integer',
    nullable: true,
    description: 'Minor units, when one amount applies',
  }),
  ip: Nullable(Type.String()),
  userAgent: Nullable(Type.String()),
  requestId: Nullable(Type.String()),
  details: Type.Unknown(),
});

export const AuditPage = Type.Object({ items: Type.Array(AuditItem), nextCursor: Nullable(Type.String()) });

export const WebhookParams = Type.Object({ provider: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }) }, closed);
export const WebhookReply = Type.Object({
  received: Type.Boolean(),
  outcome: Type.Union([Type.Literal('applied'), Type.Literal('duplicate'), Type.Literal('ignored')]),
});

export const SettleBody = Type.Object(
  { outcome: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]) },
  closed,
);
export const PaymentIdParams = IdParams;

export const RefundBody = Type.Object(
  {
    amount: Type.Optional({ ...Amount, description: 'Minor units to refund; default: all that is left to refund' }),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  closed,
);

/** A refund or dispute of a deposit, as the ledger applied it. */
export const Reversal = Type.Object({
  id: Uuid,
  paymentId: Uuid,
  kind: Type.Union([Type.Literal('refund'), Type.Literal('dispute')]),
  status: Type.Union(
    ['pending', 'submitted', 'succeeded', 'failed', 'open', 'won', 'lost'].map((s) => Type.Literal(s)),
    { description: 'refund: pending → submitted → succeeded, or failed (coins returned); dispute: open → won | lost' },
  ),
  amount: Units('Coin minor units taken back'),
  shortfall: Units('Part the wallet could not cover, still owed by the user (withdrawals and trading frozen)'),
  createdAt: DateTime,
});
export const RefundReply = Type.Object({ refund: Reversal });

export const DestinationKind = Type.Union([Type.Literal('stripe_account'), Type.Literal('bank_account')]);

/** One flat body for both kinds: which fields a kind needs is checked after the schema, naming the field. */
export const DestinationBody = Type.Object(
  {
    kind: DestinationKind,
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Your own name for it' })),
    accountId: Type.Optional(
      Type.String({ pattern: '^acct_[A-Za-z0-9]{8,64}$', description: 'stripe_account: the Connect account id' }),
    ),
    holderName: Type.Optional(Type.String({ minLength: 1, maxLength: 140, description: 'bank_account' })),
    iban: Type.Optional(
      Type.String({ minLength: 15, maxLength: 42, description: 'bank_account: an IBAN (spaces allowed)' }),
    ),
    accountNumber: Type.Optional(
      Type.String({ pattern: '^[0-9]{4,17}$', description: 'bank_account without IBAN: the account number' }),
    ),
    routingNumber: Type.Optional(
      Type.String({ pattern: '^[0-9]{9}$', description: 'bank_account without IBAN: the ABA routing number' }),
    ),
  },
  closed,
);

export const Destination = Type.Object({
  id: Uuid,
  kind: DestinationKind,
  label: Nullable(Type.String()),
  masked: Type.String({ description: 'The last four characters only', example: '••••1234' }),
  createdAt: DateTime,
  usableFrom: Type.String({ format: 'date-time', description: 'When it can receive its first payout' }),
});

export const DestinationList = Type.Object({ items: Type.Array(Destination) });

export const PayoutsQuery = Type.Object(
  {
    status: Type.Union([...paymentStatuses], { default: 'review' }),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'From the previous page' })),
  },
  closed,
);

export const PayoutItem = Type.Object({
  id: Uuid,
  userId: Uuid,
  status: PaymentStatus,
  amount: Units('Coin minor units'),
  provider: Type.String(),
  destination: Nullable(Type.Object({ id: Uuid, kind: DestinationKind, masked: Type.String() })),
  failureReason: Nullable(Type.String()),
  createdAt: DateTime,
});

export const PayoutsPage = Type.Object({ items: Type.Array(PayoutItem), nextCursor: Nullable(Type.String()) });

export const RejectBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 500, description: 'Kept with the payout and its audit row' }) },
  closed,
);
