// Social log-in's configuration (lib/oauth/config.ts through parseConfig): which providers are on,
// what each needs, and the transport rule (https, plain http only on loopback).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ConfigError, parseConfig } from '../../lib/config';

const required = (): Record<string, string> => ({
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079',
  UPSTASH_REDIS_REST_TOKEN: 'token',
  JWT_PRIVATE_KEY: JSON.stringify(generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' })),
  TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
});
const appleKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    parseConfig({ ...required(), ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

test('a provider is on when its client id is set; the list keeps the contract’s order', () => {
  const config = parseConfig({
    ...required(),
    OAUTH_OIDC_CLIENT_ID: 'o',
    OAUTH_OIDC_ISSUER: 'https://id.example.com/',
    OAUTH_GITHUB_CLIENT_ID: 'g',
    OAUTH_GOOGLE_CLIENT_ID: 'gg',
    OAUTH_GOOGLE_CLIENT_SECRET: 'secret',
  });
  expect(config.oauth.providers.map((p) => [p.id, p.name, p.issuer])).toEqual([
    ['google', 'Google', 'https://accounts.google.com'],
    ['github', 'GitHub', ''],
    ['oidc', 'OpenID Connect', 'https://id.example.com'],
  ]);
  expect(config.oauth.providers[0]?.clientSecret).toBe('secret');
});

test('redirect origins default to APP_URL’s origin plus CORS_ALLOWED_ORIGINS, never a wildcard', () => {
  const config = parseConfig({
    ...required(),
    APP_URL: 'https://app.example.com/path',
    CORS_ALLOWED_ORIGINS: 'https://other.example.com,*',
  });
  expect(config.oauth.redirectOrigins).toEqual(['https://app.example.com', 'https://other.example.com']);
  expect(
    parseConfig({ ...required(), OAUTH_REDIRECT_ORIGINS: 'https://only.example.com' }).oauth.redirectOrigins,
  ).toEqual(['https://only.example.com']);
});

test.each([
  [{ OAUTH_OIDC_CLIENT_ID: 'o' }, 'OAUTH_OIDC_ISSUER must be an https URL (http only for localhost)'],
  [
    { OAUTH_OIDC_CLIENT_ID: 'o', OAUTH_OIDC_ISSUER: 'http://id.example.com' },
    'OAUTH_OIDC_ISSUER must be an https URL (http only for localhost)',
  ],
  [
    { OAUTH_OIDC_CLIENT_ID: 'o', OAUTH_OIDC_ISSUER: 'https://id.example.com', OAUTH_OIDC_SCOPES: 'email' },
    'OAUTH_OIDC_SCOPES must include openid',
  ],
  [{ OAUTH_APPLE_CLIENT_ID: 'a' }, 'OAUTH_APPLE_TEAM_ID is required when OAUTH_APPLE_CLIENT_ID is set'],
  [
    {
      OAUTH_APPLE_CLIENT_ID: 'a',
      OAUTH_APPLE_TEAM_ID: 't',
      OAUTH_APPLE_KEY_ID: 'k',
      OAUTH_APPLE_PRIVATE_KEY: 'x',
    },
    'OAUTH_APPLE_PRIVATE_KEY must be a PKCS#8 PEM key when OAUTH_APPLE_CLIENT_ID is set',
  ],
  [{ OAUTH_TIMEOUT_MS: '10' }, 'OAUTH_TIMEOUT_MS must be at least 100'],
  [{ REAUTH_MAX_AGE_SECONDS: '5' }, 'REAUTH_MAX_AGE_SECONDS must be at least 30'],
])('%j → %s', (env, problem) => {
  expect(problemsOf(env)).toContain(problem);
});

test('http is fine on a loopback issuer; Apple with its key is on, the PEM’s \\n escapes read as newlines', () => {
  const config = parseConfig({
    ...required(),
    OAUTH_OIDC_CLIENT_ID: 'o',
    OAUTH_OIDC_ISSUER: 'http://127.0.0.1:8006',
    OAUTH_APPLE_CLIENT_ID: 'a',
    OAUTH_APPLE_TEAM_ID: 't',
    OAUTH_APPLE_KEY_ID: 'k',
    OAUTH_APPLE_PRIVATE_KEY: appleKey.replaceAll('\n', '\\n'),
  });
  const apple = config.oauth.providers.find((p) => p.id === 'apple');
  expect(apple?.responseMode).toBe('form_post');
  expect(apple?.apple?.privateKey).toBe(appleKey);
});
