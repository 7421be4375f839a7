import { AppError } from '../../platform/http/errors.ts';

export class NothingToMarkError extends AppError {
  constructor() {
    super('validation_failed', 400, 'Invalid request: send body.ids or body.all', {
      errors: [{ field: 'body.ids', message: 'or body.all is required' }],
    });
  }
}
