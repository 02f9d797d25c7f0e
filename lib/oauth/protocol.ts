import { createHash, createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { canonicalEmail } from '../validation';
import { isLoopbackHost, isSecureUrl, type ProviderConfig } from './config';
import { ProviderRefusalError } from './protocol-errors';

export { ProviderRefusalError };

/** Who the provider says signed in, once its answer verified. */
export interface VerifiedIdentity {
  /** `sub`, or GitHub's numeric user id. */
  subject: string;
  /** Canonical email, or null when the provider gave none. */
  email: string | null;
  /** Only when the provider says so (`email_verified`; GitHub: the primary address, verified). */
  emailVerified: boolean;
  /** From the profile; empty when none. */
  name: string;
}

/** What the flow keeps between start and callback, provider side. */
export interface ProviderRequest {
  state: string;
  /** The service's own PKCE verifier (S256 towards the provider). */
  verifier: string;
  nonce: string;
}

/** One provider's protocol: the authorization URL, and the callback's code exchange and checks. */
export interface ProviderClient {
  authorizationUrl(request: ProviderRequest): Promise<string>;
  /** Exchanges the callback's code and verifies the answer; throws `ProviderRefusalError`. */
  finish(callback: URLSearchParams, request: ProviderRequest): Promise<VerifiedIdentity>;
}

/** What `createProviderClient` needs besides the provider's configuration. */
export interface ProtocolSettings {
  apiUrl: string;
  timeoutMs: number;
  /** Tests count and fault provider calls through this; production uses the global fetch. */
  fetch?: typeof fetch;
}

const refusal = (error: unknown): ProviderRefusalError => {
  if (error instanceof ProviderRefusalError) return error;
  if (error instanceof oauth.AuthorizationResponseError)
    return new ProviderRefusalError(
      error.error === 'access_denied' ? 'access_denied' : 'oauth_failed',
      error.error,
    );
  if (error instanceof oauth.ResponseBodyError) return new ProviderRefusalError('oauth_failed', error.error);
  const code = (error as { code?: unknown; name?: unknown }) ?? {};
  return new ProviderRefusalError(
    'oauth_failed',
    typeof code.code === 'string' ? code.code : typeof code.name === 'string' ? code.name : 'unknown',
  );
};

const isLoopbackUrl = (url: string) => URL.canParse(url) && isLoopbackHost(new URL(url).hostname);

/** What both halves of a provider's client share: its redirect URI, HTTP options and discovery. */
interface Connection {
  provider: ProviderConfig;
  settings: ProtocolSettings;
  redirectUri: string;
  client: oauth.Client;
  http: {
    signal: () => AbortSignal;
    [oauth.allowInsecureRequests]: boolean;
    [oauth.customFetch]?: typeof fetch;
  };
  /** The authorization server's metadata: discovered once per container (GitHub: fixed). */
  server(): Promise<oauth.AuthorizationServer>;
}

/** The HTTP options of a provider's requests (oauth4webapi's). */
function httpOptions(provider: ProviderConfig, settings: Pick<ProtocolSettings, 'timeoutMs' | 'fetch'>) {
  // Plain http only towards a loopback host (the local identity provider, tests): the library
  // would otherwise allow it for any URL.
  const insecure = isLoopbackUrl(provider.issuer || provider.github?.webUrl || '');
  return {
    signal: () => AbortSignal.timeout(settings.timeoutMs),
    [oauth.allowInsecureRequests]: insecure,
    ...(settings.fetch ? { [oauth.customFetch]: settings.fetch } : {}),
  };
}

/** The authorization server's metadata, from its discovery document. */
async function discover(issuer: string, http: Connection['http']): Promise<oauth.AuthorizationServer> {
  const url = new URL(issuer);
  return oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, http));
}

/** Discoveries started at import (`prefetchDiscovery`), by issuer: each is taken once. */
const prefetched = new Map<string, Promise<oauth.AuthorizationServer>>();

/**
 * Starts the discovery of each OpenID Connect provider in `providers` now, so that the first
 * sign-in of a cold container does not wait for it after the SSM read: the functions that start
 * and finish sign-ins call this at import, in the init phase (lib/oauth/services.ts
 * `prefetchProviders`). The first connection to the provider takes it; one that failed is not
 * kept: that request discovers again.
 */
export function prefetchDiscovery(providers: ProviderConfig[], timeoutMs: number): void {
  for (const provider of providers) {
    if (provider.protocol !== 'oidc' || !isSecureUrl(provider.issuer) || prefetched.has(provider.issuer))
      continue;
    const started = discover(provider.issuer, httpOptions(provider, { timeoutMs }));
    started.catch(() => undefined);
    prefetched.set(provider.issuer, started);
  }
}

function connect(provider: ProviderConfig, settings: ProtocolSettings): Connection {
  const http = httpOptions(provider, settings);
  let discovered: Promise<oauth.AuthorizationServer> | undefined;
  return {
    provider,
    settings,
    redirectUri: `${settings.apiUrl}/oauth/${provider.id}/callback`,
    client: { client_id: provider.clientId },
    http,
    server() {
      if (provider.github) {
        const web = provider.github.webUrl;
        return Promise.resolve({
          issuer: web,
          authorization_endpoint: `${web}/login/oauth/authorize`,
          token_endpoint: `${web}/login/oauth/access_token`,
        });
      }
      if (!discovered) {
        const early = prefetched.get(provider.issuer);
        prefetched.delete(provider.issuer);
        discovered = (
          early?.catch(() => discover(provider.issuer, http)) ?? discover(provider.issuer, http)
        ).catch((error: unknown) => {
          discovered = undefined;
          throw error;
        });
      }
      return discovered;
    },
  };
}

