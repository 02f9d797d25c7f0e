import type { RateLimitRule, VariableName, WholeNumberVariable } from '../config';

/** The providers of README "Social log-in", in the order `GET /oauth/providers` lists them. */
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

/** Social log-in's configuration (README "Social log-in"). */
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
  wholeNumber(name: WholeNumberVariable): number;
  origins(name: VariableName): string[];
  rate(name: VariableName): RateLimitRule;
}

/** A loopback host: the only place plain http is allowed (README "Configuration"). */
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
 * (named, never echoing a value: four of these variables are secrets). Every variable is read,
 * and so checked, whether or not its provider is on. Compact on purpose: it is in every bundle.
 */
export function readOAuthConfig(
  read: OAuthReader,
  problems: string[],
  defaults: { appUrl: string; corsAllowedOrigins: string[] },
): OAuthConfig {
  const v = (name: string) => read.text(`OAUTH_${name}` as VariableName, 4096);
  const url = (name: string, on: string) => {
    const value = v(name).replace(/\/+$/, '');
    if (on && !isSecureUrl(value))
      problems.push(`OAUTH_${name} must be an https URL (http only for localhost)`);
    return value;
  };
  const need = (name: string, ok: boolean, what = 'is required') => {
    if (!ok) problems.push(`OAUTH_${name} ${what} when OAUTH_APPLE_CLIENT_ID is set`);
  };
  const [google, github, apple, oidc] = ['GOOGLE', 'GITHUB', 'APPLE', 'OIDC'].map((p) => v(`${p}_CLIENT_ID`));
  const secret = (p: string) => v(`${p}_CLIENT_SECRET`);
  const all: Array<ProviderConfig | false> = [
    !!google && {
      id: 'google',
      name: 'Google',
      protocol: 'oidc',
      clientId: google,
      clientSecret: secret('GOOGLE'),
      issuer: url('GOOGLE_ISSUER', google),
      scopes: 'openid email profile',
    },
    !!github && {
      id: 'github',
      name: 'GitHub',
      protocol: 'github',
      clientId: github,
      clientSecret: secret('GITHUB'),
      issuer: '',
      scopes: 'read:user user:email',
      github: { webUrl: url('GITHUB_URL', github), apiUrl: url('GITHUB_API_URL', github) },
    },
    !!apple && {
      id: 'apple',
      name: 'Apple',
      protocol: 'oidc',
      clientId: apple,
      clientSecret: '',
      issuer: url('APPLE_ISSUER', apple),
      scopes: 'openid email name',
      apple: {
        teamId: v('APPLE_TEAM_ID'),
        keyId: v('APPLE_KEY_ID'),
        privateKey: v('APPLE_PRIVATE_KEY').replaceAll('\\n', '\n'),
      },
      responseMode: 'form_post',
    },
    !!oidc && {
      id: 'oidc',
      name: v('OIDC_NAME') || 'OpenID Connect',
      protocol: 'oidc',
      clientId: oidc,
      clientSecret: secret('OIDC'),
      issuer: url('OIDC_ISSUER', oidc),
      scopes: v('OIDC_SCOPES').trim().replace(/\s+/g, ' '),
    },
  ];
  // The variables of providers that are off are read too (checked for length, ignored).
  for (const name of [
    'GOOGLE_ISSUER',
    'GITHUB_URL',
    'GITHUB_API_URL',
    'APPLE_ISSUER',
    'APPLE_TEAM_ID',
    'APPLE_KEY_ID',
    'APPLE_PRIVATE_KEY',
    'OIDC_ISSUER',
    'OIDC_NAME',
    'OIDC_SCOPES',
  ])
    v(name);
  for (const p of ['GOOGLE', 'GITHUB', 'OIDC']) secret(p);
  const providers = all.filter((p): p is ProviderConfig => p !== false);
  const keyed = providers.find((p) => p.apple)?.apple;
  if (keyed) {
    need('APPLE_TEAM_ID', !!keyed.teamId);
    need('APPLE_KEY_ID', !!keyed.keyId);
    need(
      'APPLE_PRIVATE_KEY',
      /-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----/.test(keyed.privateKey),
      'must be a PKCS#8 PEM key',
    );
  }
  const scopes = providers.find((p) => p.id === 'oidc')?.scopes;
  if (scopes !== undefined && !scopes.split(' ').includes('openid'))
    problems.push('OAUTH_OIDC_SCOPES must include openid');
  const listed = read.origins('OAUTH_REDIRECT_ORIGINS');
  const appOrigin = URL.canParse(defaults.appUrl) ? [new URL(defaults.appUrl).origin] : [];
  const origins = listed.length > 0 ? listed : [...appOrigin, ...defaults.corsAllowedOrigins];
  return {
    providers,
    // A wildcard would let any site receive a sign-in's one-time code: never allowed here.
    redirectOrigins: [
      ...new Set(origins.filter((o) => o !== '*' && URL.canParse(o)).map((o) => new URL(o).origin)),
    ],
    stateTtlSeconds: read.wholeNumber('OAUTH_STATE_TTL_SECONDS'),
    timeoutMs: read.wholeNumber('OAUTH_TIMEOUT_MS'),
  };
}
