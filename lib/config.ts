import VARIABLES from './config-variables.json';
import { type OAuthConfig, readOAuthConfig } from './oauth/config';
import {
  algorithmOfJwk,
  type CustomClaimsHookConfig,
  type EcJwk,
  type Ed25519Jwk,
  isMember,
  RSA_MIN_BITS,
  type RsaJwk,
  SIGNING_ALGORITHMS,
  SIGNING_KEY_KINDS,
  type SigningAlgorithm,
  type SigningJwk,
} from './signing-keys';

export {
  algorithmOfJwk,
  type CustomClaimsHookConfig,
  type EcJwk,
  type Ed25519Jwk,
  RSA_MIN_BITS,
  type RsaJwk,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type SigningJwk,
};

/**
 * Every configuration variable, once: name → default (absent: required), the bounds of a whole
 * number (`min`, `max`, inclusive), whether it is a secret, and what it means. The parser below,
 * `npm start`'s pass-through (dev/offline.ts), serverless.yml's environment
 * (build/serverless-environment.cjs) and the README's table all follow it. JSON, so the
 * serverless.yml helper reads the same file without a TypeScript step.
 */
export const CONFIG_VARIABLES: Readonly<
  Record<
    VariableName,
    {
      default?: string;
      min?: number;
      max?: number;
      secret: boolean;
      description: string;
      serverless?: string;
      ssmWhen?: string;
    }
  >
> = VARIABLES;
export type VariableName = keyof typeof VARIABLES;

/** A variable that holds a whole number: its row in the table carries `min` and `max`. */
export type WholeNumberVariable = {
  [K in VariableName]: (typeof VARIABLES)[K] extends { min: number; max: number } ? K : never;
}[VariableName];

/** A fixed-window quota: `limit` requests per `windowSeconds`. */
export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}

/** Validated configuration; every name carries its unit. */
export interface Config {
  datastore: { url: string; token: string; timeoutMs: number; sessionTouchMs: number };
  keyPrefix: string;
  /** The public base URL of this API, no trailing slash: the default issuer, the base of `jwks_uri`. */
  apiUrl: string;
  jwt: {
    /** The algorithm that signs access tokens; the private key is of its kind. */
    algorithm: SigningAlgorithm;
    privateKey: SigningJwk;
    previousPublicKeys: SigningJwk[];
    issuer: string;
    audience: string;
  };
  /** The custom claims hook (README "Custom claims"); null when HOOK_CUSTOM_CLAIMS is empty. */
  customClaimsHook: CustomClaimsHookConfig | null;
  /** AES-256-GCM key of the TOTP secrets at rest (32 bytes). */
  totpEncryptionKey: Buffer;
  /** The passkeys' relying party: its ID (a domain), its name, the origins ceremonies come from. */
  webauthn: { rpId: string; rpName: string; origins: string[] };
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  /** How recently a session must have been opened to stand in for a re-entered password. */
  reauthMaxAgeSeconds: number;
  /** The optional CloudFront edge: its origin secret ('' = no edge: the client is sourceIp) and WAF limit. */
  edge: { originSecret: string; wafRateLimit: number };
  passwordMinLength: number;
  argon2: { memoryKib: number; timeCost: number; parallelism: number };
  rateLimits: {
    loginPerIp: RateLimitRule;
    registerPerIp: RateLimitRule;
    emailChangePerUser: RateLimitRule;
    resetPerIp: RateLimitRule;
    mailPerAddress: RateLimitRule;
    emailSignInPerIp: RateLimitRule;
    oauthPerIp: RateLimitRule;
  };
  mail: {
    appName: string;
    appUrl: string;
    from: string;
    emailVerificationTtlSeconds: number;
    passwordResetTtlSeconds: number;
    functionName: string;
  };
  requireVerifiedEmail: boolean;
  /** Passwordless email (lib/email-sign-in/): how long a mail's link and code live; sign-up by mail. */
  emailSignIn: { ttlSeconds: number; signUp: boolean };
  /** How long an account's own audit events are kept (events:<uid>). */
  auditRetentionDays: number;
  /** Mail the owner on a sign-in from a device not seen before. */
  notifyNewDevice: boolean;
  /** Deploy time (serverless.yml's alarms), validated here with the rest. */
  alarms: { email: string; failedSignInsPerMinute: number };
  corsAllowedOrigins: string[];
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  /** Where the deployment's parameters were read from (lib/parameters.ts); empty when not from SSM. */
  ssmParameterPrefix: string;
  /** Social log-in (lib/oauth). */
  oauth: OAuthConfig;
}

