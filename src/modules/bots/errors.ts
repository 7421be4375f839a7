import {
  AppError,
  ConflictError,
  NotFoundError,
  ValidationError,
  type FieldProblem,
} from '../../platform/http/errors.ts';

export class BotNotFoundError extends NotFoundError {
  constructor() {
    super('Bot');
  }
}

export class StrategyNotFoundError extends NotFoundError {
  constructor() {
    super('Strategy');
  }
}

export class BacktestNotFoundError extends NotFoundError {
  constructor() {
    super('Backtest');
  }
}

/** A rules document or strategy code that cannot run; `errors` name the place inside it. */
export class InvalidStrategyError extends ValidationError {
  constructor(detail: string, errors: FieldProblem[]) {
    super(detail, errors);
  }
}

export class UnknownCardsError extends ValidationError {
  constructor(errors: FieldProblem[]) {
    super('Some cards do not exist', errors);
  }
}

export class BotLimitError extends ConflictError {
  constructor(limit: number) {
    super('bot_limit', `You already have the most bots allowed (${limit})`, { limit });
  }
}

/** The action does not fit the bot's state (start a running bot, edit a live one). */
export class BotStateError extends ConflictError {
  constructor(status: string, detail: string) {
    super('bot_state', detail, { status });
  }
}

export class AllocationError extends AppError {
  constructor(detail: string) {
    super('insufficient_funds', 422, detail);
  }
}

export class BacktestFinishedError extends ConflictError {
  constructor(status: string) {
    super('backtest_finished', `This backtest has already ${status === 'done' ? 'finished' : status}`, { status });
  }
}
