import { ADMIN_COMMANDS } from './admin/commands';
import type { SessionCookieRole } from './cookies/transport';
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

/**
 * Datastore round trips of one warm request (each Redis REST call is a network hop to Upstash;
 * rate-limit calls included): a number is exact (the least the endpoint can do, too), `{ atMost }`
 * a ceiling.
 */
export type RoundTrips = number | { atMost: number };

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
  /** The body may be left out: no body reads as `{}` (a client that sends none still works). */
  bodyOptional?: boolean;
  /** Authenticates when a bearer token is sent (401 if it is bad), and serves anonymous callers too. */
  optionalAuth?: boolean;
  /** The one success status (302: the handler returns a `redirect`). */
  status: 200 | 201 | 202 | 204 | 302;
  /**
   * Its round-trip budget: asserted by tests/budgets/round-trips.test.ts, reported against by the
   * bench. Where the path a request takes changes the count, one budget per named case.
   */
  roundTrips: RoundTrips | { readonly [path: string]: RoundTrips };
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
  /**
   * Its part in the cookie transport (lib/cookies/transport.ts), for requests that send
   * `Session-Transport: cookie`: `issue` (answers a session), `refresh`, `clear` (ends it).
   */
  sessionCookie?: SessionCookieRole;
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
    // The per-IP limit, the register script.
    roundTrips: { atMost: 2 },
    // No session when REQUIRE_VERIFIED_EMAIL is on.
    response: 'UserAndOptionalSession',
    location: '/users/me',
    errors: ['email_taken', 'rate_limited'],
    hashing: true,
    sessionCookie: 'issue',
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
    // The per-IP limit, the log-in start (the hash read), the session (with or without a second factor).
    roundTrips: { atMost: 3 },
    response: 'LogIn',
    errors: ['invalid_credentials', 'email_not_verified', 'account_disabled', 'mfa_required', 'rate_limited'],
    hashing: true,
    sessionCookie: 'issue',
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
    roundTrips: 2,
    response: 'LogIn',
    errors: ['mfa_failed', 'account_disabled', 'rate_limited'],
    sessionCookie: 'issue',
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
    roundTrips: { atMost: 2 },
    response: 'PasskeyLoginOptions',
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
    roundTrips: { atMost: 3 },
    response: 'UserAndSession',
    errors: ['passkey_invalid', 'email_not_verified', 'account_disabled', 'rate_limited'],
    sessionCookie: 'issue',
  },
  {
    fn: 'request-email-sign-in',
    method: 'POST',
    path: '/sessions/email',
    operationId: 'requestEmailSignIn',
    summary: 'Mail a sign-in link and code (the same answer for every address)',
    tag: 'sessions',
    auth: false,
    body: 'EmailSignInBody',
    status: 202,
    // The per-IP limit only: the mail function does the rest.
    roundTrips: 1,
    errors: ['rate_limited'],
  },
  {
    fn: 'confirm-email-sign-in',
    method: 'POST',
    path: '/sessions/email/confirm',
    operationId: 'confirmEmailSignIn',
    summary: 'Sign in or up with a mailed link’s token, or the address and its code',
    tag: 'sessions',
    auth: false,
    body: 'EmailSignInConfirmBody',
    status: 200,
    roundTrips: 2,
    response: 'SignedIn',
    errors: ['link_invalid', 'sign_in_code_invalid', 'account_disabled', 'mfa_required', 'rate_limited'],
    sessionCookie: 'issue',
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
    roundTrips: 1,
    response: 'SessionEnvelope',
    errors: ['invalid_refresh_token', 'account_disabled'],
    sessionCookie: 'refresh',
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
    roundTrips: 1,
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
    roundTrips: 1,
    errors: [],
    sessionCookie: 'clear',
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
    roundTrips: 1,
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
    roundTrips: 1,
    errors: [],
    sessionCookie: 'clear',
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
    roundTrips: 1,
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
    // An email change checks the password and the email-change limits before its script.
    roundTrips: { name: 1, email: 4 },
    response: 'UserEnvelope',
    errors: ['current_password_incorrect', 'email_taken', 'rate_limited', 'reauthentication_required'],
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
    // The hash read, then the guarded change.
    roundTrips: { atMost: 2 },
    errors: ['current_password_incorrect', 'rate_limited', 'reauthentication_required'],
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
    // The hash read, then the guarded change.
    roundTrips: { atMost: 2 },
    errors: ['current_password_incorrect', 'rate_limited', 'reauthentication_required'],
    hashing: true,
    sessionCookie: 'clear',
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
    roundTrips: 1,
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
    roundTrips: 1,
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
    roundTrips: 2,
    response: 'TotpEnrollment',
    errors: [
      'current_password_incorrect',
      'email_not_verified',
      'totp_already_enabled',
      'rate_limited',
      'reauthentication_required',
    ],
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
    roundTrips: 2,
    response: 'RecoveryCodes',
    errors: ['totp_code_invalid', 'email_not_verified', 'totp_not_pending', 'rate_limited'],
  },
  {
    fn: 'disable-totp',
    method: 'DELETE',
    path: '/users/me/totp',
    operationId: 'disableTotp',
    summary: 'Turn TOTP off (the password and a current code or recovery code); the recovery codes die too',
    tag: 'users',
    auth: true,
    body: 'CurrentFactorBody',
    status: 204,
    roundTrips: 2,
    errors: [
      'totp_code_invalid',
      'current_password_incorrect',
      'not_found',
      'rate_limited',
      'reauthentication_required',
    ],
    hashing: true,
  },
  {
    fn: 'renew-recovery-codes',
    method: 'POST',
    path: '/users/me/recovery-codes',
    operationId: 'renewRecoveryCodes',
    summary:
      'A new set of recovery codes (the password and a current code or recovery code; the old set dies)',
    tag: 'users',
    auth: true,
    body: 'CurrentFactorBody',
    status: 200,
    roundTrips: 2,
    response: 'RecoveryCodes',
    errors: [
      'totp_code_invalid',
      'current_password_incorrect',
      'not_found',
      'rate_limited',
      'reauthentication_required',
    ],
    hashing: true,
  },
  {
    fn: 'passkey-registration-options',
    method: 'POST',
    path: '/users/me/passkeys/options',
    operationId: 'passkeyRegistrationOptions',
    summary:
      'Creation options for a new passkey (a challenge for 300 s; your passkeys excluded): the current password, or a session opened in the last REAUTH_MAX_AGE_SECONDS',
    tag: 'users',
    auth: true,
    body: 'PasskeyOptionsBody',
    bodyOptional: true,
    status: 200,
    roundTrips: 1,
    response: 'PasskeyRegistrationOptions',
    errors: ['current_password_incorrect', 'reauthentication_required', 'email_not_verified', 'rate_limited'],
    hashing: true,
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
    roundTrips: 2,
    response: 'PasskeyEnvelope',
    location: '/users/me/passkeys',
    errors: ['passkey_invalid', 'email_not_verified'],
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
    roundTrips: 1,
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
    roundTrips: 2,
    errors: ['current_password_incorrect', 'not_found', 'rate_limited', 'reauthentication_required'],
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
    roundTrips: { atMost: 2 },
    errors: ['already_verified', 'rate_limited'],
  },
  {
    fn: 'verify-email',
    method: 'POST',
    path: '/email-verification',
    operationId: 'verifyEmail',
    summary:
      'Confirm an email address with the token of a mailed link (a pending email change then takes effect)',
    tag: 'users',
    auth: false,
    body: 'VerifyEmailBody',
    status: 200,
    // A pending email change takes a second: its credential keys are known once the link is read.
    roundTrips: { verification: 1, 'pending email change': 2 },
    response: 'UserEnvelope',
    errors: ['link_invalid', 'email_taken'],
  },
  {
    fn: 'revert-email-change',
    method: 'POST',
    path: '/email-changes/revert',
    operationId: 'revertEmailChange',
    summary:
      'Undo an email change with the link mailed to the old address (7 days): the old address again, every session and passkey revoked',
    tag: 'users',
    auth: false,
    body: 'RevertEmailChangeBody',
    status: 200,
    roundTrips: 2,
    response: 'UserEnvelope',
    errors: ['link_invalid', 'email_taken'],
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
    roundTrips: 1,
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
    roundTrips: 2,
    response: 'UserAndOptionalSession',
    errors: ['link_invalid'],
    hashing: true,
    sessionCookie: 'issue',
  },
  {
    fn: 'oauth-providers',
    method: 'GET',
    path: '/oauth/providers',
    operationId: 'listOAuthProviders',
    summary: 'The social sign-in providers that are on',
    tag: 'sessions',
    auth: false,
    status: 200,
    roundTrips: 0,
    response: 'OAuthProviderList',
    errors: [],
  },
  {
    fn: 'oauth-start',
    method: 'POST',
    path: '/oauth/{provider}/start',
    operationId: 'startOAuth',
    summary: 'Start a social sign-in (with a bearer token: a link)',
    tag: 'sessions',
    auth: false,
    optionalAuth: true,
    body: 'OAuthStartBody',
    status: 200,
    // One script: the per-IP limit, the session check (with a bearer token), the state.
    roundTrips: 1,
    response: 'AuthorizationUrl',
    errors: ['redirect_uri_not_allowed', 'unauthorized', 'not_found', 'rate_limited'],
  },
  {
    fn: 'oauth-callback',
    method: 'GET',
    path: '/oauth/{provider}/callback',
    operationId: 'oauthCallback',
    summary: 'The provider’s answer: a 302 back to the app',
    tag: 'sessions',
    auth: false,
    status: 302,
    // The state taken, who holds the identity and the email, the decision (plus one token request
    // to the provider).
    roundTrips: 3,
    errors: ['validation_failed', 'oauth_state_invalid', 'not_found'],
  },
  {
    fn: 'oauth-form-callback',
    method: 'POST',
    path: '/oauth/{provider}/callback',
    operationId: 'oauthFormCallback',
    summary: 'The provider’s answer as a form POST (Apple)',
    tag: 'sessions',
    auth: false,
    status: 302,
    // As the GET callback.
    roundTrips: 3,
    errors: [
      'validation_failed',
      'oauth_state_invalid',
      'not_found',
      'payload_too_large',
      'unsupported_media_type',
    ],
  },
  {
    fn: 'oauth-sign-in',
    method: 'POST',
    path: '/sessions/oauth',
    operationId: 'oauthSignIn',
    summary: 'Finish a social sign-in: the one-time code and its verifier',
    tag: 'sessions',
    auth: false,
    body: 'OAuthSignInBody',
    status: 200,
    // One script: the code taken, the session opened.
    roundTrips: 1,
    response: 'UserSessionCreated',
    errors: ['oauth_code_invalid', 'account_disabled', 'mfa_required'],
    sessionCookie: 'issue',
  },
  {
    fn: 'list-identities',
    method: 'GET',
    path: '/users/me/identities',
    operationId: 'listIdentities',
    summary: 'The caller’s linked identities',
    tag: 'users',
    auth: true,
    status: 200,
    roundTrips: 1,
    response: 'IdentityList',
    errors: [],
  },
  {
    fn: 'delete-identity',
    method: 'DELETE',
    path: '/users/me/identities/{identityId}',
    operationId: 'deleteIdentity',
    summary: 'Unlink one of the caller’s identities',
    tag: 'users',
    auth: true,
    status: 204,
    roundTrips: 1,
    errors: ['not_found', 'last_sign_in_method'],
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
    roundTrips: 0,
    response: 'Jwks',
    cacheSeconds: 300,
    errors: [],
  },
  {
    fn: 'openid-configuration',
    method: 'GET',
    path: '/.well-known/openid-configuration',
    operationId: 'getOpenIdConfiguration',
    summary: 'OpenID Connect discovery: the issuer and where its keys are (for API Gateway JWT authorizers)',
    tag: 'keys',
    auth: false,
    status: 200,
    roundTrips: 0,
    response: 'OpenIdConfiguration',
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
    roundTrips: 0,
    response: 'OpenApiDocument',
    cacheSeconds: 300,
    errors: [],
  },
] as const satisfies readonly Route[];

/**
 * Functions that serve no route: the mail function, invoked asynchronously by the request
 * functions (lib/mail/queue.ts), and the operators' commands (lib/admin/commands.ts), invoked
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
  roundTrips: 0,
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
    ...(route.sessionCookie ? (['origin_not_allowed'] as const) : []),
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
