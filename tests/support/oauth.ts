import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  type LocalAccount,
  type LocalIdentityProvider,
  startIdentityProvider,
} from '../../dev/identity-provider';
import type { ProviderAnswer } from '../../dev/provider-browser';
import { signInAtProvider as browse } from '../../dev/provider-browser';
import * as deleteIdentity from '../../functions/delete-identity';
import * as listIdentities from '../../functions/list-identities';
import * as oauthCallback from '../../functions/oauth-callback';
import * as oauthFormCallback from '../../functions/oauth-form-callback';
import * as oauthProviders from '../../functions/oauth-providers';
import * as oauthSignIn from '../../functions/oauth-sign-in';
import * as oauthStart from '../../functions/oauth-start';
import type { HttpHandler } from '../../lib/http';
import { fullOAuthTier, type OAuthOverrides, type OAuthServices } from '../../lib/oauth/services';
import { httpEvent, invoke, lambdaContext, type Response, testServices } from './app';
import { createHandlers } from './handlers';

/** The API's public URL in these tests (callback URLs registered at the provider). */
export const API_URL = 'http://localhost:3999';
/** The app the browser goes back to (APP_URL's origin is an allowed redirect origin). */
export const APP_URL = 'http://localhost:5173';
export const REDIRECT_URI = `${APP_URL}/oauth-callback`;

/** Apple's team key (ES256): the service signs its client secret with it, the twin checks it. */
const appleKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
export const APPLE_PRIVATE_KEY = appleKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Starts the local identity provider with a client for the oidc, google and apple slots. */
export function startTwin(): Promise<LocalIdentityProvider> {
  return startIdentityProvider({
    clients: [
      {
        clientId: 'local-oidc',
        clientSecret: 'oidc-secret',
        redirectUris: [`${API_URL}/oauth/oidc/callback`],
      },
      {
        clientId: 'google-client',
        clientSecret: 'google-secret',
        redirectUris: [`${API_URL}/oauth/google/callback`],
      },
      {
        clientId: 'apple-client',
        clientSecret: 'apple-static',
        redirectUris: [`${API_URL}/oauth/apple/callback`],
        jwtSecretKey: appleKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      },
    ],
  });
}

/** The environment that turns the oidc, google and apple slots on against the twin. */
export const twinEnv = (twin: LocalIdentityProvider, extra: Record<string, string> = {}) => ({
  API_URL,
  APP_URL,
  OAUTH_OIDC_ISSUER: twin.issuer,
  OAUTH_OIDC_CLIENT_ID: 'local-oidc',
  OAUTH_OIDC_CLIENT_SECRET: 'oidc-secret',
  OAUTH_OIDC_NAME: 'Local identity provider',
  OAUTH_GOOGLE_ISSUER: twin.issuer,
  OAUTH_GOOGLE_CLIENT_ID: 'google-client',
  OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret',
  OAUTH_APPLE_ISSUER: twin.issuer,
  OAUTH_APPLE_CLIENT_ID: 'apple-client',
  OAUTH_APPLE_TEAM_ID: 'TEAM123456',
  OAUTH_APPLE_KEY_ID: 'KEY1234567',
  OAUTH_APPLE_PRIVATE_KEY: APPLE_PRIVATE_KEY,
  OAUTH_TIMEOUT_MS: '1000',
  RATE_LIMIT_OAUTH_PER_IP: '1000/60',
  ...extra,
});

/** Every handler (the existing ones and social log-in's), on one set of services. */
export function oauthHandlers(env: Record<string, string>, overrides: OAuthOverrides = {}) {
  const base = testServices(env, overrides);
  const services: OAuthServices & typeof base = { ...base, ...fullOAuthTier(base, overrides) };
  return {
    services,
    h: {
      ...createHandlers(services),
      providers: oauthProviders.createHandler(services),
      start: oauthStart.createHandler(services),
      callback: oauthCallback.createHandler(services),
      formCallback: oauthFormCallback.createHandler(services),
      signIn: oauthSignIn.createHandler(services),
      identities: listIdentities.createHandler(services),
      unlink: deleteIdentity.createHandler(services),
    },
  };
}

/** The app's own PKCE pair. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A browser at the provider, stopping where it is sent back to this file's API_URL. */
export const signInAtProvider = (authorizationUrl: string, account: LocalAccount | 'cancel') =>
  browse(authorizationUrl, account, API_URL);

export type { ProviderAnswer };

/** Delivers the provider's answer to the API's callback handler (GET or form POST). */
export async function deliver(
  handlers: { callback: HttpHandler; formCallback: HttpHandler },
  answer: ProviderAnswer,
  ip?: string,
): Promise<Response> {
  const path = `/oauth/${answer.provider}/callback`;
  const event = httpEvent({
    method: answer.method,
    path,
    pathParameters: { provider: answer.provider },
    ...(answer.method === 'POST'
      ? {
          rawBody: answer.params.toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        }
      : {}),
    ...(ip ? { ip } : {}),
  });
  if (answer.method === 'GET') event.rawQueryString = answer.params.toString();
  const handler = answer.method === 'GET' ? handlers.callback : handlers.formCallback;
  const result = await handler(event, lambdaContext());
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const text = result.body ?? '';
  return { status: result.statusCode ?? 200, headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** The fragment members of a callback's 302. */
export const fragmentOf = (res: Response): Record<string, string> => {
  expect(res.status).toBe(302);
  const location = res.headers.location ?? '';
  expect(location.startsWith(`${REDIRECT_URI}#`)).toBe(true);
  return Object.fromEntries(new URLSearchParams(location.slice(location.indexOf('#') + 1)));
};

/** `POST /oauth/{provider}/start`, expecting 200: the authorization URL. */
export async function start(
  handler: HttpHandler,
  provider: string,
  challenge: string,
  token?: string,
): Promise<string> {
  const res = await invoke(handler, {
    method: 'POST',
    path: `/oauth/${provider}/start`,
    pathParameters: { provider },
    body: { redirectUri: REDIRECT_URI, codeChallenge: challenge },
    ...(token ? { token } : {}),
  });
  if (res.status !== 200) throw new Error(`start answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.authorizationUrl;
}
