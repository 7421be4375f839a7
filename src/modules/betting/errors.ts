import { AppError, ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.ts';

export class EventNotFoundError extends NotFoundError {
  constructor() {
    super('Event');
  }
}

export class MarketNotFoundError extends NotFoundError {
  constructor() {
    super('Market');
  }
}

export class BetNotFoundError extends NotFoundError {
  constructor() {
    super('Bet');
  }
}

/** Bad input found by the rules (not the schema): `field` names where, as `body.stake`. */
export class BettingInputError extends ValidationError {
  constructor(field: string, message: string) {
    super(`Invalid request: ${field} ${message}`, [{ field, message }]);
  }
}

/** The odds moved past what the user accepted: nothing was placed; `currentOdds` is the new price. */
export class OddsChangedError extends ConflictError {
  constructor(currentOdds: number | null, seenOdds: number) {
    super('odds_changed', 'The odds have changed; place the bet again at the new odds', { currentOdds, seenOdds });
  }
}

/** The market does not take bets now (closed, suspended, settled or void). */
export class MarketClosedError extends ConflictError {
  constructor(status: string, detail = 'This market is not taking bets') {
    super('market_closed', detail, { status });
  }
}

/** The action does not fit the market's state (settle a settled market, void a settled one). */
export class MarketStateError extends ConflictError {
  constructor(status: string, detail: string) {
    super('market_state', detail, { status });
  }
}

export class BetNotCancellableError extends ConflictError {
  constructor(detail: string) {
    super('bet_not_cancellable', detail);
  }
}

/** A risk limit refuses the bet; `field` is the input it concerns and `limit` the limit. */
export class RiskLimitError extends AppError {
  constructor(code: string, field: string, detail: string, limit: bigint) {
    super(code, 422, detail, { field, limit: limit.toString(), errors: [{ field, message: detail }] });
  }
}

/** Responsible play: self-excluded, cooling off, over a limit or age not confirmed. */
export class ResponsiblePlayError extends AppError {
  constructor(code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(code, 403, detail, extra);
  }
}

export class InsufficientBalanceError extends AppError {
  constructor() {
    super('insufficient_funds', 422, 'Your wallet does not hold enough coins for this stake', {
      errors: [{ field: 'body.stake', message: 'is more than your available balance' }],
    });
  }
}

/** A card-price event on a card without enough recent trades to price it fairly. */
export class ThinMarketError extends AppError {
  constructor(trades: number, required: number) {
    super(
      'thin_market',
      422,
      `This card traded ${trades} times in the last 30 days; price events need at least ${required}`,
      { trades, required, errors: [{ field: 'body.variantId', message: 'trades too thinly to host a price event' }] },
    );
  }
}
