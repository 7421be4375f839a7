import { ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.ts';

export class AchievementNotFoundError extends NotFoundError {
  constructor() {
    super('Achievement');
  }
}

/** Bad input the schema cannot see (an unknown fact type in a rule); names the field. */
export class RewardsInputError extends ValidationError {
  constructor(field: string, message: string) {
    super(`Invalid request: ${field}`, [{ field, message }]);
  }
}

export class AlreadyCheckedInError extends ConflictError {
  constructor(day: string) {
    super('already_checked_in', `You already checked in today (${day}, UTC).`, { day });
  }
}

export class NotClaimableError extends ConflictError {
  constructor(reason: 'not_completed' | 'automatic' | 'already_claimed') {
    const detail = {
      not_completed: 'This achievement is not completed yet.',
      automatic: 'This achievement pays automatically; there is nothing to claim.',
      already_claimed: 'This reward was already claimed.',
    }[reason];
    super('not_claimable', detail, { reason });
  }
}

export class AchievementExistsError extends ConflictError {
  constructor(code: string) {
    super('achievement_exists', `An achievement with code ${code} exists already.`, { code });
  }
}
