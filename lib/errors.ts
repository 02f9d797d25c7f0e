/** One field-level problem inside a `validation_failed` response. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Every error code a client can see, with its HTTP status and problem title: the one registry
 * that errors, the OpenAPI document (`ErrorCode` enum, per-status responses) and the README
 * table derive from or are checked against. A code whose problem always says the same thing
 * holds its `detail` here too, and is thrown as `problem(code)`; the others have a class below
 * that builds their detail, headers or members from what it is given.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'Validation failed' },
  malformed_json: { status: 400, title: 'Malformed JSON', detail: 'The request body is not valid JSON.' },
  link_invalid: {
    status: 400,
    title: 'Link invalid',
    detail: 'The link is invalid, expired, already used or replaced by a newer one.',
  },
  totp_code_invalid: {
    status: 400,
    title: 'TOTP code invalid',
    detail: 'The code does not match the authenticator; check its clock and try the next one.',
  },
  passkey_invalid: {
    status: 400,
    title: 'Passkey invalid',
    detail: 'The passkey response could not be verified; start the ceremony again.',
  },
  redirect_uri_not_allowed: {
    status: 400,
    title: 'Redirect URI not allowed',
    detail: 'The redirectUri is not at an allowed origin.',
  },
  oauth_state_invalid: {
    status: 400,
    title: 'Sign-in state invalid',
    detail: 'This sign-in is unknown, expired or already finished; start again.',
  },
  oauth_code_invalid: {
    status: 400,
    title: 'Sign-in code invalid',
    detail: 'The code is invalid, expired, already used, or not for this verifier.',
  },
  unauthorized: { status: 401, title: 'Unauthorized' },
  invalid_credentials: {
    status: 401,
    title: 'Invalid credentials',
    detail: 'The email or password is incorrect.',
  },
  invalid_refresh_token: {
    status: 401,
    title: 'Invalid refresh token',
    detail: 'The refresh token is invalid, expired or spent.',
  },
  mfa_failed: { status: 401, title: 'Second factor failed' },
  sign_in_code_invalid: {
    status: 401,
    title: 'Sign-in code invalid',
    detail: 'The code is wrong, used up or expired.',
  },
  current_password_incorrect: {
    status: 403,
    title: 'Current password incorrect',
    detail: 'The current password is incorrect.',
  },
  email_not_verified: {
    status: 403,
    title: 'Email not verified',
    detail: 'Confirm your email address with the link we mailed you, then log in.',
  },
  account_disabled: {
    status: 403,
    title: 'Account disabled',
    detail: 'This account is disabled; contact support.',
  },
  mfa_required: { status: 403, title: 'Second factor required' },
  reauthentication_required: {
    status: 403,
    title: 'Reauthentication required',
    detail:
      'Send your current password, or sign in again: this needs a session opened in the last few minutes.',
  },
  origin_not_allowed: { status: 403, title: 'Origin not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  email_taken: { status: 409, title: 'Email taken', detail: 'An account with this email already exists.' },
  already_verified: {
    status: 409,
    title: 'Already verified',
    detail: 'This email address is already verified.',
  },
  totp_already_enabled: {
    status: 409,
    title: 'TOTP already enabled',
    detail: 'TOTP is already on; turn it off first to enroll another authenticator.',
  },
  totp_not_pending: {
    status: 409,
    title: 'No TOTP enrollment pending',
    detail: 'No TOTP enrollment is pending; start one first.',
  },
  last_sign_in_method: {
    status: 409,
    title: 'Last sign-in method',
    detail: 'This is the account’s last way to sign in: set a password or add a passkey first.',
  },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error', detail: 'An unexpected error occurred.' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string; detail?: string }>;

/** A stable, snake_case error code: what clients switch on. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** A code whose detail the registry holds: nothing to say beyond the code. */
export type FixedErrorCode = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C] extends { detail: string } ? C : never;
}[ErrorCode];