/** The lowest `PASSWORD_MIN_LENGTH` accepted (NIST SP 800-63B); the bundled common-password list relies on it. */
export const PASSWORD_MIN_LENGTH_FLOOR = VARIABLES.PASSWORD_MIN_LENGTH.min;
/** The longest password accepted, in code points: also the highest `PASSWORD_MIN_LENGTH`. */
export const PASSWORD_MAX_LENGTH = VARIABLES.PASSWORD_MIN_LENGTH.max;

/** Standard Webhooks secrets: `whsec_` then the key in base64. */
const WEBHOOK_SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** A Lambda function name, partial or full ARN, with an optional version or alias. */
const LAMBDA_FUNCTION =
  /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;

const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;

// Hand-written rather than a zod schema: this module is in every function's bundle, and zod would
// add ~25 KiB to functions that otherwise never validate a body (see README, "Performance").
// Every reader records its problem and returns a placeholder, so one pass finds every problem.
// Messages name the rule, never the value: some of these variables are secrets.
function reader(env: Record<string, string | undefined>, problems: string[]) {
  // Empty counts as unset; unset takes the table's default (undefined when the variable is required).
  const raw = (name: VariableName): string | undefined =>
    env[name] === undefined || env[name] === '' ? CONFIG_VARIABLES[name].default : env[name];
  const fail = <T>(name: VariableName, message: string, placeholder: T): T => {
    problems.push(`${name} ${message}`);
    return placeholder;
  };
  const url = (text: string): URL | null => {
    try {
      return new URL(text);
    } catch {
      return null;
    }
  };
  const isHttpUrl = (text: string) => ['http:', 'https:'].includes(url(text)?.protocol ?? '');
  const isLoopback = (host: string) =>
    host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  const json = (name: VariableName, text: string): unknown => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return fail(name, 'is not valid JSON', undefined);
    }
  };
  return {
    required(name: VariableName): string {
      return raw(name) ?? fail(name, 'is required', '');
    },
    text(name: VariableName, maxLength = 1024): string {
      const value = raw(name) ?? '';
      return value.length <= maxLength ? value : fail(name, `must be at most ${maxLength} characters`, '');
    },
    /** An https URL; plain http only for a loopback host (a local datastore), never across a network. */
    secureUrl(name: VariableName): string {
      const value = raw(name);
      if (value === undefined) return fail(name, 'is required', '');
      const parsed = url(value);
      if (parsed?.protocol === 'https:' || (parsed?.protocol === 'http:' && isLoopback(parsed.hostname)))
        return value;
      return fail(name, 'must be an https URL (http only for localhost)', '');
    },
    /** A whole number within the table's `min` and `max` (inclusive). */
    wholeNumber(name: WholeNumberVariable): number {
      const { min, max } = VARIABLES[name];
      const value = raw(name) ?? '';
      if (!/^\d+$/.test(value)) return fail(name, 'must be a whole number', 0);
      const n = Number(value);
      if (n < min) return fail(name, `must be at least ${min}`, 0);
      return n <= max ? n : fail(name, `must be at most ${max}`, 0);
    },
    rate(name: VariableName): RateLimitRule {
      const match = /^(\d+)\/(\d+)$/.exec((raw(name) ?? '').trim());
      const limit = Number(match?.[1]);
      const windowSeconds = Number(match?.[2]);
      if (!match || limit < 1 || windowSeconds < 1)
        return fail(name, 'must look like N/SECONDS, e.g. 30/300', { limit: 0, windowSeconds: 0 });
      return { limit, windowSeconds };
    },
    /** Exactly `bytes` random bytes, base64url (a symmetric key). */
    symmetricKey(name: VariableName, bytes: number): Buffer {
      const text = raw(name);
      if (text === undefined) return fail(name, 'is required', Buffer.alloc(0));
      const key = /^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, 'base64url') : Buffer.alloc(0);
      return key.length === bytes ? key : fail(name, `must be ${bytes} bytes, base64url`, Buffer.alloc(0));
    },
    /** A private JWK of the kind `algorithm` signs with; a mismatch names both. */
    privateKey(name: VariableName, algorithm: SigningAlgorithm): SigningJwk {
      const text = raw(name);
      const placeholder: Ed25519Jwk = { kty: 'OKP', crv: 'Ed25519', x: '' };
      if (text === undefined) return fail(name, 'is required', placeholder);
      const value = json(name, text);
      if (value === undefined) return placeholder;
      const kind = algorithmOfJwk(value);
      const jwk = value as Record<string, unknown>;
      // An RSA private key needs its CRT members too (node:crypto refuses one without them).
      const privateMembers = kind === 'RS256' ? ['d', 'p', 'q', 'dp', 'dq', 'qi'] : ['d'];
      if (kind === null || !privateMembers.every((member) => isMember(jwk[member])))
        return fail(
          name,
          `must be a private JWK: ${SIGNING_KEY_KINDS[algorithm]}, with its private members`,
          placeholder,
        );
      if (kind !== algorithm)
        return fail(
          name,
          `is ${SIGNING_KEY_KINDS[kind]}, which signs ${kind}, but JWT_ALGORITHM is ${algorithm}: make a key with \`npm run keygen -- --alg ${algorithm}\`, or set JWT_ALGORITHM=${kind}`,
          placeholder,
        );
      return value as SigningJwk;
    },
    publicKeys(name: VariableName): SigningJwk[] {
      const value = json(name, raw(name) ?? '[]');
      if (value === undefined) return [];
      const message = 'must be a JSON array of public JWKs (Ed25519, RSA of at least 2048 bits, or EC P-256)';
      if (!Array.isArray(value)) return fail(name, message, []);
      return value.every((jwk) => algorithmOfJwk(jwk) !== null)
        ? (value as SigningJwk[])
        : fail(name, message, []);
    },
    algorithm(name: VariableName): SigningAlgorithm {
      const value = raw(name) ?? '';
      return (SIGNING_ALGORITHMS as readonly string[]).includes(value)
        ? (value as SigningAlgorithm)
        : fail(name, `must be one of ${SIGNING_ALGORITHMS.join(', ')}`, 'EdDSA');
    },
    /** A Lambda function (name or ARN) or an https URL (http on loopback) that needs `secretName`. */
    hook(name: VariableName, secretName: VariableName): CustomClaimsHookConfig | null {
      const value = raw(name) ?? '';
      const secretText = raw(secretName) ?? '';
      if (value === '') return null;
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
        const parsed = url(value);
        const secure =
          parsed?.protocol === 'https:' || (parsed?.protocol === 'http:' && isLoopback(parsed.hostname));
        if (!secure)
          return fail(name, 'must be an https URL (http only for localhost) or a Lambda function name', null);
        const key = Buffer.from(WEBHOOK_SECRET.exec(secretText)?.[1] ?? '', 'base64');
        if (key.length < 24 || key.length > 64)
          return fail(
            secretName,
            'must be whsec_ followed by 24–64 bytes in base64 when HOOK_CUSTOM_CLAIMS is a URL',
            null,
          );
        return { kind: 'url', url: value, secret: key };
      }
      return LAMBDA_FUNCTION.test(value)
        ? { kind: 'lambda', functionName: value }
        : fail(name, 'must be an https URL (http only for localhost) or a Lambda function name', null);
    },
    origins(name: VariableName): string[] {
      const origins = (raw(name) ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean);
      return origins.every((origin) => origin === '*' || isHttpUrl(origin))
        ? origins
        : fail(name, 'must be a comma-separated list of http(s) origins or *', []);
    },
    ssmPath(name: VariableName): string {
      const value = raw(name) ?? '';
      return value === '' || /^(\/[\w.-]+)+\/?$/.test(value)
        ? value
        : fail(name, 'must be an SSM parameter path such as /account-service/prod', '');
    },
    flag(name: VariableName): boolean {
      const value = (raw(name) ?? '').toLowerCase();
      if (value === 'true' || value === 'false') return value === 'true';
      return fail(name, 'must be true or false', false);
    },
    httpOrigin(name: VariableName): string {
      const value = raw(name) ?? '';
      return isHttpUrl(value) ? value.replace(/\/+$/, '') : fail(name, 'must be an http(s) URL', '');
    },
    logLevel(name: VariableName): Config['logLevel'] {
      const value = (raw(name) ?? '').toUpperCase();
      return (LOG_LEVELS as readonly string[]).includes(value)
        ? (value as Config['logLevel'])
        : fail(name, `must be one of ${LOG_LEVELS.join(', ')}`, 'INFO');
    },
  };
}

