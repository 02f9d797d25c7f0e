import { ADMIN_COMMANDS } from './admin/commands';
import { type AppError, type ErrorCode, MethodNotAllowedError, NotFoundError } from './errors';
import type * as resources from './resources';
import type * as validation from './validation';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request body schema exported by lib/validation.ts, by name. */
export type BodyName = {
  [K in keyof typeof validation]: K extends `${string}Body` ? K : never;
}[keyof typeof validation];

/** A response schema exported by lib/resources.ts, by name. */
export type ResourceName = Exclude<
  keyof typeof resources,
  'problem' | 'FieldError' | 'ValidationProblem' | 'MfaRequiredProblem'
>;

/** One endpoint of the API: everything the handler, serverless.yml, OpenAPI and the bench need. */
export interface Route {
  /** The Lambda: functions/<fn>.ts, bundled to dist/functions/<fn>/index.js. */
  fn: string;
  method: HttpMethod;
  /** API Gateway path template; `{name}` is a path parameter. */
  path: string;
  operationId: string;
  summary: string;
  tag: 'users' | 'sessions' | 'keys' | 'meta';
  /** Requires `Authorization: Bearer <accessToken>`, checked before the body is looked at. */
  auth: boolean;
  /** The strict JSON body schema (lib/validation.ts); PATCH also accepts merge-patch+json. */
  body?: BodyName;
  /** The one success status. */
  status: 200 | 201 | 202 | 204;
  /** The success body's schema (lib/resources.ts); none for 202 and 204. */
  response?: ResourceName;
  /** `Location` of a 201. */
  location?: string;
  /** Publicly cacheable for this many seconds; otherwise `Cache-Control: no-store`. */
  cacheSeconds?: number;
  /**
   * The codes particular to this endpoint. Those every endpoint of its kind can return (bodies:
   * validation_failed, malformed_json, payload_too_large, unsupported_media_type; auth:
   * unauthorized, account_disabled; all: service_unavailable, internal_error) are added by `errorsOf`.
   */
  errors: ErrorCode[];
  /** Runs Argon2: the function gets more memory (Lambda's CPU share grows with it). */
  hashing?: boolean;
}

/**
 * The API's endpoints: the one table that functions/ (via `endpoint`), the 404/405 catch-all,
 * the OpenAPI document, the bench and serverless.yml (checked by a test) follow.
 */