/** The authorization URL: PKCE S256 always, a nonce for OpenID Connect, form_post for Apple. */
function authorizer(c: Connection): ProviderClient['authorizationUrl'] {
  return async ({ state, verifier, nonce }) => {
    const as = await c.server().catch((error: unknown) => {
      throw refusal(error);
    });
    if (!as.authorization_endpoint)
      throw new ProviderRefusalError('oauth_failed', 'no_authorization_endpoint');
    const url = new URL(as.authorization_endpoint);
    const params: Record<string, string> = {
      client_id: c.provider.clientId,
      redirect_uri: c.redirectUri,
      response_type: 'code',
      scope: c.provider.scopes,
      state,
      // RFC 7636 S256 with node:crypto: WebCrypto's digest would load at a cold start's first sign-in.
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(c.provider.protocol === 'oidc' ? { nonce } : {}),
      ...(c.provider.responseMode ? { response_mode: c.provider.responseMode } : {}),
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.href;
  };
}

/**
 * The callback's half: the code exchanged and the answer verified. OpenID Connect providers
 * (google, apple, oidc): `oauth4webapi` checks the ID token's exact issuer, audience = client id,
 * expiry and nonce, and — asked for explicitly, since it does not check it by itself — its
 * signature with the issuer's JWKS (cached for the container's life, like discovery). GitHub:
 * OAuth 2.0, then its REST API.
 */
function finisher(c: Connection): ProviderClient['finish'] {
  const { provider, settings, client, http } = c;
  const jwks: oauth.JWKSCacheInput = {};

  const clientAuth = async (as: oauth.AuthorizationServer): Promise<oauth.ClientAuth> => {
    if (!provider.apple) return oauth.ClientSecretPost(provider.clientSecret);
    // Apple's client secret: an ES256 JWT signed with the team's key, short-lived.
    const now = Math.floor(Date.now() / 1000);
    const secret = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: provider.apple.keyId })
      .setIssuer(provider.apple.teamId)
      .setSubject(provider.clientId)
      .setAudience(as.issuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(createPrivateKey(provider.apple.privateKey));
    return oauth.ClientSecretPost(secret);
  };

  const githubIdentity = async (accessToken: string): Promise<VerifiedIdentity> => {
    const api = provider.github?.apiUrl as string;
    const get = async (path: string) => {
      const response = await (settings.fetch ?? fetch)(`${api}${path}`, {
        headers: {
          authorization: `Bearer ${accessToken}`,
          accept: 'application/vnd.github+json',
          'user-agent': 'account-service',
        },
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
      if (!response.ok) throw new ProviderRefusalError('oauth_failed', `github_${response.status}`);
      return (await response.json()) as unknown;
    };
    const [user, emails] = await Promise.all([get('/user'), get('/user/emails')]);
    const id = (user as { id?: unknown })?.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id))
      throw new ProviderRefusalError('oauth_failed', 'github_user');
    // Only the primary address counts, and only as verified when GitHub says it is.
    const primary = Array.isArray(emails)
      ? (emails as Array<Record<string, unknown>>).find(
          (e) => e?.primary === true && typeof e.email === 'string',
        )
      : undefined;
    const name = (user as { name?: unknown; login?: unknown }) ?? {};
    return {
      subject: String(id),
      email: primary ? canonicalEmail(String(primary.email)) : null,
      emailVerified: primary?.verified === true,
      name: typeof name.name === 'string' ? name.name : typeof name.login === 'string' ? name.login : '',
    };
  };

  return async (callback, { state, verifier, nonce }) => {
    try {
      const as = await c.server();
      const params = oauth.validateAuthResponse(as, client, callback, state);
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        await clientAuth(as),
        params,
        c.redirectUri,
        verifier,
        http,
      );
      if (provider.protocol === 'github') {
        const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
        return await githubIdentity(tokens.access_token);
      }
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: nonce,
        requireIdToken: true,
      });
      // oauth4webapi checks iss, aud, exp, iat and nonce; the signature only when asked.
      await oauth.validateApplicationLevelSignature(as, response, { ...http, [oauth.jwksCache]: jwks });
      const claims = oauth.getValidatedIdTokenClaims(tokens);
      if (!claims) throw new ProviderRefusalError('oauth_failed', 'no_id_token');
      const email = typeof claims.email === 'string' ? canonicalEmail(claims.email) : null;
      return {
        subject: claims.sub,
        email,
        // Apple sends the flag as a string.
        emailVerified: email !== null && (claims.email_verified === true || claims.email_verified === 'true'),
        name: typeof claims.name === 'string' ? claims.name : appleName(callback),
      };
    } catch (error) {
      throw refusal(error);
    }
  };
}

/** A provider's whole client: the authorization URL and the callback's exchange and checks. */
export function createProviderClient(provider: ProviderConfig, settings: ProtocolSettings): ProviderClient {
  const connection = connect(provider, settings);
  return { authorizationUrl: authorizer(connection), finish: finisher(connection) };
}

/**
 * The authorization URL alone (discovery included): what `start` needs. Without the exchange and
 * the ID-token checks its function's bundle stays small.
 */
export function createStartClient(provider: ProviderConfig, settings: ProtocolSettings): ProviderClient {
  return {
    authorizationUrl: authorizer(connect(provider, settings)),
    finish: () => Promise.reject(new Error('this function was built without the code exchange')),
  };
}

/** Apple sends the name once, on the first sign-in, in the form's `user` member (JSON). */
function appleName(callback: URLSearchParams): string {
  const raw = callback.get('user');
  if (!raw) return '';
  try {
    const name = (JSON.parse(raw) as { name?: { firstName?: unknown; lastName?: unknown } }).name;
    return [name?.firstName, name?.lastName].filter((part) => typeof part === 'string' && part).join(' ');
  } catch {
    return '';
  }
}