/** Raised at cold start when the environment is unusable; the message lists every problem at once. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Parses and validates the environment. Pure: reads only `env`. Empty strings count as unset.
 * Throws one `ConfigError` naming every bad or missing variable (never echoing their values).
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const problems: string[] = [];
  const read = reader(env, problems);
  const algorithm = read.algorithm('JWT_ALGORITHM');
  const config: Config = {
    datastore: {
      url: read.secureUrl('UPSTASH_REDIS_REST_URL'),
      token: read.required('UPSTASH_REDIS_REST_TOKEN'),
      timeoutMs: read.wholeNumber('DATASTORE_TIMEOUT_MS'),
      sessionTouchMs: read.wholeNumber('SESSION_TOUCH_SECONDS') * 1000,
    },
    keyPrefix: read.text('KEY_PREFIX', 64),
    apiUrl: read.httpOrigin('API_URL'),
    jwt: {
      algorithm,
      privateKey: read.privateKey('JWT_PRIVATE_KEY', algorithm),
      previousPublicKeys: read.publicKeys('JWT_PREVIOUS_PUBLIC_KEYS'),
      issuer: '',
      audience: read.text('JWT_AUDIENCE'),
    },
    customClaimsHook: read.hook('HOOK_CUSTOM_CLAIMS', 'HOOK_SECRET'),
    totpEncryptionKey: read.symmetricKey('TOTP_ENCRYPTION_KEY', 32),
    accessTokenTtlSeconds: read.wholeNumber('ACCESS_TOKEN_TTL_SECONDS'),
    refreshTokenTtlSeconds: read.wholeNumber('REFRESH_TOKEN_TTL_SECONDS'),
    refreshReuseGraceSeconds: read.wholeNumber('REFRESH_REUSE_GRACE_SECONDS'),
    reauthMaxAgeSeconds: read.wholeNumber('REAUTH_MAX_AGE_SECONDS'),
    edge: {
      originSecret: read.text('EDGE_ORIGIN_SECRET', 256),
      wafRateLimit: read.wholeNumber('EDGE_WAF_RATE_LIMIT'),
    },
    passwordMinLength: read.wholeNumber('PASSWORD_MIN_LENGTH'),
    argon2: {
      memoryKib: read.wholeNumber('ARGON2_MEMORY_KIB'),
      timeCost: read.wholeNumber('ARGON2_TIME_COST'),
      parallelism: read.wholeNumber('ARGON2_PARALLELISM'),
    },
    rateLimits: {
      loginPerIp: read.rate('RATE_LIMIT_LOGIN_PER_IP'),
      registerPerIp: read.rate('RATE_LIMIT_REGISTER_PER_IP'),
      emailChangePerUser: read.rate('RATE_LIMIT_EMAIL_CHANGE_PER_USER'),
      resetPerIp: read.rate('RATE_LIMIT_RESET_PER_IP'),
      mailPerAddress: read.rate('RATE_LIMIT_MAIL_PER_ADDRESS'),
      emailSignInPerIp: read.rate('RATE_LIMIT_EMAIL_SIGN_IN_PER_IP'),
      oauthPerIp: read.rate('RATE_LIMIT_OAUTH_PER_IP'),
    },
    mail: {
      appName: read.text('APP_NAME', 100),
      appUrl: read.httpOrigin('APP_URL'),
      from: read.text('EMAIL_FROM', 320),
      emailVerificationTtlSeconds: read.wholeNumber('EMAIL_VERIFICATION_TTL_SECONDS'),
      passwordResetTtlSeconds: read.wholeNumber('PASSWORD_RESET_TTL_SECONDS'),
      functionName: read.text('MAIL_FUNCTION_NAME', 140),
    },
    requireVerifiedEmail: read.flag('REQUIRE_VERIFIED_EMAIL'),
    emailSignIn: {
      ttlSeconds: read.wholeNumber('EMAIL_SIGN_IN_TTL_SECONDS'),
      signUp: read.flag('EMAIL_SIGN_UP'),
    },
    auditRetentionDays: read.wholeNumber('AUDIT_RETENTION_DAYS'),
    notifyNewDevice: read.flag('NOTIFY_NEW_DEVICE'),
    alarms: {
      email: read.text('ALARM_EMAIL', 254),
      failedSignInsPerMinute: read.wholeNumber('ALARM_FAILED_SIGN_INS_PER_MINUTE'),
    },
    corsAllowedOrigins: read.origins('CORS_ALLOWED_ORIGINS'),
    logLevel: read.logLevel('LOG_LEVEL'),
    ssmParameterPrefix: read.ssmPath('SSM_PARAMETER_PREFIX'),
    webauthn: { rpId: '', rpName: '', origins: [] },
    oauth: { providers: [], redirectOrigins: [], stateTtlSeconds: 0, timeoutMs: 0 },
  };
  // The issuer defaults to the API's own URL: where API Gateway's JWT authorizer looks for discovery.
  config.jwt.issuer = read.text('JWT_ISSUER') || config.apiUrl;
  config.oauth = readOAuthConfig(read, problems, {
    appUrl: config.mail.appUrl,
    corsAllowedOrigins: config.corsAllowedOrigins,
  });
  // The relying party defaults to the frontend (APP_URL) and the product name.
  const appUrl = URL.canParse(config.mail.appUrl) ? new URL(config.mail.appUrl) : null;
  const rpId = read.text('WEBAUTHN_RP_ID', 253) || appUrl?.hostname || '';
  if (rpId && !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(rpId))
    problems.push('WEBAUTHN_RP_ID must be a domain name (no scheme, port or path)');
  const origins = read.origins('WEBAUTHN_ORIGINS').filter((origin) => origin !== '*');
  config.webauthn = {
    rpId,
    rpName: read.text('WEBAUTHN_RP_NAME', 100) || config.mail.appName,
    origins: origins.length > 0 ? origins.map((o) => new URL(o).origin) : appUrl ? [appUrl.origin] : [],
  };
  if (config.edge.wafRateLimit > 0 && config.edge.wafRateLimit < 100)
    problems.push("EDGE_WAF_RATE_LIMIT must be 0 (off) or at least 100 (AWS WAF's smallest rate limit)");
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
