/** One field-level problem inside a `validation_failed` response. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Every error code a client can see, with its HTTP status and problem title: the one registry
 * that errors, the OpenAPI document (`ErrorCode` enum, per-status responses) and the README
 * table derive from or are checked against.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'Validation failed' },
  malformed_json: { status: 400, title: 'Malformed JSON' },
  link_invalid: { status: 400, title: 'Link invalid' },
  totp_code_invalid: { status: 400, title: 'TOTP code invalid' },
  passkey_invalid: { status: 400, title: 'Passkey invalid' },
  redirect_uri_not_allowed: { status: 400, title: 'Redirect URI not allowed' },
  oauth_state_invalid: { status: 400, title: 'Sign-in state invalid' },
  oauth_code_invalid: { status: 400, title: 'Sign-in code invalid' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  invalid_refresh_token: { status: 401, title: 'Invalid refresh token' },
  mfa_failed: { status: 401, title: 'Second factor failed' },
  sign_in_code_invalid: { status: 401, title: 'Sign-in code invalid' },
  current_password_incorrect: { status: 403, title: 'Current password incorrect' },
  email_not_verified: { status: 403, title: 'Email not verified' },
  account_disabled: { status: 403, title: 'Account disabled' },
  mfa_required: { status: 403, title: 'Second factor required' },
  reauthentication_required: { status: 403, title: 'Reauthentication required' },
  origin_not_allowed: { status: 403, title: 'Origin not allowed' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  email_taken: { status: 409, title: 'Email taken' },
  already_verified: { status: 409, title: 'Already verified' },
  totp_already_enabled: { status: 409, title: 'TOTP already enabled' },
  totp_not_pending: { status: 409, title: 'No TOTP enrollment pending' },
  last_sign_in_method: { status: 409, title: 'Last sign-in method' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A stable, snake_case error code: what clients switch on. */
export type ErrorCode = keyof typeof ERROR_CODES;

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
    /** Members of the problem beyond the standard ones (API.md names them per code). */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
    this.statusCode = ERROR_CODES[code].status;
    this.title = ERROR_CODES[code].title;
    this.expose = this.statusCode < 500;
  }
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  constructor(readonly errors: FieldError[]) {
    super('validation_failed', 'The request body is not valid.');
  }
}

export class MalformedJsonError extends AppError {
  override name = 'MalformedJsonError';
  constructor() {
    super('malformed_json', 'The request body is not valid JSON.');
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

export class InvalidCredentialsError extends AppError {
  override name = 'InvalidCredentialsError';
  constructor() {
    super('invalid_credentials', 'The email or password is incorrect.');
  }
}

export class InvalidRefreshTokenError extends AppError {
  override name = 'InvalidRefreshTokenError';
  constructor() {
    super('invalid_refresh_token', 'The refresh token is invalid, expired or spent.');
  }
}

export class CurrentPasswordIncorrectError extends AppError {
  override name = 'CurrentPasswordIncorrectError';
  constructor() {
    super('current_password_incorrect', 'The current password is incorrect.');
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

export class EmailTakenError extends AppError {
  override name = 'EmailTakenError';
  constructor() {
    super('email_taken', 'An account with this email already exists.');
  }
}

export class LinkInvalidError extends AppError {
  override name = 'LinkInvalidError';
  constructor() {
    super('link_invalid', 'The link is invalid, expired, already used or replaced by a newer one.');
  }
}

export class EmailNotVerifiedError extends AppError {
  override name = 'EmailNotVerifiedError';
  constructor() {
    super('email_not_verified', 'Confirm your email address with the link we mailed you, then log in.');
  }
}

export class ReauthenticationRequiredError extends AppError {
  override name = 'ReauthenticationRequiredError';
  constructor() {
    super(
      'reauthentication_required',
      'Send your current password, or sign in again: this needs a session opened in the last few minutes.',
    );
  }
}

export class AccountDisabledError extends AppError {
  override name = 'AccountDisabledError';
  constructor() {
    super('account_disabled', 'This account is disabled; contact support.');
  }
}

export class AlreadyVerifiedError extends AppError {
  override name = 'AlreadyVerifiedError';
  constructor() {
    super('already_verified', 'This email address is already verified.');
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

export class SignInCodeInvalidError extends AppError {
  override name = 'SignInCodeInvalidError';
  constructor() {
    super('sign_in_code_invalid', 'The code is wrong, used up or expired.');
  }
}

export class TotpCodeInvalidError extends AppError {
  override name = 'TotpCodeInvalidError';
  constructor() {
    super(
      'totp_code_invalid',
      'The code does not match the authenticator; check its clock and try the next one.',
    );
  }
}

export class TotpAlreadyEnabledError extends AppError {
  override name = 'TotpAlreadyEnabledError';
  constructor() {
    super('totp_already_enabled', 'TOTP is already on; turn it off first to enroll another authenticator.');
  }
}

export class TotpNotPendingError extends AppError {
  override name = 'TotpNotPendingError';
  constructor() {
    super('totp_not_pending', 'No TOTP enrollment is pending; start one first.');
  }
}

export class PasskeyInvalidError extends AppError {
  override name = 'PasskeyInvalidError';
  constructor() {
    super('passkey_invalid', 'The passkey response could not be verified; start the ceremony again.');
  }
}

export class RedirectUriNotAllowedError extends AppError {
  override name = 'RedirectUriNotAllowedError';
  constructor() {
    super('redirect_uri_not_allowed', 'The redirectUri is not at an allowed origin.');
  }
}

export class OAuthStateInvalidError extends AppError {
  override name = 'OAuthStateInvalidError';
  constructor() {
    super('oauth_state_invalid', 'This sign-in is unknown, expired or already finished; start again.');
  }
}

export class OAuthCodeInvalidError extends AppError {
  override name = 'OAuthCodeInvalidError';
  constructor() {
    super('oauth_code_invalid', 'The code is invalid, expired, already used, or not for this verifier.');
  }
}

export class LastSignInMethodError extends AppError {
  override name = 'LastSignInMethodError';
  constructor() {
    super(
      'last_sign_in_method',
      'This is the account’s last way to sign in: set a password or add a passkey first.',
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

export class InternalError extends AppError {
  override name = 'InternalError';
  constructor() {
    super('internal_error', 'An unexpected error occurred.');
  }
}
