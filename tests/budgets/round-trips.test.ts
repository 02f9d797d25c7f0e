// Round-trip budgets (issue 5): each Redis REST call is a network hop to Upstash in production,
// so the number of datastore requests one warm API request makes is part of the contract. The
// budgets are the route table's (lib/routes.ts `roundTrips`); this file drives each route with
// real requests and checks the count against it. Counted by a REST front of this file's own (in
// front of the run's backend), so no other test file's traffic lands in the counts.
import { randomBytes } from 'node:crypto';
import { type Datastore, startDatastore } from '../../dev/datastore/server';
import { describeBudget, roundTripBudget } from '../../dev/round-trips';
import { SoftAuthenticator } from '../../dev/soft-authenticator';
import { createAdminServices } from '../../lib/admin/services';
import { codeHashKey } from '../../lib/email-sign-in/pair';
import { createEmailSignInIssuer } from '../../lib/email-sign-in/store';
import type { HttpHandler } from '../../lib/http';
import { totpCode } from '../../lib/mfa/totp';
import { createMailLinks } from '../../lib/recovery/store';
import { CATCH_ALL, type FunctionName, ROUTES, routeOf } from '../../lib/routes';
import type { Services } from '../../lib/services';
import { logIn, PASSWORD, proveEmail, signUp, uniqueEmail } from '../support/accounts';
import { type EventInput, invoke, testServices } from '../support/app';
import { createHandlers, type EndpointFunction, handlerName } from '../support/handlers';

const NEW_PASSWORD = 'an even longer passphrase';

let datastore: Datastore;
let services: Services;
let h: ReturnType<typeof createHandlers>;

beforeAll(async () => {
  datastore = await startDatastore({ redisUrl: process.env.DATASTORE_REDIS_URL });
  services = testServices({
    UPSTASH_REDIS_REST_URL: datastore.url,
    UPSTASH_REDIS_REST_TOKEN: datastore.token,
  });
  h = createHandlers(services);
});

afterAll(async () => {
  await datastore?.close();
});

