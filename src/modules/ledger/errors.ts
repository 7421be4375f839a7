import { AppError, ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.ts';

/** The payer's available balance is smaller than the amount; nothing was written. */
export class InsufficientFundsError extends ConflictError {
  constructor(asset: string, available: bigint, requested: bigint) {
    super('insufficient_funds', `Insufficient ${asset} balance for this transfer`, {
      asset,
      available: available.toString(),
      requested: requested.toString(),
    });
  }
}

export class InvalidTransferError extends ValidationError {
  constructor(detail: string) {
    super(detail);
  }
}

export class UnknownAssetError extends AppError {
  constructor(asset: string) {
    super('unknown_asset', 422, `Asset ${asset} is not registered`, { asset });
  }
}

export class UnknownAccountError extends AppError {
  constructor(accountId: string) {
    super('unknown_account', 422, `Ledger account ${accountId} does not exist`, { accountId });
  }
}

export class TransferExistsError extends ConflictError {
  constructor(id: string) {
    super('transfer_exists', `Transfer ${id} was already recorded`, { transferId: id });
  }
}

export class TransferNotFoundError extends NotFoundError {
  constructor() {
    super('Transfer');
  }
}

export class TransferNotPendingError extends ConflictError {
  constructor(id: string, status: string) {
    super('transfer_not_pending', `Transfer ${id} is ${status}, not pending`, { transferId: id, status });
  }
}

export class PendingExpiredError extends ConflictError {
  constructor(id: string) {
    super('pending_expired', `Pending transfer ${id} has timed out and can only be voided`, { transferId: id });
  }
}

export class SelfTransferError extends AppError {
  constructor() {
    super('self_transfer', 422, 'You cannot transfer to yourself');
  }
}

export class RecipientNotFoundError extends AppError {
  constructor() {
    super('recipient_not_found', 404, 'No user matches this recipient');
  }
}

/** A bad amount, named as the field it came from so clients can point at it. */
export class AmountOutOfRangeError extends ValidationError {
  constructor(max: bigint) {
    super(`Invalid request: body.amount`, [{ field: 'body.amount', message: `must be between 1 and ${max}` }]);
  }
}

export class DailyLimitError extends AppError {
  constructor(kind: string, limit: bigint, used: bigint) {
    super('daily_limit_exceeded', 422, `This would exceed your daily ${kind} limit`, {
      kind,
      limit: limit.toString(),
      remaining: (limit > used ? limit - used : 0n).toString(),
    });
  }
}

export class PaymentNotFoundError extends NotFoundError {
  constructor() {
    super('Payment');
  }
}

export class PaymentNotRegisteredError extends ConflictError {
  constructor() {
    super('payment_not_registered', 'The payment provider has not registered this payment yet; retry shortly');
  }
}

export class UnknownProviderError extends NotFoundError {
  constructor() {
    super('Payment provider');
  }
}

/** A webhook that is not provably from the provider, or too old to trust; nothing was written. */
export class WebhookRejectedError extends AppError {
  constructor(code: 'invalid_signature' | 'stale_webhook' | 'malformed_webhook', detail: string) {
    super(code, 400, detail);
  }
}

export class PaymentMismatchError extends AppError {
  constructor(detail: string) {
    super('payment_mismatch', 422, detail);
  }
}

export class PayoutDestinationNotFoundError extends NotFoundError {
  constructor() {
    super('Payout destination');
  }
}

/** A user may keep only so many payout destinations in use; one must be removed first. */
export class PayoutDestinationLimitError extends AppError {
  constructor(limit: number) {
    super('payout_destination_limit', 422, `At most ${limit} payout destinations can be in use; remove one first`, {
      limit,
    });
  }
}

/** A withdrawal that names no destination when one is needed; nothing was written. */
export class PayoutDestinationRequiredError extends AppError {
  constructor() {
    super('payout_destination_required', 422, 'Choose a payout destination (body.destinationId) for this withdrawal');
  }
}

/** A destination too recently added to receive its first payout (a guard against account takeover). */
export class PayoutDestinationCoolingDownError extends AppError {
  constructor(usableFrom: Date) {
    super('payout_destination_cooling_down', 422, 'This payout destination was added too recently to be used yet', {
      usableFrom: usableFrom.toISOString(),
    });
  }
}

export class PayoutCountLimitError extends AppError {
  constructor(limit: number) {
    super('payout_count_exceeded', 422, `At most ${limit} withdrawals a day are allowed`, { limit });
  }
}

/** An admin decision on a payout that is no longer waiting for one (another admin decided first). */
export class PayoutNotInReviewError extends ConflictError {
  constructor(status: string) {
    super('payout_not_in_review', `This payout is ${status}, not waiting for review`, { status });
  }
}

/** Only a settled deposit can be refunded or disputed. */
export class PaymentNotRefundableError extends ConflictError {
  constructor(detail = 'Only a completed deposit can be refunded') {
    super('payment_not_refundable', detail);
  }
}

export class RefundExceedsRemainderError extends AppError {
  constructor(remainder: bigint) {
    super('refund_exceeds_remainder', 422, `At most ${remainder} can still be refunded on this payment`, {
      field: 'body.amount',
      remainder: remainder.toString(),
    });
  }
}

/** Coins taken back by a refund or dispute were already spent: cashing out and trading wait until repaid. */
export class AccountFrozenError extends AppError {
  constructor(owed: bigint) {
    super(
      'account_frozen',
      403,
      `Withdrawals and trading are frozen: ${owed} of a refunded or disputed deposit is unpaid. Deposits repay it first.`,
      { owed: owed.toString() },
    );
  }
}