/**
 * Base of every error a client may see. `code` is the stable contract clients switch on; status
 * and title come from `ERROR_CODES`. `expose` follows middy's convention (only < 500 messages
 * reach the client). Names are string literals because minifiers rename classes.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly expose: boolean;
  readonly statusCode: number;
  readonly title: string;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Members of the problem beyond the standard ones (lib/resources.ts declares them per code). */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.statusCode = ERROR_CODES[code].status;
    this.title = ERROR_CODES[code].title;
    this.expose = this.statusCode < 500;
  }
}

/** The error of a code whose detail the registry holds: `throw problem('invalid_credentials')`. */
export const problem = (code: FixedErrorCode): AppError => new AppError(code, ERROR_CODES[code].detail);

export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(readonly errors: FieldError[]) {
    super('validation_failed', 'The request body is not valid.');
  }
}

export class UnauthorizedError extends AppError {
  override name = 'UnauthorizedError';
  /** `tokenSent`: a token was presented but is not acceptable (RFC 6750 `invalid_token`). */
  constructor(tokenSent: boolean) {
    super('unauthorized', 'A valid access token is required.', {
      'WWW-Authenticate': tokenSent ? 'Bearer error="invalid_token"' : 'Bearer',
    });
  }
}

/** A cookie-mode request that fails the CSRF gate (lib/cookies/transport.ts). */
export class OriginNotAllowedError extends AppError {
  override name = 'OriginNotAllowedError';
  constructor(message: string) {
    super('origin_not_allowed', message);
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  constructor(message = 'The requested resource does not exist.') {
    super('not_found', message);
  }
}

export class MethodNotAllowedError extends AppError {
  override name = 'MethodNotAllowedError';
  constructor(allowed: string[]) {
    super('method_not_allowed', `Allowed methods: ${allowed.join(', ')}.`, {
      Allow: allowed.join(', '),
    });
  }
}

export class MfaRequiredError extends AppError {
  override name = 'MfaRequiredError';
  constructor(
    mfaToken: string,
    methods: string[],
    detail = 'The password is right; complete the log-in with a second factor (POST /sessions/mfa).',
  ) {
    super('mfa_required', detail, {}, { mfaToken, methods });
  }
}

export class MfaFailedError extends AppError {
  override name = 'MfaFailedError';
  /** `totpCapped`: too many wrong codes on this account this hour; a recovery code still works. */
  constructor(totpCapped = false) {
    super(
      'mfa_failed',
      totpCapped
        ? 'Too many wrong codes on this account: finish with a recovery code, or sign in with a passkey.'
        : 'The code is wrong or already used, or the log-in expired; log in again if it persists.',
    );
  }
}

export class PayloadTooLargeError extends AppError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super('payload_too_large', `The request body exceeds ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError';
  constructor(accepted: string[]) {
    super('unsupported_media_type', `Send the body as ${accepted.join(' or ')}.`);
  }
}

export class RateLimitedError extends AppError {
  override name = 'RateLimitedError';
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `Too many attempts; retry in ${retryAfterSeconds} s.`, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

export class ServiceUnavailableError extends AppError {
  override name = 'ServiceUnavailableError';
  constructor(retryAfterSeconds = 2) {
    super('service_unavailable', 'The service is temporarily unavailable.', {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}

/**
 * A dependency the function was built without: each function's builder leaves out what its
 * bundle need not carry (Argon2, a rate limiter, a store's scripts), so an operation that needs
 * one there is a wiring error, never the client's. It throws (a logged 500) rather than skip the
 * step: a missing limiter must not mean an unlimited log-in.
 */
export class WiringError extends Error {
  override name = 'WiringError';
  constructor(dependency: string) {
    super(`this function was built without ${dependency}`);
  }
}

/** `dependency`, or a `WiringError` naming it when the function was built without it. */
export function wired<T>(dependency: T | undefined, name: string): T {
  if (dependency === undefined) throw new WiringError(name);
  return dependency;
}
