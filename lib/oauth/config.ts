import type { RateLimitRule, VariableName } from '../config';

/** The providers API.md names, in the order `GET /oauth/providers` lists them. */
export const PROVIDER_IDS = ['google', 'github', 'apple', 'oidc'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** One provider that is on (its client id is set). */
export interface ProviderConfig {
  id: ProviderId;
  /** Shown to users. */
  name: string;
  /** `oidc`: discovery, ID token; `github`: OAuth 2.0 and the REST API. */
  protocol: 'oidc' | 'github';
  clientId: string;
  /** Empty for Apple (its secret is a JWT made per request from `apple`). */
  clientSecret: string;
  /** OpenID Connect issuer (exact match), for the `oidc` protocol. */
  issuer: string;
  scopes: string;
  /** GitHub: the web origin (authorize, token) and the API origin. */
  github?: { webUrl: string; apiUrl: string };
  /** Apple: what signs the client secret (ES256 JWT). */
  apple?: { teamId: string; keyId: string; privateKey: string };
  /** Apple answers with a cross-site form POST. */
  responseMode?: 'form_post';
}

/** Social log-in's configuration (API.md "Social log-in"). */
export interface OAuthConfig {
  providers: ProviderConfig[];
  /** Origins a sign-in may send the browser back to. */
  redirectOrigins: string[];
  stateTtlSeconds: number;
  timeoutMs: number;
}

/** What the configuration parser lends this module (lib/config.ts `reader`). */
export interface OAuthReader {
  text(name: VariableName, maxLength?: number): string;
  wholeNumber(name: VariableName, min: number, max: number): number;
  origins(name: VariableName): string[];
  rate(name: VariableName): RateLimitRule;
}

/** A loopback host: the only place plain http is allowed (API.md "Version 3"). */
export const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

/** An https URL, or http on a loopback host. */
export function isSecureUrl(text: string): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
}

/**
 * Reads the providers that are on and the flow's settings; every problem goes to `problems`
 * (named, never echoing a value: three of these variables are secrets).
 */
export function readOAuthConfig(
  read: OAuthReader,
  problems: string[],
  defaults: { appUrl: string; corsAllowedOrigins: string[] },
): OAuthConfig {
  const providers: ProviderConfig[] = [];
  // Every variable is read (and so checked) whether or not its provider is on.
  const text = (name: VariableName, maxLength: number) => read.text(name, maxLength);
  const url = (name: VariableName, on: boolean): string => {
    const value = read.text(name, 2048).replace(/\/+$/, '');
    if (on && !isSecureUrl(value)) problems.push(`${name} must be an https URL (http only for localhost)`);
    return value;
  };
  const google = text('OAUTH_GOOGLE_CLIENT_ID', 512);
  const googleSecret = text('OAUTH_GOOGLE_CLIENT_SECRET', 1024);
  const googleIssuer = url('OAUTH_GOOGLE_ISSUER', google !== '');
  const github = text('OAUTH_GITHUB_CLIENT_ID', 512);
  const githubSecret = text('OAUTH_GITHUB_CLIENT_SECRET', 1024);
  const githubWeb = url('OAUTH_GITHUB_URL', github !== '');
  const githubApi = url('OAUTH_GITHUB_API_URL', github !== '');
  const apple = text('OAUTH_APPLE_CLIENT_ID', 512);
  const teamId = text('OAUTH_APPLE_TEAM_ID', 64);
  const keyId = text('OAUTH_APPLE_KEY_ID', 64);
  const privateKey = text('OAUTH_APPLE_PRIVATE_KEY', 4096).replaceAll('\\n', '\n');
  const appleIssuer = url('OAUTH_APPLE_ISSUER', apple !== '');
  const oidc = text('OAUTH_OIDC_CLIENT_ID', 512);
  const oidcSecret = text('OAUTH_OIDC_CLIENT_SECRET', 1024);
  const oidcIssuer = url('OAUTH_OIDC_ISSUER', oidc !== '');
  const oidcName = text('OAUTH_OIDC_NAME', 100);
  const oidcScopes = text('OAUTH_OIDC_SCOPES', 512).trim().replace(/\s+/g, ' ');
  if (google)
    providers.push({
      id: 'google',
      name: 'Google',
      protocol: 'oidc',
      clientId: google,
      clientSecret: googleSecret,
      issuer: googleIssuer,
      scopes: 'openid email profile',
    });
  if (github)
    providers.push({
      id: 'github',
      name: 'GitHub',
      protocol: 'github',
      clientId: github,
      clientSecret: githubSecret,
      issuer: '',
      scopes: 'read:user user:email',
      github: { webUrl: githubWeb, apiUrl: githubApi },
    });
  if (apple) {
    if (!teamId) problems.push('OAUTH_APPLE_TEAM_ID is required when OAUTH_APPLE_CLIENT_ID is set');
    if (!keyId) problems.push('OAUTH_APPLE_KEY_ID is required when OAUTH_APPLE_CLIENT_ID is set');
    if (!/-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----/.test(privateKey))
      problems.push('OAUTH_APPLE_PRIVATE_KEY must be a PKCS#8 PEM key when OAUTH_APPLE_CLIENT_ID is set');
    providers.push({
      id: 'apple',
      name: 'Apple',
      protocol: 'oidc',
      clientId: apple,
      clientSecret: '',
      issuer: appleIssuer,
      scopes: 'openid email name',
      apple: { teamId, keyId, privateKey },
      responseMode: 'form_post',
    });
  }
  if (oidc) {
    if (!oidcScopes.split(' ').includes('openid')) problems.push('OAUTH_OIDC_SCOPES must include openid');
    providers.push({
      id: 'oidc',
      name: oidcName || 'OpenID Connect',
      protocol: 'oidc',
      clientId: oidc,
      clientSecret: oidcSecret,
      issuer: oidcIssuer,
      scopes: oidcScopes,
    });
  }
  const listed = read.origins('OAUTH_REDIRECT_ORIGINS');
  const appOrigin = URL.canParse(defaults.appUrl) ? [new URL(defaults.appUrl).origin] : [];
  const origins = listed.length > 0 ? listed : [...appOrigin, ...defaults.corsAllowedOrigins];
  return {
    providers,
    // A wildcard would let any site receive a sign-in's one-time code: never allowed here.
    redirectOrigins: [
      ...new Set(origins.filter((o) => o !== '*' && URL.canParse(o)).map((o) => new URL(o).origin)),
    ],
    stateTtlSeconds: read.wholeNumber('OAUTH_STATE_TTL_SECONDS', 60, 3600),
    timeoutMs: read.wholeNumber('OAUTH_TIMEOUT_MS', 100, 30_000),
  };
}
