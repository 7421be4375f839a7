import { AppError, ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.ts';

export class SocialUserNotFoundError extends NotFoundError {
  constructor() {
    super('User');
  }
}

export class MessageNotFoundError extends NotFoundError {
  constructor() {
    super('Message');
  }
}

export class MessageReportNotFoundError extends NotFoundError {
  constructor() {
    super('Report');
  }
}

/** Bad input the schema cannot see; names the field. */
export class SocialInputError extends ValidationError {
  constructor(field: string, message: string) {
    super(`Invalid request: ${field}`, [{ field, message }]);
  }
}

/** Acting on yourself where that makes no sense (messaging or following yourself). */
export class SelfActionError extends AppError {
  constructor(detail: string, field: string) {
    super('self_action', 422, detail, { field });
  }
}

/** One of the two has blocked the other. */
export class BlockedError extends AppError {
  constructor(detail = 'You cannot message this user') {
    super('blocked', 403, detail);
  }
}

/** A private collection is never matched: the caller must make theirs public first. */
export class NotMatchableError extends ConflictError {
  constructor() {
    super('collection_private', 'Make your collection public to be matched with other collectors');
  }
}

export class ReportResolvedError extends ConflictError {
  constructor(status: string) {
    super('report_resolved', `This report is already ${status}`, { status });
  }
}
