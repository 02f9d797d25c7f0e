// Social log-in's round-trip budgets: datastore requests per warm request (each a network hop to
// Upstash; the route table's `roundTrips`, lib/routes.ts) and requests to the provider per callback
// (each a hop to Google or Apple), counted on a datastore front and a local identity provider of
// this file's own.
import { type Datastore, startDatastore } from '../../dev/datastore/server';
import type { LocalIdentityProvider } from '../../dev/identity-provider';
import { roundTripBudget } from '../../dev/round-trips';
import { type FunctionName, routeOf } from '../../lib/routes';
import { uniqueEmail } from '../support/accounts';
import { invoke } from '../support/app';
import {
  deliver,
  fragmentOf,
  oauthHandlers,
  pkce,
  signInAtProvider,
  start,
  startTwin,
  twinEnv,
} from '../support/oauth';

let datastore: Datastore;
let twin: LocalIdentityProvider;
let h: ReturnType<typeof oauthHandlers>['h'];

beforeAll(async () => {
  datastore = await startDatastore({ redisUrl: process.env.DATASTORE_REDIS_URL });
  twin = await startTwin();
  ({ h } = oauthHandlers(
    twinEnv(twin, { UPSTASH_REDIS_REST_URL: datastore.url, UPSTASH_REDIS_REST_TOKEN: datastore.token }),
  ));
});
afterAll(async () => {
  await twin?.close();
  await datastore?.close();
});

/** The route's exact round-trip budget (lib/routes.ts). */
function budgetOf(fn: FunctionName): number {
  const budget = roundTripBudget(routeOf(fn));
  expect(budget.exact).toBe(true);
  return budget.roundTrips;
}

const who = () => ({ email: uniqueEmail('budget'), name: 'Budget', emailVerified: true });

/** A sign-in up to the provider's answer (start counted by the caller if it wants). */
async function answer() {
  const { verifier, challenge } = pkce();
  return { answer: await signInAtProvider(await start(h.start, 'oidc', challenge), who()), verifier };
}

test('a warm callback: one token request to the provider (no discovery, no JWKS), datastore round trips on budget', async () => {
  // Prepare: one sign-in first (discovery, JWKS and the scripts loaded), then a fresh answer.
  fragmentOf(await deliver(h, (await answer()).answer));
  const next = await answer();
  twin.requests.length = 0;
  datastore.resetCounts();

  // Act
  const res = await deliver(h, next.answer);

  // Assess: state taken, holders read, the decision and the code stored.
  expect(fragmentOf(res).code).toBeDefined();
  expect(twin.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /token']);
  expect(datastore.counts().total).toBe(budgetOf('oauth-callback'));
});

test('a warm start: its round-trip budget (the limit, the session check and the state in one script), no provider call', async () => {
  await answer();
  twin.requests.length = 0;
  datastore.resetCounts();
  await start(h.start, 'oidc', pkce().challenge);
  expect(datastore.counts().total).toBe(budgetOf('oauth-start'));
  expect(twin.requests).toEqual([]);
});

test('a warm POST /sessions/oauth: its round-trip budget (one script), then the JWT is signed', async () => {
  const first = await answer();
  const firstCode = fragmentOf(await deliver(h, first.answer)).code as string;
  expect(
    (
      await invoke(h.signIn, {
        method: 'POST',
        path: '/sessions/oauth',
        body: { code: firstCode, codeVerifier: first.verifier },
      })
    ).status,
  ).toBe(200);
  const next = await answer();
  const code = fragmentOf(await deliver(h, next.answer)).code as string;
  datastore.resetCounts();
  const res = await invoke(h.signIn, {
    method: 'POST',
    path: '/sessions/oauth',
    body: { code, codeVerifier: next.verifier },
  });
  expect(res.status).toBe(200);
  expect(datastore.counts().total).toBe(budgetOf('oauth-sign-in'));
});

test('warm GET /users/me/identities and DELETE /users/me/identities/{id}: each on its round-trip budget', async () => {
  const one = await answer();
  const code = fragmentOf(await deliver(h, one.answer)).code as string;
  const { body } = await invoke(h.signIn, {
    method: 'POST',
    path: '/sessions/oauth',
    body: { code, codeVerifier: one.verifier },
  });
  const token = body.session.accessToken as string;
  await invoke(h.changePassword, {
    method: 'PUT',
    path: '/users/me/password',
    token,
    body: { newPassword: 'a first password of mine' },
  });
  await invoke(h.identities, { method: 'GET', path: '/users/me/identities', token });
  datastore.resetCounts();
  const list = await invoke(h.identities, { method: 'GET', path: '/users/me/identities', token });
  expect(datastore.counts().total).toBe(budgetOf('list-identities'));
  const id = list.body.identities[0].id as string;
  // The unlink script's first call loads it (EVALSHA → NOSCRIPT → EVAL): an unknown id first.
  const unknown = 'idn_AAAAAAAAAAAAAAAAAAAAAA';
  await invoke(h.unlink, {
    method: 'DELETE',
    path: `/users/me/identities/${unknown}`,
    token,
    pathParameters: { identityId: unknown },
  });
  datastore.resetCounts();
  const res = await invoke(h.unlink, {
    method: 'DELETE',
    path: `/users/me/identities/${id}`,
    token,
    pathParameters: { identityId: id },
  });
  expect(res.status).toBe(204);
  expect(datastore.counts().total).toBe(budgetOf('delete-identity'));
});
