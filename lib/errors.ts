/** One field-level problem inside a `validation_failed` response. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Base of every error a client may see. `code` is the stable contract clients switch on;
 * `expose` follows middy's convention (only < 500 messages reach the client).
 * Names are string literals because minifiers rename classes.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly expose: boolean;
  constructor(
    readonly statusCode: number,
    readonly code: string,
    readonly title: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.expose = statusCode < 500;
  }
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(readonly errors: FieldError[]) {
    super(400, 'validation_failed', 'Validation failed', 'The request body is not valid.');
  }
}

export class MalformedJsonError extends AppError {
  override name = 'MalformedJsonError';
  constructor() {
    super(400, 'malformed_json', 'Malformed JSON', 'The request body is not valid JSON.');
  }
}

export class UnauthorizedError extends AppError {
  override name = 'UnauthorizedError';
  /** `tokenSent`: a token was presented but is not acceptable (RFC 6750 `invalid_token`). */
  constructor(tokenSent: boolean) {
    super(401, 'unauthorized', 'Unauthorized', 'A valid access token is required.', {
      'WWW-Authenticate': tokenSent ? 'Bearer error="invalid_token"' : 'Bearer',
    });
  }
}

export class InvalidCredentialsError extends AppError {
  override name = 'InvalidCredentialsError';
  constructor() {
    super(401, 'invalid_credentials', 'Invalid credentials', 'The email or password is incorrect.');
  }
}

export class InvalidRefreshTokenError extends AppError {
  override name = 'InvalidRefreshTokenError';
  constructor() {
    super(
      401,
      'invalid_refresh_token',
      'Invalid refresh token',
      'The refresh token is invalid, expired or spent.',
    );
  }
}

export class CurrentPasswordIncorrectError extends AppError {
  override name = 'CurrentPasswordIncorrectError';
  constructor() {
    super(
      403,
      'current_password_incorrect',
      'Current password incorrect',
      'The current password is incorrect.',
    );
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(message = 'The requested resource does not exist.') {
    super(404, 'not_found', 'Not found', message);
  }
}

export class MethodNotAllowedError extends AppError {
  override name = 'MethodNotAllowedError';
  constructor(allowed: string[]) {
    super(405, 'method_not_allowed', 'Method not allowed', `Allowed methods: ${allowed.join(', ')}.`, {
      Allow: allowed.join(', '),
    });
  }
}

export class EmailTakenError extends AppError {
  override name = 'EmailTakenError';
  constructor() {
    super(409, 'email_taken', 'Email taken', 'An account with this email already exists.');
  }
}

export class PayloadTooLargeError extends AppError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super(413, 'payload_too_large', 'Payload too large', `The request body exceeds ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError';
  constructor(accepted: string[]) {
    super(
      415,
      'unsupported_media_type',
      'Unsupported media type',
      `Send the body as ${accepted.join(' or ')}.`,
    );
  }
}

export class RateLimitedError extends AppError {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'rate_limited', 'Too many requests', `Too many attempts; retry in ${retryAfterSeconds} s.`, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

export class ServiceUnavailableError extends AppError {
  override name = 'ServiceUnavailableError';
  constructor(retryAfterSeconds = 2) {
    super(503, 'service_unavailable', 'Service unavailable', 'The service is temporarily unavailable.', {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

export class InternalError extends AppError {
  override name = 'InternalError';
  constructor() {
    super(500, 'internal_error', 'Internal error', 'An unexpected error occurred.');
  }
}
