import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../../platform/http/errors.ts';

export class OfferNotFoundError extends NotFoundError {
  constructor() {
    super('Trade offer');
  }
}

export class RecipientNotFoundError extends AppError {
  constructor() {
    super('recipient_not_found', 404, 'No user matches this recipient');
  }
}

/** The recipient blocked the proposer: no offers from them. */
export class RecipientBlockedError extends AppError {
  constructor() {
    super('recipient_blocked', 403, 'This user does not accept trade offers from you');
  }
}

export class SelfTradeError extends AppError {
  constructor() {
    super('self_trade', 422, 'You cannot send a trade offer to yourself');
  }
}

export class EmptyOfferError extends AppError {
  constructor() {
    super('empty_offer', 422, 'An offer must give or ask for at least one card or some coins');
  }
}

export class DuplicateVariantError extends AppError {
  constructor(variantId: string) {
    super('duplicate_variant', 422, `Card variant ${variantId} is listed twice on one side`, { variantId });
  }
}

export class UnknownVariantError extends AppError {
  constructor(variantId: string) {
    super('unknown_variant', 422, `Card variant ${variantId} does not exist`, { variantId });
  }
}

export class TooManyOpenOffersError extends ConflictError {
  constructor(max: number) {
    super('too_many_open_offers', `You already have ${max} open offers; cancel one first`, { max });
  }
}

export class OfferNotOpenError extends ConflictError {
  constructor(status: string) {
    super('offer_not_open', `This offer is ${status}`, { status });
  }
}

export class NotYourTurnError extends ForbiddenError {
  constructor(action: string) {
    super(`Only the ${action === 'cancel' ? 'proposer' : 'recipient'} of this offer may ${action} it`);
  }
}
