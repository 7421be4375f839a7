import { AppError, ConflictError, ForbiddenError, NotFoundError } from '../../platform/http/errors.ts';

export class InvalidCredentialsError extends AppError {
  constructor() {
    super('invalid_credentials', 401, 'The email or password is wrong', {}, { 'www-authenticate': 'Bearer' });
  }
}

export class AccountBannedError extends AppError {
  constructor() {
    super('account_banned', 403, 'This account is banned');
  }
}

export class InvalidRefreshTokenError extends AppError {
  constructor(detail = 'The refresh token is invalid or expired') {
    super('invalid_refresh_token', 401, detail);
  }
}

export class RefreshTokenReusedError extends AppError {
  constructor() {
    super(
      'refresh_token_reused',
      401,
      'This refresh token was already used; the session has been ended for safety. Sign in again.',
    );
  }
}

export class CsrfError extends AppError {
  constructor() {
    super('csrf_failed', 403, 'The x-csrf-token header must match the __Host-ece_csrf cookie');
  }
}

export class MissingCredentialError extends AppError {
  constructor() {
    super('refresh_token_required', 401, 'Send refreshToken in the body, or the refresh cookie with x-csrf-token');
  }
}

export class InvalidTokenError extends AppError {
  constructor() {
    super('invalid_token', 400, 'The link is invalid, expired or already used', {
      errors: [{ field: 'body.token', message: 'is invalid, expired or already used' }],
    });
  }
}

export class WeakPasswordError extends AppError {
  constructor(field: string, reason: string, suggestions: string[]) {
    super('weak_password', 400, `The password is too easy to guess: ${reason}`, {
      errors: [{ field, message: reason }],
      suggestions,
    });
  }
}

export class WrongPasswordError extends AppError {
  constructor(field: string) {
    super('wrong_password', 403, 'The current password is wrong', {
      errors: [{ field, message: 'is wrong' }],
    });
  }
}

export class EmailNotVerifiedError extends AppError {
  constructor() {
    super('email_not_verified', 403, 'Verify your email address first');
  }
}

export class TooManyAttemptsError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(
      'too_many_attempts',
      429,
      `Too many failed attempts; retry in ${retryAfterSeconds} s`,
      { retryAfter: retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    );
  }
}

export class UsernameTakenError extends ConflictError {
  constructor() {
    super('username_taken', 'This username is taken', { errors: [{ field: 'body.username', message: 'is taken' }] });
  }
}

export class InvalidFieldError extends AppError {
  constructor(code: string, field: string, message: string) {
    super(code, 400, `Invalid request: ${field} ${message}`, { errors: [{ field, message }] });
  }
}

export class UserNotFoundError extends NotFoundError {
  constructor() {
    super('The user');
  }
}

export class SessionNotFoundError extends NotFoundError {
  constructor() {
    super('The session');
  }
}

export class RoleChangeForbiddenError extends AppError {
  constructor(code: 'cannot_change_own_role' | 'last_admin', detail: string) {
    super(code, 409, detail);
  }
}

export class OutrankedError extends ForbiddenError {
  constructor() {
    super('You can only act on accounts ranked below your own role');
  }
}
