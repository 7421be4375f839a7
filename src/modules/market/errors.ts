import { AppError, ConflictError, NotFoundError } from '../../platform/http/errors.ts';

export class UnknownCardError extends NotFoundError {
  constructor() {
    super('Card variant');
  }
}

/** A card id where a variant is meant, of a card with several variants: the reply names them. */
export class CardHasVariantsError extends AppError {
  constructor(variants: { id: string; variant: string }[]) {
    super(
      'card_has_variants',
      400,
      `This is a card with ${variants.length} variants, each with its own book; use one of their ids`,
      { variants },
    );
  }
}

/** The card left circulation: its book takes no new orders. */
export class CardRetiredError extends ConflictError {
  constructor() {
    super('card_retired', 'This card is retired; its market is closed');
  }
}

export class OrderNotFoundError extends NotFoundError {
  constructor() {
    super('Order');
  }
}

/** Quantity or price the book cannot take; nothing was written. */
export class InvalidOrderError extends AppError {
  constructor(code: 'invalid_quantity' | 'invalid_price' | 'off_tick' | 'invalid_expiry', detail: string, extra = {}) {
    super(code, 400, detail, extra);
  }
}

/** Fat-finger guard: the price is too far from the card's last trade. */
export class PriceOutOfBandError extends AppError {
  constructor(reason: string, min: bigint, max: bigint) {
    super('price_out_of_band', 422, `The price is outside the allowed band [${min}, ${max}] around the last trade`, {
      reason,
      min: Number(min),
      max: Number(max),
    });
  }
}

export class OrderNotOpenError extends ConflictError {
  constructor() {
    super('order_not_open', 'The order is already filled or cancelled');
  }
}
