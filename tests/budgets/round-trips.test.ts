// Round-trip budgets (issue 5): each Redis REST call is a network hop to Upstash in production,
// so the number of datastore requests one warm API request makes is part of the contract.
// Counted by a REST front of this file's own (in front of the run's backend), so no other test
// file's traffic lands in the counts.
import { randomBytes } from 'node:crypto';
import { type Datastore, startDatastore } from '../../dev/datastore/server';
import * as changePassword from '../../functions/change-password';
import * as completeMfaLogin from '../../functions/complete-mfa-login';
import * as confirmEmailSignIn from '../../functions/confirm-email-sign-in';
import * as confirmTotp from '../../functions/confirm-totp';
import * as deleteAccount from '../../functions/delete-account';
import * as exportAccount from '../../functions/export-account';
import * as getProfile from '../../functions/get-profile';
import * as getSecurity from '../../functions/get-security';
import * as listSessions from '../../functions/list-sessions';
import * as login from '../../functions/login';
import * as logout from '../../functions/logout';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import * as requestEmailSignIn from '../../functions/request-email-sign-in';
import * as startTotpEnrollment from '../../functions/start-totp-enrollment';
import * as updateProfile from '../../functions/update-profile';
import * as verifyEmail from '../../functions/verify-email';
import { createAdminServices } from '../../lib/admin/services';
import { codeHashKey } from '../../lib/email-sign-in/pair';
import { createEmailSignInIssuer } from '../../lib/email-sign-in/store';
import { exportTier } from '../../lib/export/services';
import type { HttpHandler } from '../../lib/http';
import type { Services } from '../../lib/services';
import { totpCode } from '../../lib/totp';
import { PASSWORD, proveEmail, signUp, uniqueEmail } from '../support/accounts';
import { type EventInput, invoke, testServices } from '../support/app';

const NEW_PASSWORD = 'an even longer passphrase';

let datastore: Datastore;
let services: Services;

