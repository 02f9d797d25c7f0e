import { reader } from './config-reader';
import VARIABLES from './config-variables.json';
import { type OAuthConfig, readOAuthConfig } from './oauth/config';
import {
  algorithmOfJwk,
  type CustomClaimsHookConfig,
  type EcJwk,
  type Ed25519Jwk,
  RSA_MIN_BITS,
  type RsaJwk,
  SIGNING_ALGORITHMS,
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

/** Raised at cold start when the environment is unusable; the message lists every problem at once. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Every section but social log-in's: the configuration of the functions that never call a provider. */
export type BaseConfig = Omit<Config, 'oauth'>;

/**
 * Parses and validates the environment. Pure: reads only `env`. Empty strings count as unset.
 * Throws one `ConfigError` naming every bad or missing variable (never echoing their values).
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  return parseSections(env, (read, problems, base) => ({
    oauth: readOAuthConfig(read, problems, {
      appUrl: base.mail.appUrl,
      corsAllowedOrigins: base.corsAllowedOrigins,
    }),
  }));
}

/**
 * As `parseConfig`, without social log-in's section (lib/oauth/config.ts): the functions that never
 * call a provider neither bundle its reader nor fail on its variables.
 */
export function parseBaseConfig(env: Record<string, string | undefined>): BaseConfig {
  return parseSections(env, () => ({}));
}

/** The base sections, then `more`'s, read with one reader: one `ConfigError` names every problem. */
function parseSections<T extends object>(
  env: Record<string, string | undefined>,
  more: (read: ReturnType<typeof reader>, problems: string[], base: BaseConfig) => T,
): BaseConfig & T {
  const problems: string[] = [];
  const read = reader(env, problems);
  const algorithm = read.algorithm('JWT_ALGORITHM');
  const config: BaseConfig = {
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
  };
  // The issuer defaults to the API's own URL: where API Gateway's JWT authorizer looks for discovery.
  config.jwt.issuer = read.text('JWT_ISSUER') || config.apiUrl;
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
  const sections = more(read, problems, config);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...config, ...sections };
}
