import type { EventInput } from '../dev/http-event';
import { type RoundTripBudget, roundTripBudget } from '../dev/round-trips';
import { totpCode } from '../lib/mfa/totp';
import { CATCH_ALL, type FunctionName, routeOf } from '../lib/routes';
import { type Fixtures, OTHER_PASSWORD, PASSWORD } from './fixtures';

/** The unavoidable Argon2 work of a request. */
export type Argon2Work = 'verify' | 'hash';

/** One API endpoint as the bench drives it. */
export interface Endpoint {
  route: string;
  /** The function (bundle) serving it: dist/functions/<fn>/index.js. */
  fn: string;
  /** The success status every bench request must get. */
  status: number;
  /** Whether the request carries an access token (its floor includes a JWT verification). */
  auth: boolean;
  argon2: Argon2Work[];
  /**
   * The request answers with a new access token (its route's `sessionCookie` is `issue` or
   * `refresh`): its floor signs one JWT, with the service's algorithm and key.
   */
  signs: boolean;
  /**
   * The request hands a job to the mail function (one asynchronous Lambda invocation): a link, a
   * code, or a notice to the owner (a sign-in, a new factor, a changed password). The bench checks
   * it: a cold first response that invokes the mail function when this is not set (or the other
   * way round) stops the bench, so the floors do the same unavoidable work.
   */
  mail?: boolean;
  /** Its round-trip budget, from the route table (lib/routes.ts `roundTrips`). */
  budget: RoundTripBudget;
  /**
   * Set when a request stops succeeding this many seconds after it was made (a TOTP code): fine
   * for the warm and memory runs, which send it at once; the cold first responses, which come
   * minutes later, leave the endpoint out.
   */
  expiresWithinSeconds?: number;
  /** `count` requests that each succeed when sent in this order; their fixtures are made now. */
  requests(fixtures: Fixtures, count: number): Promise<EventInput[]>;
}

const repeat = <T>(count: number, make: (i: number) => T): T[] =>
  Array.from({ length: count }, (_, i) => make(i));

/**
 * An endpoint as written below: an API route's facts come from lib/routes.ts by `fn`. `variant`
 * names the request's case where the route's round-trip budget has several.
 */
type Spec =
  | (Omit<Endpoint, 'route' | 'fn' | 'status' | 'auth' | 'signs' | 'budget'> & {
      fn: FunctionName;
      variant?: string;
    })
  | Endpoint;