beforeAll(async () => {
  datastore = await startDatastore({ redisUrl: process.env.DATASTORE_REDIS_URL });
  services = testServices({
    UPSTASH_REDIS_REST_URL: datastore.url,
    UPSTASH_REDIS_REST_TOKEN: datastore.token,
  });
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

/** A fresh account, logged in, through the real register handler, from an address of its own. */
const newAccount = () => signUp(register.createHandler(services), { tag: 'budget', ip: newIp() });

/** A fresh account with TOTP on (through the real handlers); its code's step is then spent. */
async function totpAccount() {
  const account = await newAccount();
  // Second factors need a proved address (the mailed link, through the real handler).
  await proveEmail(verifyEmail.createHandler(services), services, account.id);
  const started = await invoke(startTotpEnrollment.createHandler(services), {
    method: 'POST',
    path: '/users/me/totp',
    token: account.token,
    body: { currentPassword: PASSWORD },
  });
  const { secret } = started.body;
  const confirmed = await invoke(confirmTotp.createHandler(services), {
    method: 'POST',
    path: '/users/me/totp/confirm',
    token: account.token,
    body: { code: totpCode(secret, Date.now()) },
  });
  expect(confirmed.status).toBe(200);
  return { ...account, secret: secret as string };
}

/** A fresh account, logged in, then disabled by an operator (its sessions die with it). */
async function disabledAccount() {
  const account = await newAccount();
  const { admin } = createAdminServices(services.config);
  expect(await admin.run('disable', { target: account.email, operator: 'test' })).toMatchObject({ ok: true });
  return account;
}

interface Budget {
  route: string;
  /** Warm round trips allowed; `exact` budgets are also the least the endpoint can do (it must check the session). */
  budget: number;
  exact: boolean;
  status: number;
  createHandler: (services: Services) => HttpHandler;
  /** A request ready to succeed, on fixtures of its own (made before the counts are reset). */
  request: () => Promise<EventInput>;
}

const budgets: Budget[] = [
  {
    route: 'GET /users/me',
    budget: 1,
    exact: true,
    status: 200,
    createHandler: getProfile.createHandler,
    request: async () => ({ method: 'GET', path: '/users/me', token: (await newAccount()).token }),
  },
  {
    route: 'PATCH /users/me (name)',
    budget: 1,
    exact: true,
    status: 200,
    createHandler: updateProfile.createHandler,
    request: async () => ({
      method: 'PATCH',
      path: '/users/me',
      token: (await newAccount()).token,
      body: { name: 'Renamed Tester' },
    }),
  },
  {
    route: 'DELETE /sessions/current',
    budget: 1,
    exact: true,
    status: 204,
    createHandler: logout.createHandler,
    request: async () => ({
      method: 'DELETE',
      path: '/sessions/current',
      token: (await newAccount()).token,
    }),
  },
  {
    route: 'POST /sessions/refresh',
    budget: 1,
    exact: true,
    status: 200,
    createHandler: refreshSession.createHandler,
    request: async () => ({
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: (await newAccount()).session.refreshToken },
    }),
  },
  {
    route: 'GET /sessions',
    budget: 1,
    exact: true,
    status: 200,
    createHandler: listSessions.createHandler,
    request: async () => ({ method: 'GET', path: '/sessions', token: (await newAccount()).token }),
  },
  {
    route: 'POST /users',
    budget: 2,
    exact: false,
    status: 201,
    createHandler: register.createHandler,
    request: async () => ({
      method: 'POST',
      path: '/users',
      body: { name: 'Budget Tester', email: uniqueEmail('budget'), password: PASSWORD },
      ip: newIp(),
    }),
  },
  {
    route: 'POST /sessions',
    budget: 3,
    exact: false,
    status: 200,
    createHandler: login.createHandler,
    request: async () => ({
      method: 'POST',
      path: '/sessions',
      body: { email: (await newAccount()).email, password: PASSWORD },
      ip: newIp(),
    }),
  },
  {
    route: 'POST /sessions (second factor on: 403 mfa_required)',
    budget: 3,
    exact: false,
    status: 403,
    createHandler: login.createHandler,
    request: async () => ({
      method: 'POST',
      path: '/sessions',
      body: { email: (await totpAccount()).email, password: PASSWORD },
      ip: newIp(),
    }),
  },
  {
    route: 'POST /sessions/mfa',
    budget: 2,
    exact: true,
    status: 200,
    createHandler: completeMfaLogin.createHandler,
    request: async () => {
      const account = await totpAccount();
      const required = await invoke(login.createHandler(services), {
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
    route: 'POST /sessions/email (known address)',
    budget: 1,
    exact: true,
    status: 202,
    createHandler: requestEmailSignIn.createHandler,
    request: async () => ({
      method: 'POST',
      path: '/sessions/email',
      body: { email: (await newAccount()).email },
      ip: newIp(),
    }),
  },
  {
    route: 'POST /sessions/email (unknown address)',
    budget: 1,
    exact: true,
    status: 202,
    createHandler: requestEmailSignIn.createHandler,
    request: async () => ({
      method: 'POST',
      path: '/sessions/email',
      body: { email: uniqueEmail('budget') },
      ip: newIp(),
    }),
  },
  {
    route: 'POST /sessions/email/confirm (link of a known address)',
    budget: 2,
    exact: true,
    status: 200,
    createHandler: confirmEmailSignIn.createHandler,
    request: async () => {
      const { email } = await newAccount();
      const issued = await signInIssuer().issue(email, true, Date.now());
      return { method: 'POST', path: '/sessions/email/confirm', body: { token: issued?.token }, ip: newIp() };
    },
  },
  {
    route: 'POST /sessions/email/confirm (code of a new address)',
    budget: 2,
    exact: true,
    status: 200,
    createHandler: confirmEmailSignIn.createHandler,
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
    route: 'GET /users/me/security',
    budget: 1,
    exact: true,
    status: 200,
    createHandler: getSecurity.createHandler,
    request: async () => ({ method: 'GET', path: '/users/me/security', token: (await totpAccount()).token }),
  },
  {
    route: 'PUT /users/me/password',
    budget: 2,
    exact: false,
    status: 204,
    createHandler: changePassword.createHandler,
    request: async () => ({
      method: 'PUT',
      path: '/users/me/password',
      token: (await newAccount()).token,
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    }),
  },
  {
    route: 'DELETE /users/me',
    budget: 2,
    exact: false,
    status: 204,
    createHandler: deleteAccount.createHandler,
    request: async () => ({
      method: 'DELETE',
      path: '/users/me',
      token: (await newAccount()).token,
      body: { password: PASSWORD },
    }),
  },
  {
    route: 'GET /users/me/export',
    budget: 1,
    exact: true,
    status: 200,
    createHandler: (s) => exportAccount.createHandler({ ...s, ...exportTier(s) }),
    request: async () => ({ method: 'GET', path: '/users/me/export', token: (await totpAccount()).token }),
  },
  // The disabled check rides in the scripts these requests already run: no round trip of its own.
  {
    route: 'GET /users/me (account disabled: 403)',
    budget: 1,
    exact: true,
    status: 403,
    createHandler: getProfile.createHandler,
    request: async () => ({ method: 'GET', path: '/users/me', token: (await disabledAccount()).token }),
  },
  {
    route: 'POST /sessions/refresh (account disabled: 403)',
    budget: 1,
    exact: true,
    status: 403,
    createHandler: refreshSession.createHandler,
    request: async () => ({
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: (await disabledAccount()).session.refreshToken },
    }),
  },
  {
    route: 'POST /sessions (account disabled: 403)',
    budget: 3,
    exact: false,
    status: 403,
    createHandler: login.createHandler,
    request: async () => ({
      method: 'POST',
      path: '/sessions',
      body: { email: (await disabledAccount()).email, password: PASSWORD },
      ip: newIp(),
    }),
  },
];

describe('datastore round trips per warm request (rate-limit calls included)', () => {
  test.each(budgets)('$route: budget $budget', async ({ budget, exact, status, createHandler, request }) => {
    // Prepare: one call first, so every Lua script is loaded (a script's first call costs
    // EVALSHA → NOSCRIPT → EVAL, two round trips); then a fresh request, and zero counts.
    const handler = createHandler(services);
    expect((await invoke(handler, await request())).status).toBe(status);
    const event = await request();
    datastore.resetCounts();

    // Act
    const response = await invoke(handler, event);

    // Assess
    const roundTrips = datastore.counts().total;
    expect(response.status).toBe(status);
    if (exact) expect(roundTrips).toBe(budget);
    else expect(roundTrips).toBeLessThanOrEqual(budget);
  });
});

describe('authenticated reads write nothing (Upstash Global can answer them from a replica)', () => {
  test.each([
    ['GET /users/me', getProfile.createHandler, '/users/me'],
    ['GET /sessions', listSessions.createHandler, '/sessions'],
    ['GET /users/me/security', getSecurity.createHandler, '/users/me/security'],
  ] as const)(
    'a warm %s, its session touched less than a minute ago: one read-only script, zero writes',
    async (_, createHandler, path) => {
      // Prepare: scripts loaded, a session opened just now (its lastUsedAt is fresh)
      const handler = createHandler(services);
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
