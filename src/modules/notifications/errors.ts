import { AppError } from '../../platform/http/errors.ts';

export class InvalidCursorError extends AppError {
  constructor() {
    super('invalid_cursor', 400, 'Invalid request: query.cursor is not a cursor from a previous page', {
      errors: [{ field: 'query.cursor', message: 'is invalid' }],
    });
  }
}

export class NothingToMarkError extends AppError {
  constructor() {
    super('validation_failed', 400, 'Invalid request: send body.ids or body.all', {
      errors: [{ field: 'body.ids', message: 'or body.all is required' }],
    });
  }
}