const SPECS: Spec[] = [
  {
    fn: 'get-profile',
    argon2: [],
    async requests(f, count) {
      const { session } = await f.account();
      return repeat(count, () => ({ method: 'GET', path: '/users/me', token: session.accessToken }));
    },
  },
  {
    fn: 'update-profile',
    variant: 'name',
    argon2: [],
    async requests(f, count) {
      const { session } = await f.account();
      return repeat(count, (i) => ({
        method: 'PATCH',
        path: '/users/me',
        token: session.accessToken,
        body: { name: `Bench User ${i % 2 ? 'A' : 'B'}` },
      }));
    },
  },
  {
    fn: 'logout',
    argon2: [],
    async requests(f, count) {
      const sessions = await f.sessions(await f.account(), count);
      return sessions.map((s) => ({ method: 'DELETE', path: '/sessions/current', token: s.accessToken }));
    },
  },
  {
    fn: 'refresh-session',
    argon2: [],
    async requests(f, count) {
      const sessions = await f.sessions(await f.account(), count);
      return sessions.map((s) => ({
        method: 'POST',
        path: '/sessions/refresh',
        body: { refreshToken: s.refreshToken },
      }));
    },
  },
  {
    fn: 'list-sessions',
    argon2: [],
    async requests(f, count) {
      const account = await f.account();
      await f.sessions(account, 2);
      return repeat(count, () => ({ method: 'GET', path: '/sessions', token: account.session.accessToken }));
    },
  },
  {
    fn: 'revoke-session',
    argon2: [],
    async requests(f, count) {
      const account = await f.account();
      const targets = await f.sessions(account, count);
      return targets.map((t) => ({
        method: 'DELETE',
        path: `/sessions/${t.sessionId}`,
        pathParameters: { id: t.sessionId },
        token: account.session.accessToken,
      }));
    },
  },
  {
    fn: 'revoke-all-sessions',
    argon2: [],
    async requests(f, count) {
      const accounts = await f.accounts(count);
      return accounts.map((a) => ({ method: 'DELETE', path: '/sessions', token: a.session.accessToken }));
    },
  },
  {
    fn: 'register',
    mail: true,
    argon2: ['hash'],
    async requests(f, count) {
      return repeat(count, () => ({
        method: 'POST',
        path: '/users',
        body: { name: 'Bench User', email: f.newEmail(), password: PASSWORD },
        ip: f.newIp(),
      }));
    },
  },
  {
    fn: 'resend-verification',
    mail: true,
    argon2: [],
    async requests(f, count) {
      const accounts = await f.unverifiedAccounts(count);
      return accounts.map((a) => ({
        method: 'POST',
        path: '/users/me/email-verification',
        token: a.session.accessToken,
        ip: f.newIp(),
      }));
    },
  },
  {
    fn: 'verify-email',
    variant: 'verification',
    argon2: [],
    async requests(f, count) {
      const tokens = await Promise.all(Array.from({ length: count }, () => f.link('verify')));
      return tokens.map((token) => ({ method: 'POST', path: '/email-verification', body: { token } }));
    },
  },
  {
    fn: 'revert-email-change',
    argon2: [],
    async requests(f, count) {
      const tokens = await Promise.all(Array.from({ length: count }, () => f.link('revert')));
      return tokens.map((token) => ({ method: 'POST', path: '/email-changes/revert', body: { token } }));
    },
  },
  {
    fn: 'request-password-reset',
    mail: true,
    argon2: [],
    async requests(f, count) {
      return repeat(count, () => ({
        method: 'POST',
        path: '/password-resets',
        body: { email: f.newEmail() },
        ip: f.newIp(),
      }));
    },
  },
  {
    fn: 'request-email-sign-in',
    argon2: [],
    mail: true,
    async requests(f, count) {
      return repeat(count, () => ({
        method: 'POST',
        path: '/sessions/email',
        body: { email: f.newEmail() },
        ip: f.newIp(),
      }));
    },
  },
  {
    fn: 'confirm-email-sign-in',
    argon2: [],
    async requests(f, count) {
      const tokens = await Promise.all(Array.from({ length: count }, () => f.signInLink()));
      return tokens.map((token) => ({
        method: 'POST',
        path: '/sessions/email/confirm',
        body: { token },
        ip: f.newIp(),
      }));
    },
  },
  {
    fn: 'confirm-password-reset',
    argon2: ['hash'],
    mail: true,
    async requests(f, count) {
      const tokens = await Promise.all(Array.from({ length: count }, () => f.link('reset')));
      return tokens.map((token) => ({
        method: 'POST',
        path: '/password-resets/confirm',
        body: { token, newPassword: OTHER_PASSWORD },
      }));
    },
  },
  {
    fn: 'login',
    argon2: ['verify'],
    mail: true,
    async requests(f, count) {
      const { user, password } = await f.account();
      return repeat(count, () => ({
        method: 'POST',
        path: '/sessions',
        body: { email: user.email, password },
        ip: f.newIp(),
      }));
    },
  },
  {
    fn: 'change-password',
    argon2: ['verify', 'hash'],
    mail: true,
    async requests(f, count) {
      const { session } = await f.account();
      return repeat(count, (i) => ({
        method: 'PUT',
        path: '/users/me/password',
        token: session.accessToken,
        body:
          i % 2 === 0
            ? { currentPassword: PASSWORD, newPassword: OTHER_PASSWORD }
            : { currentPassword: OTHER_PASSWORD, newPassword: PASSWORD },
      }));
    },
  },
  {
    fn: 'delete-account',
    argon2: ['verify'],
    async requests(f, count) {
      const accounts = await f.accounts(count);
      return accounts.map((a) => ({
        method: 'DELETE',
        path: '/users/me',
        token: a.session.accessToken,
        body: { password: a.password },
      }));
    },
  },
  {
    fn: 'get-security',
    argon2: [],
    async requests(f, count) {
      const { session } = await f.totpAccount(true);
      return repeat(count, () => ({ method: 'GET', path: '/users/me/security', token: session.accessToken }));
    },
  },
  {
    fn: 'export-account',
    argon2: [],
    async requests(f, count) {
      const { session } = await f.totpAccount(true);
      return repeat(count, () => ({ method: 'GET', path: '/users/me/export', token: session.accessToken }));
    },
  },
  {
    fn: 'start-totp-enrollment',
    argon2: ['verify'],
    async requests(f, count) {
      const { session } = await f.account();
      return repeat(count, () => ({
        method: 'POST',
        path: '/users/me/totp',
        token: session.accessToken,
        body: { currentPassword: PASSWORD },
      }));
    },
  },
  {
    fn: 'confirm-totp',
    argon2: [],
    mail: true,
    expiresWithinSeconds: 30,
    async requests(f, count) {
      const pending = await Promise.all(Array.from({ length: count }, () => f.totpAccount(false)));
      return pending.map((a) => ({
        method: 'POST',
        path: '/users/me/totp/confirm',
        token: a.session.accessToken,
        // Made when sent (a code lives 30 s; the run of an endpoint can take longer).
        get body() {
          return { code: totpCode(a.secret, Date.now()) };
        },
      }));
    },
  },
  {
    fn: 'renew-recovery-codes',
    argon2: ['verify'],
    async requests(f, count) {
      // A current factor is re-entered too (a recovery code: single use, and renewing replaces the
      // set), so each request has an account of its own.
      const accounts = await Promise.all(Array.from({ length: count }, () => f.totpAccount(true)));
      return accounts.map((a) => ({
        method: 'POST',
        path: '/users/me/recovery-codes',
        token: a.session.accessToken,
        body: { currentPassword: PASSWORD, recoveryCode: a.recoveryCodes[0] },
      }));
    },
  },
  {
    fn: 'disable-totp',
    argon2: ['verify'],
    mail: true,
    async requests(f, count) {
      const accounts = await Promise.all(Array.from({ length: count }, () => f.totpAccount(true)));
      return accounts.map((a) => ({
        method: 'DELETE',
        path: '/users/me/totp',
        token: a.session.accessToken,
        body: { currentPassword: PASSWORD, recoveryCode: a.recoveryCodes[0] },
      }));
    },
  },
  {
    fn: 'complete-mfa-login',
    argon2: [],
    mail: true,
    async requests(f, count) {
      const logins = await Promise.all(Array.from({ length: count }, () => f.mfaLogin()));
      // A recovery code: the same checks and writes as a TOTP code, and it does not go stale
      // before the cold first responses, minutes later.
      return logins.map((l) => ({
        method: 'POST',
        path: '/sessions/mfa',
        ip: f.newIp(),
        body: { mfaToken: l.mfaToken, recoveryCode: l.recoveryCode },
      }));
    },
  },
  {
    fn: 'passkey-registration-options',
    argon2: [],
    async requests(f, count) {
      const { session } = await f.account();
      return repeat(count, () => ({
        method: 'POST',
        path: '/users/me/passkeys/options',
        token: session.accessToken,
      }));
    },
  },
  {
    fn: 'add-passkey',
    argon2: [],
    mail: true,
    expiresWithinSeconds: 300,
    async requests(f, count) {
      const made = await Promise.all(Array.from({ length: count }, () => f.passkeyRegistration()));
      return made.map(({ account, response }) => ({
        method: 'POST',
        path: '/users/me/passkeys',
        token: account.session.accessToken,
        body: { response },
      }));
    },
  },
  {
    fn: 'list-passkeys',
    argon2: [],
    async requests(f, count) {
      const { account } = await f.passkeyAccount();
      return repeat(count, () => ({
        method: 'GET',
        path: '/users/me/passkeys',
        token: account.session.accessToken,
      }));
    },
  },
  {
    fn: 'delete-passkey',
    argon2: ['verify'],
    mail: true,
    async requests(f, count) {
      const made = await Promise.all(Array.from({ length: count }, () => f.passkeyAccount()));
      return made.map(({ account, authenticator }) => ({
        method: 'DELETE',
        path: `/users/me/passkeys/${authenticator.id}`,
        pathParameters: { passkeyId: authenticator.id },
        token: account.session.accessToken,
        body: { currentPassword: PASSWORD },
      }));
    },
  },
  {
    fn: 'passkey-login-options',
    argon2: [],
    async requests(f, count) {
      return repeat(count, () => ({ method: 'POST', path: '/sessions/passkey/options', ip: f.newIp() }));
    },
  },
  {
    fn: 'passkey-login',
    argon2: [],
    mail: true,
    expiresWithinSeconds: 300,
    async requests(f, count) {
      const { authenticator } = await f.passkeyAccount();
      // In order: each response carries the next signature counter.
      const responses: unknown[] = [];
      for (let i = 0; i < count; i++) responses.push(await f.passkeyLogin(authenticator));
      return responses.map((response) => ({
        method: 'POST',
        path: '/sessions/passkey',
        ip: f.newIp(),
        body: { response },
      }));
    },
  },
  {
    fn: 'jwks',
    argon2: [],
    async requests(_f, count) {
      return repeat(count, () => ({ method: 'GET', path: '/.well-known/jwks.json' }));
    },
  },
  {
    fn: 'openid-configuration',
    argon2: [],
    async requests(_f, count) {
      return repeat(count, () => ({ method: 'GET', path: '/.well-known/openid-configuration' }));
    },
  },
  {
    fn: 'openapi',
    argon2: [],
    async requests(_f, count) {
      return repeat(count, () => ({ method: 'GET', path: '/openapi.json' }));
    },
  },
  {
    fn: 'oauth-providers',
    argon2: [],
    async requests(_f, count) {
      return repeat(count, () => ({ method: 'GET', path: '/oauth/providers' }));
    },
  },
  {
    fn: 'oauth-start',
    argon2: [],
    async requests(f, count) {
      return repeat(count, () => ({
        method: 'POST',
        path: '/oauth/oidc/start',
        pathParameters: { provider: 'oidc' },
        ip: f.newIp(),
        body: { redirectUri: f.redirectUri, codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM' },
      }));
    },
  },
  {
    fn: 'oauth-callback',
    argon2: [],
    expiresWithinSeconds: 60,
    async requests(f, count) {
      const answers: string[] = [];
      for (let i = 0; i < count; i++) answers.push(await f.providerAnswer());
      return answers.map((query) => ({
        method: 'GET',
        path: '/oauth/oidc/callback',
        pathParameters: { provider: 'oidc' },
        query,
      }));
    },
  },
  {
    fn: 'oauth-form-callback',
    argon2: [],
    expiresWithinSeconds: 60,
    async requests(f, count) {
      const answers: string[] = [];
      for (let i = 0; i < count; i++) answers.push(await f.providerAnswer());
      return answers.map((query) => ({
        method: 'POST',
        path: '/oauth/oidc/callback',
        pathParameters: { provider: 'oidc' },
        rawBody: query,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }));
    },
  },
  {
    fn: 'oauth-sign-in',
    argon2: [],
    expiresWithinSeconds: 60,
    async requests(f, count) {
      const codes = await Promise.all(Array.from({ length: count }, () => f.socialCode()));
      return codes.map(({ code, verifier }) => ({
        method: 'POST',
        path: '/sessions/oauth',
        body: { code, codeVerifier: verifier },
      }));
    },
  },
  {
    fn: 'list-identities',
    argon2: [],
    async requests(f, count) {
      const { account } = await f.identityAccount();
      return repeat(count, () => ({
        method: 'GET',
        path: '/users/me/identities',
        token: account.session.accessToken,
      }));
    },
  },
  {
    fn: 'delete-identity',
    argon2: [],
    async requests(f, count) {
      const made = await Promise.all(Array.from({ length: count }, () => f.identityAccount()));
      return made.map(({ account, identityId }) => ({
        method: 'DELETE',
        path: `/users/me/identities/${identityId}`,
        pathParameters: { identityId },
        token: account.session.accessToken,
      }));
    },
  },
  {
    route: '$default (GET /nope → 404)',
    fn: 'not-found',
    status: 404,
    auth: false,
    signs: false,
    budget: roundTripBudget(CATCH_ALL),
    argon2: [],
    async requests(_f, count) {
      return repeat(count, () => ({ method: 'GET', path: '/nope' }));
    },
  },
];

/** The bench's endpoints, with method, path, success status, auth and round-trip budget from the route table. */
export const ENDPOINTS: Endpoint[] = SPECS.map((spec) => {
  if ('route' in spec) return spec;
  const route = routeOf(spec.fn);
  return {
    ...spec,
    route: `${route.method} ${route.path}${spec.variant ? ` (${spec.variant})` : ''}`,
    status: route.status,
    auth: route.auth,
    signs: 'sessionCookie' in route && (route.sessionCookie === 'issue' || route.sessionCookie === 'refresh'),
    budget: roundTripBudget(route, spec.variant),
  };
});