// A client address of its own per request, so no per-IP limit is ever near.
const newIp = (): string => `198.51.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;

/** Issues sign-in mails' secrets as the mail function does, on the same datastore and prefix. */
const signInIssuer = () =>
  createEmailSignInIssuer(services.datastore, services.keys, {
    codeKey: codeHashKey(services.config.totpEncryptionKey),
    ttlSeconds: services.config.emailSignIn.ttlSeconds,
  });

/** Issues mailed links as the mail function does. */
const mailLinks = () => createMailLinks(services.datastore, services.keys, services.config.mail);

/** A fresh account, logged in, through the real register handler, from an address of its own. */
const newAccount = () => signUp(h.register, { tag: 'budget', ip: newIp() });

/** A fresh account whose address is proved (the mailed link, through the real handler). */
async function verifiedAccount() {
  const account = await newAccount();
  await proveEmail(h.verifyEmail, services, account.id);
  return account;
}

/** A fresh account with TOTP on (through the real handlers); its code's step is then spent. */
async function totpAccount() {
  // Second factors need a proved address.
  const account = await verifiedAccount();
  const started = await invoke(h.startTotpEnrollment, {
    method: 'POST',
    path: '/users/me/totp',
    token: account.token,
    body: { currentPassword: PASSWORD },
  });
  const { secret } = started.body;
  const confirmed = await invoke(h.confirmTotp, {
    method: 'POST',
    path: '/users/me/totp/confirm',
    token: account.token,
    body: { code: totpCode(secret, Date.now()) },
  });
  expect(confirmed.status).toBe(200);
  return { ...account, secret: secret as string, recoveryCodes: confirmed.body.recoveryCodes as string[] };
}

/** A fresh account, logged in, then disabled by an operator (its sessions die with it). */
async function disabledAccount() {
  const account = await newAccount();
  const { admin } = createAdminServices(services.config);
  expect(await admin.run('disable', { target: account.email, operator: 'test' })).toMatchObject({ ok: true });
  return account;
}

/** A fresh proved account that asked to move to a new address (pending until that one is proved). */
async function movingAccount() {
  const account = await verifiedAccount();
  const moved = await invoke(h.updateProfile, {
    method: 'PATCH',
    path: '/users/me',
    token: account.token,
    body: { email: uniqueEmail('budget'), currentPassword: PASSWORD },
  });
  expect(moved.status).toBe(200);
  return account;
}

/** A passkey registration's request: the options for a fresh proved account, answered by a new authenticator. */
async function passkeyRegistration() {
  const account = await verifiedAccount();
  const authenticator = new SoftAuthenticator();
  const options = await invoke(h.passkeyRegistrationOptions, {
    method: 'POST',
    path: '/users/me/passkeys/options',
    token: account.token,
  });
  const request: EventInput = {
    method: 'POST',
    path: '/users/me/passkeys',
    token: account.token,
    body: { response: authenticator.register(options.body.options, services.config.mail.appUrl) },
  };
  return { account, authenticator, request };
}

/** A fresh proved account with one passkey (through the real handlers), and its authenticator. */
async function passkeyAccount() {
  const { account, authenticator, request } = await passkeyRegistration();
  expect((await invoke(h.addPasskey, request)).status).toBe(201);
  return { ...account, authenticator };
}

/** One request that exercises a route's round-trip budget. */
interface Scenario {
  fn: EndpointFunction;
  /** The case of the route's budget this request takes, for a route whose budget has several. */
  case?: string;
  /** What else sets this request apart (its budget is the route's). */
  label?: string;
  /** The status it gets; the route's success status unless set. */
  status?: number;
  /** A request ready to succeed, on fixtures of its own (made before the counts are reset). */
  request: () => Promise<EventInput>;
}

const scenarios: Scenario[] = [
  {
    fn: 'get-profile',
    request: async () => ({ method: 'GET', path: '/users/me', token: (await newAccount()).token }),
  },
  {
    fn: 'update-profile',
    case: 'name',
    request: async () => ({
      method: 'PATCH',
      path: '/users/me',
      token: (await newAccount()).token,
      body: { name: 'Renamed Tester' },
    }),
  },
  {
    fn: 'update-profile',
    case: 'email',
    request: async () => ({
      method: 'PATCH',
      path: '/users/me',
      token: (await verifiedAccount()).token,
      body: { email: uniqueEmail('budget'), currentPassword: PASSWORD },
    }),
  },
  {
    fn: 'logout',
    request: async () => ({ method: 'DELETE', path: '/sessions/current', token: (await newAccount()).token }),
  },
  {
    fn: 'refresh-session',
    request: async () => ({
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: (await newAccount()).session.refreshToken },
    }),
  },
  {
    fn: 'list-sessions',
    request: async () => ({ method: 'GET', path: '/sessions', token: (await newAccount()).token }),
  },
  {
    fn: 'revoke-session',
    request: async () => {
      const account = await newAccount();
      const { sessionId } = await logIn(h.login, account.email, { ip: newIp() });
      return {
        method: 'DELETE',
        path: `/sessions/${sessionId}`,
        pathParameters: { id: sessionId },
        token: account.token,
      };
    },
  },
  {
    fn: 'revoke-all-sessions',
    request: async () => ({ method: 'DELETE', path: '/sessions', token: (await newAccount()).token }),
  },
  {
    fn: 'register',
    request: async () => ({
      method: 'POST',
      path: '/users',
      body: { name: 'Budget Tester', email: uniqueEmail('budget'), password: PASSWORD },
      ip: newIp(),
    }),
  },
  {
    fn: 'login',
    request: async () => ({
      method: 'POST',
      path: '/sessions',
      body: { email: (await newAccount()).email, password: PASSWORD },
      ip: newIp(),
    }),
  },
  {
    fn: 'login',
    label: 'second factor on: 403 mfa_required',
    status: 403,
    request: async () => ({
      method: 'POST',
      path: '/sessions',
      body: { email: (await totpAccount()).email, password: PASSWORD },
      ip: newIp(),
    }),
  },
  {
    fn: 'complete-mfa-login',
    request: async () => {
      const account = await totpAccount();
      const required = await invoke(h.login, {
        method: 'POST',
        path: '/sessions',
        body: { email: account.email, password: PASSWORD },
        ip: newIp(),
      });
      // The next step's code: the confirming one is spent, and ±1 step is accepted.
      return {
        method: 'POST',
        path: '/sessions/mfa',
        body: { mfaToken: required.body.mfaToken, code: totpCode(account.secret, Date.now() + 30_000) },
        ip: newIp(),
      };
    },
  },
  // Asking for a sign-in mail only counts the client on its per-IP limit and queues a job (no
  // datastore hop: tests record the job): the same work for an address with an account and without.
  {
    fn: 'request-email-sign-in',
    label: 'known address',
    request: async () => ({
      method: 'POST',
      path: '/sessions/email',
      body: { email: (await newAccount()).email },
      ip: newIp(),
    }),
  },
  {
    fn: 'request-email-sign-in',
    label: 'unknown address',
    request: async () => ({
      method: 'POST',
      path: '/sessions/email',
      body: { email: uniqueEmail('budget') },
      ip: newIp(),
    }),
  },
  {
    fn: 'confirm-email-sign-in',
    label: 'link of a known address',
    request: async () => {
      const { email } = await newAccount();
      const issued = await signInIssuer().issue(email, true, Date.now());
      return { method: 'POST', path: '/sessions/email/confirm', body: { token: issued?.token }, ip: newIp() };
    },
  },
  {
    fn: 'confirm-email-sign-in',
    label: 'code of a new address',
    request: async () => {
      const email = uniqueEmail('budget');
      const issued = await signInIssuer().issue(email, true, Date.now());
      return {
        method: 'POST',
        path: '/sessions/email/confirm',
        body: { email, code: issued?.code },
        ip: newIp(),
      };
    },
  },
  {
    fn: 'resend-verification',
    request: async () => ({
      method: 'POST',
      path: '/users/me/email-verification',
      token: (await newAccount()).token,
      ip: newIp(),
    }),
  },
  {
    fn: 'verify-email',
    case: 'verification',
    request: async () => {
      const issued = await mailLinks().issueVerification((await newAccount()).id, Date.now());
      return { method: 'POST', path: '/email-verification', body: { token: issued?.token } };
    },
  },
  {
    fn: 'verify-email',
    case: 'pending email change',
    request: async () => {
      const issued = await mailLinks().issueVerification((await movingAccount()).id, Date.now());
      return { method: 'POST', path: '/email-verification', body: { token: issued?.token } };
    },
  },
  {
    fn: 'revert-email-change',
    request: async () => {
      const account = await movingAccount();
      const issued = await mailLinks().issueRevert(account.id, account.email, Date.now());
      return { method: 'POST', path: '/email-changes/revert', body: { token: issued?.token } };
    },
  },
  {
    fn: 'request-password-reset',
    request: async () => ({
      method: 'POST',
      path: '/password-resets',
      body: { email: (await newAccount()).email },
      ip: newIp(),
    }),
  },
  {
    fn: 'confirm-password-reset',
    request: async () => {
      const issued = await mailLinks().issueReset((await newAccount()).email, Date.now());
      return {
        method: 'POST',
        path: '/password-resets/confirm',
        body: { token: issued?.token, newPassword: NEW_PASSWORD },
      };
    },
  },
  {
    fn: 'get-security',
    request: async () => ({ method: 'GET', path: '/users/me/security', token: (await totpAccount()).token }),
  },
  {
    fn: 'change-password',
    request: async () => ({
      method: 'PUT',
      path: '/users/me/password',
      token: (await newAccount()).token,
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    }),
  },
  {
    fn: 'delete-account',
    request: async () => ({
      method: 'DELETE',
      path: '/users/me',
      token: (await newAccount()).token,
      body: { password: PASSWORD },
    }),
  },
  {
    fn: 'export-account',
    request: async () => ({ method: 'GET', path: '/users/me/export', token: (await totpAccount()).token }),
  },
  {
    fn: 'start-totp-enrollment',
    request: async () => ({
      method: 'POST',
      path: '/users/me/totp',
      token: (await verifiedAccount()).token,
      body: { currentPassword: PASSWORD },
    }),
  },
  {
    fn: 'confirm-totp',
    request: async () => {
      const account = await verifiedAccount();
      const started = await invoke(h.startTotpEnrollment, {
        method: 'POST',
        path: '/users/me/totp',
        token: account.token,
        body: { currentPassword: PASSWORD },
      });
      return {
        method: 'POST',
        path: '/users/me/totp/confirm',
        token: account.token,
        body: { code: totpCode(started.body.secret, Date.now()) },
      };
    },
  },
  {
    fn: 'disable-totp',
    request: async () => {
      const account = await totpAccount();
      return {
        method: 'DELETE',
        path: '/users/me/totp',
        token: account.token,
        body: { currentPassword: PASSWORD, recoveryCode: account.recoveryCodes[0] },
      };
    },
  },
  {
    fn: 'renew-recovery-codes',
    request: async () => {
      const account = await totpAccount();
      return {
        method: 'POST',
        path: '/users/me/recovery-codes',
        token: account.token,
        body: { currentPassword: PASSWORD, recoveryCode: account.recoveryCodes[0] },
      };
    },
  },
  {
    fn: 'passkey-registration-options',
    label: 'a session opened just now, no password',
    request: async () => ({
      method: 'POST',
      path: '/users/me/passkeys/options',
      token: (await verifiedAccount()).token,
    }),
  },
  {
    fn: 'passkey-login-options',
    request: async () => ({ method: 'POST', path: '/sessions/passkey/options', ip: newIp() }),
  },
  {
    fn: 'passkey-login',
    request: async () => {
      const { authenticator } = await passkeyAccount();
      const options = await invoke(h.passkeyLoginOptions, {
        method: 'POST',
        path: '/sessions/passkey/options',
        ip: newIp(),
      });
      return {
        method: 'POST',
        path: '/sessions/passkey',
        body: { response: authenticator.authenticate(options.body.options, services.config.mail.appUrl) },
        ip: newIp(),
      };
    },
  },
  { fn: 'add-passkey', request: async () => (await passkeyRegistration()).request },
  {
    fn: 'list-passkeys',
    request: async () => ({
      method: 'GET',
      path: '/users/me/passkeys',
      token: (await passkeyAccount()).token,
    }),
  },
  {
    fn: 'delete-passkey',
    request: async () => {
      const { token, authenticator } = await passkeyAccount();
      return {
        method: 'DELETE',
        path: `/users/me/passkeys/${authenticator.id}`,
        pathParameters: { passkeyId: authenticator.id },
        token,
        body: { currentPassword: PASSWORD },
      };
    },
  },
  { fn: 'jwks', request: async () => ({ method: 'GET', path: '/.well-known/jwks.json' }) },
  {
    fn: 'openid-configuration',
    request: async () => ({ method: 'GET', path: '/.well-known/openid-configuration' }),
  },
  { fn: 'openapi', request: async () => ({ method: 'GET', path: '/openapi.json' }) },
  { fn: 'oauth-providers', request: async () => ({ method: 'GET', path: '/oauth/providers' }) },
  {
    fn: 'not-found',
    label: 'GET /nope → 404',
    status: 404,
    request: async () => ({ method: 'GET', path: '/nope' }),
  },
  // The disabled check rides in the scripts these requests already run: no round trip of its own.
  {
    fn: 'get-profile',
    label: 'account disabled: 403',
    status: 403,
    request: async () => ({ method: 'GET', path: '/users/me', token: (await disabledAccount()).token }),
  },
  {
    fn: 'refresh-session',
    label: 'account disabled: 403',
    status: 403,
    request: async () => ({
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: (await disabledAccount()).session.refreshToken },
    }),
  },
  {
    fn: 'login',
    label: 'account disabled: 403',
    status: 403,
    request: async () => ({
      method: 'POST',
      path: '/sessions',
      body: { email: (await disabledAccount()).email, password: PASSWORD },
      ip: newIp(),
    }),
  },
];

/**
 * Routes whose budgets another file asserts (social log-in needs an identity provider): a route
 * added to the table is in neither list and fails the coverage test below until a scenario drives it.
 */
const ELSEWHERE: Partial<Record<FunctionName, string>> = {
  'oauth-start': 'tests/budgets/oauth-round-trips.test.ts',
  'oauth-callback': 'tests/budgets/oauth-round-trips.test.ts',
  'oauth-form-callback': 'tests/budgets/oauth-round-trips.test.ts (as the GET callback)',
  'oauth-sign-in': 'tests/budgets/oauth-round-trips.test.ts',
  'list-identities': 'tests/budgets/oauth-round-trips.test.ts',
  'delete-identity': 'tests/budgets/oauth-round-trips.test.ts',
};

const routeFor = (fn: EndpointFunction) => (fn === CATCH_ALL.fn ? CATCH_ALL : routeOf(fn));
const named = (scenario: Scenario) => {
  const route = routeFor(scenario.fn);
  const budget = roundTripBudget(route, scenario.case);
  const detail = [scenario.case, scenario.label].filter(Boolean).join('; ');
  const name = scenario.fn === CATCH_ALL.fn ? '$default' : `${route.method} ${route.path}`;
  return { ...scenario, budget, title: `${name}${detail ? ` (${detail})` : ''}: ${describeBudget(budget)}` };
};

test('every route and every case of its budget is driven here, or names the file that asserts it', () => {
  const driven = new Set(scenarios.map((s) => `${s.fn}${s.case === undefined ? '' : `/${s.case}`}`));
  const expected = [...ROUTES, CATCH_ALL]
    .filter(({ fn }) => !(fn in ELSEWHERE))
    .flatMap(({ fn, roundTrips }) =>
      typeof roundTrips === 'number' || 'atMost' in roundTrips
        ? [fn]
        : Object.keys(roundTrips).map((path) => `${fn}/${path}`),
    );
  expect(expected.filter((key) => !driven.has(key))).toEqual([]);
});

describe('datastore round trips per warm request (rate-limit calls included), as lib/routes.ts budgets them', () => {
  test.each(scenarios.map(named))('$title', async ({ fn, status, budget, request }) => {
    // Prepare: one call first, so every Lua script is loaded (a script's first call costs
    // EVALSHA → NOSCRIPT → EVAL, two round trips); then a fresh request, and zero counts.
    const handler: HttpHandler = h[handlerName(fn)];
    const expectedStatus = status ?? routeFor(fn).status;
    expect((await invoke(handler, await request())).status).toBe(expectedStatus);
    const event = await request();
    datastore.resetCounts();

    // Act
    const response = await invoke(handler, event);

    // Assess
    const roundTrips = datastore.counts().total;
    expect(response.status).toBe(expectedStatus);
    if (budget.exact) expect(roundTrips).toBe(budget.roundTrips);
    else expect(roundTrips).toBeLessThanOrEqual(budget.roundTrips);
  });
});

describe('authenticated reads write nothing (Upstash Global can answer them from a replica)', () => {
  test.each([
    ['GET /users/me', 'get-profile', '/users/me'],
    ['GET /sessions', 'list-sessions', '/sessions'],
    ['GET /users/me/security', 'get-security', '/users/me/security'],
  ] as const)(
    'a warm %s, its session touched less than a minute ago: one read-only script, zero writes',
    async (_, fn, path) => {
      // Prepare: scripts loaded, a session opened just now (its lastUsedAt is fresh)
      const handler = h[handlerName(fn)];
      expect((await invoke(handler, { method: 'GET', path, token: (await newAccount()).token })).status).toBe(
        200,
      );
      const token = (await newAccount()).token;
      datastore.resetCounts();

      // Act
      const response = await invoke(handler, { method: 'GET', path, token });

      // Assess: the local datastore's command counts (a write inside it would have failed the script)
      expect(response.status).toBe(200);
      expect(datastore.counts()).toMatchObject({ total: 1, commands: { evalsha_ro: 1 }, writes: 0 });
    },
  );
});
