import { ConflictError, NotFoundError } from '../../platform/http/errors.ts';

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
