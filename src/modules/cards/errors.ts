import {
  AppError,
  ConflictError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../platform/http/errors.ts';

export class CardNotFoundError extends NotFoundError {
  constructor() {
    super('Card');
  }
}

export class SetNotFoundError extends NotFoundError {
  constructor() {
    super('Set');
  }
}

export class PackNotFoundError extends NotFoundError {
  constructor() {
    super('Pack product');
  }
}

export class OpeningNotFoundError extends NotFoundError {
  constructor() {
    super('Opening');
  }
}

export class CollectionNotFoundError extends NotFoundError {
  constructor() {
    super('User');
  }
}

/** A bad field the schema cannot express (a cross-field rule, an unknown reference). */
export class InvalidFieldError extends ValidationError {
  constructor(field: string, message: string) {
    super(`Invalid request: ${field}`, [{ field, message }]);
  }
}

export class CardOwnedError extends ConflictError {
  constructor(circulating: bigint) {
    super('card_owned', 'Someone owns this card, so it cannot be deleted; retire it instead', {
      circulating: circulating.toString(),
    });
  }
}

export class CardInUseError extends ConflictError {
  constructor() {
    super('card_in_use', 'This card has been minted or pulled, so it cannot be deleted; retire it instead');
  }
}

export class SetNotEmptyError extends ConflictError {
  constructor() {
    super('set_not_empty', 'This set still has cards; delete or move them first, or retire the set');
  }
}

export class PackInUseError extends ConflictError {
  constructor() {
    super('pack_in_use', 'Packs of this product were sold, so it cannot be deleted; retire it instead');
  }
}

export class DuplicateError extends ConflictError {
  constructor(code: 'set_code_taken' | 'card_number_taken' | 'pack_name_taken', detail: string) {
    super(code, detail);
  }
}

export class MaxSupplyBelowMintedError extends ConflictError {
  constructor(minted: bigint) {
    super('max_supply_below_minted', 'The print run cannot be smaller than the copies already minted', {
      minted: minted.toString(),
    });
  }
}

export class PackRetiredError extends ConflictError {
  constructor() {
    super('pack_retired', 'This pack product is no longer sold or opened');
  }
}

export class PackNotOwnedError extends ConflictError {
  constructor() {
    super('pack_not_owned', 'You have no unopened pack of this product');
  }
}

export class PackSoldOutError extends ConflictError {
  constructor() {
    super('pack_sold_out', 'Every card this pack could hold is sold out');
  }
}

/** The caller opened against a commitment that no longer holds (seed, nonce, drop table or pity changed). */
export class CommitmentChangedError extends ConflictError {
  constructor(current: string) {
    super('commitment_changed', 'The commitment changed since you read it; read it again before opening', {
      commitment: current,
    });
  }
}

export class SeedNotRevealedError extends ConflictError {
  constructor() {
    super('seed_not_revealed', 'The server seed of this opening is still in use; rotate your seed to verify it');
  }
}

export class UpgradeUnavailableError extends ConflictError {
  constructor(detail: string) {
    super('upgrade_unavailable', detail);
  }
}

export class NotEnoughCopiesError extends ConflictError {
  constructor(needed: bigint, owned: bigint) {
    super('not_enough_copies', `This upgrade needs ${needed} copies; you own ${owned}`, {
      needed: needed.toString(),
      owned: owned.toString(),
    });
  }
}

export class CollectionPrivateError extends AppError {
  constructor() {
    super('collection_private', 403, 'This collection is private');
  }
}

/** The `owned` filter reads the caller's holdings, so an anonymous caller cannot use it. */
export class OwnedFilterNeedsSignInError extends UnauthorizedError {
  constructor() {
    super('The owned filter needs a signed-in caller');
  }
}