export const ROUTES = [
  {
    fn: 'register',
    method: 'POST',
    path: '/users',
    operationId: 'register',
    summary: 'Register: create an account and log it in',
    tag: 'users',
    auth: false,
    body: 'RegisterBody',
    status: 201,
    // No session when REQUIRE_VERIFIED_EMAIL is on.
    response: 'UserAndOptionalSession',
    location: '/users/me',
    errors: ['email_taken', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'login',
    method: 'POST',
    path: '/sessions',
    operationId: 'login',
    summary: 'Log in: open a new session',
    tag: 'sessions',
    auth: false,
    body: 'LoginBody',
    status: 200,
    response: 'UserAndSession',
    errors: ['invalid_credentials', 'email_not_verified', 'account_disabled', 'mfa_required', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'complete-mfa-login',
    method: 'POST',
    path: '/sessions/mfa',
    operationId: 'completeMfaLogin',
    summary: 'Complete a log-in that answered mfa_required: a TOTP code or a recovery code',
    tag: 'sessions',
    auth: false,
    body: 'MfaLoginBody',
    status: 200,
    response: 'UserAndSession',
    errors: ['mfa_failed', 'account_disabled', 'rate_limited'],
  },
  {
    fn: 'passkey-login-options',
    method: 'POST',
    path: '/sessions/passkey/options',
    operationId: 'passkeyLoginOptions',
    summary: 'Request options for a passkey log-in (a challenge for 300 s)',
    tag: 'sessions',
    auth: false,
    status: 200,
    response: 'CeremonyOptions',
    errors: ['rate_limited'],
  },
  {
    fn: 'passkey-login',
    method: 'POST',
    path: '/sessions/passkey',
    operationId: 'passkeyLogin',
    summary: 'Log in with a passkey: the response of the browser’s authentication ceremony',
    tag: 'sessions',
    auth: false,
    body: 'PasskeyLoginBody',
    status: 200,
    response: 'UserAndSession',
    errors: ['passkey_invalid', 'account_disabled', 'rate_limited'],
  },
  {
    fn: 'refresh-session',
    method: 'POST',
    path: '/sessions/refresh',
    operationId: 'refreshSession',
    summary: 'Trade a refresh token for a new token pair (the old refresh token is spent)',
    tag: 'sessions',
    auth: false,
    body: 'RefreshBody',
    status: 200,
    response: 'SessionEnvelope',
    errors: ['invalid_refresh_token', 'account_disabled'],
  },
  {
    fn: 'list-sessions',
    method: 'GET',
    path: '/sessions',
    operationId: 'listSessions',
    summary: "List the caller's sessions (most recently used first), the current one marked",
    tag: 'sessions',
    auth: true,
    status: 200,
    response: 'SessionList',
    errors: [],
  },
  {
    fn: 'logout',
    method: 'DELETE',
    path: '/sessions/current',
    operationId: 'logout',
    summary: "Log out: revoke the caller's session",
    tag: 'sessions',
    auth: true,
    status: 204,
    errors: [],
  },
  {
    fn: 'revoke-session',
    method: 'DELETE',
    path: '/sessions/{id}',
    operationId: 'revokeSession',
    summary: "Revoke one of the caller's sessions",
    tag: 'sessions',
    auth: true,
    status: 204,
    errors: ['not_found'],
  },
  {
    fn: 'revoke-all-sessions',
    method: 'DELETE',
    path: '/sessions',
    operationId: 'revokeAllSessions',
    summary: 'Log out everywhere: revoke every session of the caller',
    tag: 'sessions',
    auth: true,
    status: 204,
    errors: [],
  },
  {
    fn: 'get-profile',
    method: 'GET',
    path: '/users/me',
    operationId: 'getProfile',
    summary: "The caller's profile",
    tag: 'users',
    auth: true,
    status: 200,
    response: 'UserEnvelope',
    errors: [],
  },
  {
    fn: 'update-profile',
    method: 'PATCH',
    path: '/users/me',
    operationId: 'updateProfile',
    summary: 'Change the name and/or email (merge patch; an email change needs the current password)',
    tag: 'users',
    auth: true,
    body: 'UpdateProfileBody',
    status: 200,
    response: 'UserEnvelope',
    errors: ['current_password_incorrect', 'email_taken', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'change-password',
    method: 'PUT',
    path: '/users/me/password',
    operationId: 'changePassword',
    summary: 'Change the password; every other session is revoked',
    tag: 'users',
    auth: true,
    body: 'ChangePasswordBody',
    status: 204,
    errors: ['current_password_incorrect', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'delete-account',
    method: 'DELETE',
    path: '/users/me',
    operationId: 'deleteAccount',
    summary: 'Delete the account: the user, its email and every session',
    tag: 'users',
    auth: true,
    body: 'DeleteAccountBody',
    status: 204,
    errors: ['current_password_incorrect', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'get-security',
    method: 'GET',
    path: '/users/me/security',
    operationId: 'getSecurity',
    summary: 'Which second factors are on: TOTP, recovery codes left, passkeys',
    tag: 'users',
    auth: true,
    status: 200,
    response: 'Security',
    errors: [],
  },
  {
    fn: 'export-account',
    method: 'GET',
    path: '/users/me/export',
    operationId: 'exportAccount',
    summary: 'All data kept about the caller: user, sessions, identities, passkeys, factors, events',
    tag: 'users',
    auth: true,
    status: 200,
    response: 'AccountExport',
    errors: [],
  },
  {
    fn: 'start-totp-enrollment',
    method: 'POST',
    path: '/users/me/totp',
    operationId: 'startTotpEnrollment',
    summary: 'Start enrolling an authenticator app: a new secret and its otpauth URI (pending)',
    tag: 'users',
    auth: true,
    body: 'CurrentPasswordBody',
    status: 200,
    response: 'TotpEnrollment',
    errors: ['current_password_incorrect', 'totp_already_enabled', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'confirm-totp',
    method: 'POST',
    path: '/users/me/totp/confirm',
    operationId: 'confirmTotp',
    summary: 'Turn TOTP on with a first code; answers the recovery codes, once',
    tag: 'users',
    auth: true,
    body: 'TotpCodeBody',
    status: 200,
    response: 'RecoveryCodes',
    errors: ['totp_code_invalid', 'totp_not_pending'],
  },
  {
    fn: 'disable-totp',
    method: 'DELETE',
    path: '/users/me/totp',
    operationId: 'disableTotp',
    summary: 'Turn TOTP off; the recovery codes die too',
    tag: 'users',
    auth: true,
    body: 'CurrentPasswordBody',
    status: 204,
    errors: ['current_password_incorrect', 'not_found', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'renew-recovery-codes',
    method: 'POST',
    path: '/users/me/recovery-codes',
    operationId: 'renewRecoveryCodes',
    summary: 'A new set of recovery codes (the old set dies)',
    tag: 'users',
    auth: true,
    body: 'CurrentPasswordBody',
    status: 200,
    response: 'RecoveryCodes',
    errors: ['current_password_incorrect', 'not_found', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'passkey-registration-options',
    method: 'POST',
    path: '/users/me/passkeys/options',
    operationId: 'passkeyRegistrationOptions',
    summary: 'Creation options for a new passkey (a challenge for 300 s; your passkeys excluded)',
    tag: 'users',
    auth: true,
    status: 200,
    response: 'CeremonyOptions',
    errors: [],
  },
  {
    fn: 'add-passkey',
    method: 'POST',
    path: '/users/me/passkeys',
    operationId: 'addPasskey',
    summary: 'Register a passkey with the response of the browser’s registration ceremony',
    tag: 'users',
    auth: true,
    body: 'AddPasskeyBody',
    status: 201,
    response: 'PasskeyEnvelope',
    location: '/users/me/passkeys',
    errors: ['passkey_invalid'],
  },
  {
    fn: 'list-passkeys',
    method: 'GET',
    path: '/users/me/passkeys',
    operationId: 'listPasskeys',
    summary: "The caller's passkeys, newest first",
    tag: 'users',
    auth: true,
    status: 200,
    response: 'PasskeyList',
    errors: [],
  },
  {
    fn: 'delete-passkey',
    method: 'DELETE',
    path: '/users/me/passkeys/{passkeyId}',
    operationId: 'deletePasskey',
    summary: 'Delete one of the caller’s passkeys (the current password is re-entered)',
    tag: 'users',
    auth: true,
    body: 'CurrentPasswordBody',
    status: 204,
    errors: ['current_password_incorrect', 'not_found', 'rate_limited'],
    hashing: true,
  },
  {
    fn: 'resend-verification',
    method: 'POST',
    path: '/users/me/email-verification',
    operationId: 'sendVerificationLink',
    summary: 'Mail a new verification link to the caller’s address (the older link dies)',
    tag: 'users',
    auth: true,
    status: 202,
    errors: ['already_verified', 'rate_limited'],
  },
  {
    fn: 'verify-email',
    method: 'POST',
    path: '/email-verification',
    operationId: 'verifyEmail',
    summary: 'Confirm an email address with the token of a mailed link',
    tag: 'users',
    auth: false,
    body: 'VerifyEmailBody',
    status: 200,
    response: 'UserEnvelope',
    errors: ['link_invalid'],
  },
  {
    fn: 'request-password-reset',
    method: 'POST',
    path: '/password-resets',
    operationId: 'requestPasswordReset',
    summary: 'Forgot password: mail a reset link (the same answer whether or not the account exists)',
    tag: 'users',
    auth: false,
    body: 'PasswordResetBody',
    status: 202,
    errors: ['rate_limited'],
  },
  {
    fn: 'confirm-password-reset',
    method: 'POST',
    path: '/password-resets/confirm',
    operationId: 'confirmPasswordReset',
    summary: 'Set a new password with the token of a reset link; every session is revoked',
    tag: 'users',
    auth: false,
    body: 'PasswordResetConfirmBody',
    status: 200,
    response: 'UserAndOptionalSession',
    errors: ['link_invalid'],
    hashing: true,
  },
  {
    fn: 'jwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    operationId: 'getJwks',
    summary: 'The public keys that verify access tokens (current and previous)',
    tag: 'keys',
    auth: false,
    status: 200,
    response: 'Jwks',
    cacheSeconds: 300,
    errors: [],
  },
  {
    fn: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document (OpenAPI 3.1)',
    tag: 'meta',
    auth: false,
    status: 200,
    cacheSeconds: 300,
    errors: [],
  },
] as const satisfies readonly Route[];

/**
 * Functions that serve no route: the mail function, invoked asynchronously by the request
 * functions (lib/mail-queue.ts), and the operators' commands (lib/admin/commands.ts), invoked
 * with IAM credentials by `npm run admin` — never by API Gateway.
 */
export const WORKERS = /* @__PURE__ */ (() => [{ fn: 'send-mail' } as const, ...ADMIN_COMMANDS])();

/**
 * API Gateway's catch-all `$default` route (`httpApi: '*'`): every other method and path, answered
 * 404 `not_found` or 405 `method_not_allowed` by `routeError`. Not an API operation.
 */
export const CATCH_ALL = {
  fn: 'not-found',
  method: 'GET',
  path: '$default',
  operationId: 'notFound',
  summary: 'Any other method or path',
  tag: 'meta',
  auth: false,
  status: 200,
  errors: ['not_found', 'method_not_allowed'],
} as const satisfies Route;

export type FunctionName = (typeof ROUTES)[number]['fn'];
export type RouteOf<F extends FunctionName> = Extract<(typeof ROUTES)[number], { fn: F }>;

/** The route a function serves. */
export const routeOf = <F extends FunctionName>(fn: F): RouteOf<F> =>
  ROUTES.find((route) => route.fn === fn) as RouteOf<F>;

/** Every code `route` can answer with, its own and those of its kind, in status order. */
export function errorsOf(route: Route): ErrorCode[] {
  const codes: ErrorCode[] = [
    ...(route.body ? (['validation_failed', 'malformed_json'] as const) : []),
    // A disabled account's sessions are refused by the session check itself (lib/scripts.ts).
    ...(route.auth ? (['unauthorized', 'account_disabled'] as const) : []),
    ...route.errors,
    ...(route.body ? (['payload_too_large', 'unsupported_media_type'] as const) : []),
    'internal_error',
    'service_unavailable',
  ];
  return [...new Set(codes)];
}

/** Methods in the order `Allow` lists them. */
const METHOD_ORDER: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** The methods `path` (a template) supports, in `Allow` order. */
export const methodsOf = (path: string): HttpMethod[] =>
  METHOD_ORDER.filter((method) => ROUTES.some((route) => route.path === path && route.method === method));

const matches = (template: string, path: string): boolean => {
  const a = template.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((part, i) => (part.startsWith('{') ? b[i] !== '' : part === b[i]));
};

/** The error for a request no route took: 405 with `Allow` when the path exists, else 404. */
export function routeError(path: string): AppError {
  const normalised = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const templates: string[] = [...new Set(ROUTES.map((route) => route.path))];
  // A static route wins over a template, as in API Gateway.
  const template =
    templates.find((t) => t === normalised) ??
    templates.find((t) => t.includes('{') && matches(t, normalised));
  return template ? new MethodNotAllowedError(methodsOf(template)) : new NotFoundError();
}
