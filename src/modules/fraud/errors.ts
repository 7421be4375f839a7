import { ConflictError, ForbiddenError, NotFoundError } from '../../platform/http/errors.ts';

export class FlagNotFoundError extends NotFoundError {
  constructor() {
    super('Fraud flag');
  }
}

export class FlagAlreadyResolvedError extends ConflictError {
  constructor(outcome: string | null) {
    super('flag_resolved', 'This flag has already been resolved', { outcome });
  }
}

/** Nobody resolves a flag on their own trade. */
export class OwnFlagError extends ForbiddenError {
  constructor() {
    super('You are a party to this flagged trade; another admin must resolve it');
  }
}
