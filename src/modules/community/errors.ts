import { AppError, ConflictError, NotFoundError, ValidationError } from '../../platform/http/errors.ts';

/*
 * The community module's error codes. Anything a caller may not see is "not found" (404), never
 * "forbidden": a private strategy, its bots and hidden content do not reveal that they exist.
 */

export class SharedStrategyNotFoundError extends NotFoundError {
  constructor() {
    super('Strategy');
  }
}

export class SharedBotNotFoundError extends NotFoundError {
  constructor() {
    super('Bot');
  }
}

export class CommentNotFoundError extends NotFoundError {
  constructor() {
    super('Comment');
  }
}

export class CommunityUserNotFoundError extends NotFoundError {
  constructor() {
    super('User');
  }
}

export class ReportNotFoundError extends NotFoundError {
  constructor() {
    super('Report');
  }
}

/** One field of the request is wrong in a way its schema cannot say (a parent on another bot). */
export class InvalidFieldError extends ValidationError {
  constructor(field: string, message: string) {
    super(`Invalid request: ${field}`, [{ field, message }]);
  }
}

/** The strategy is shared protected: others see its performance, never its code. */
export class ForkNotAllowedError extends AppError {
  constructor() {
    super('fork_not_allowed', 403, 'This strategy is shared protected: only open strategies can be forked');
  }
}

/** The other user has blocked the caller. */
export class BlockedError extends AppError {
  constructor(detail: string) {
    super('blocked', 403, detail);
  }
}

export class SelfActionError extends AppError {
  constructor(detail: string, field: string) {
    super('self_action', 422, detail, { errors: [{ field, message: detail }] });
  }
}

export class EditWindowClosedError extends ConflictError {
  constructor(minutes: number) {
    super('edit_window_closed', `Comments can be edited for ${minutes} minutes after posting`, { minutes });
  }
}

export class CommentDeletedError extends ConflictError {
  constructor() {
    super('comment_deleted', 'This comment was deleted');
  }
}

export class ReportClosedError extends ConflictError {
  constructor(status: string) {
    super('report_closed', `This report is already ${status}`, { status });
  }
}

export class NotHiddenError extends NotFoundError {
  constructor() {
    super('Hidden content');
  }
}
