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
