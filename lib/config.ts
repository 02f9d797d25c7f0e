import VARIABLES from './config-variables.json';

/**
 * Every configuration variable, once: name → default (absent: required), whether it is a secret,
 * and what it means. The parser below, `npm start`'s pass-through (dev/offline.ts),
 * serverless.yml's environment (build/serverless-environment.cjs) and the README's table all
 * follow it. JSON, so the serverless.yml helper reads the same file without a TypeScript step.
 */
export const CONFIG_VARIABLES: Readonly<
  Record<VariableName, { default?: string; secret: boolean; description: string; serverless?: string }>
> = VARIABLES;
export type VariableName = keyof typeof VARIABLES;

/** A fixed-window quota: `limit` requests per `windowSeconds`. */
export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}

/** Validated configuration; every name carries its unit. */
export interface Config {
  datastore: { url: string; token: string; timeoutMs: number };
  keyPrefix: string;
  jwt: {
    privateKey: Ed25519Jwk;
    previousPublicKeys: Ed25519Jwk[];
    issuer: string;
    audience: string;
  };
  /** AES-256-GCM key of the TOTP secrets at rest (32 bytes). */
  totpEncryptionKey: Buffer;
  /** The passkeys' relying party: its ID (a domain), its name, the origins ceremonies come from. */
  webauthn: { rpId: string; rpName: string; origins: string[] };
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  passwordMinLength: number;
  argon2: { memoryKib: number; timeCost: number; parallelism: number };
  rateLimits: {
    loginPerIp: RateLimitRule;
    registerPerIp: RateLimitRule;
    emailChangePerUser: RateLimitRule;
    resetPerIp: RateLimitRule;
    mailPerAddress: RateLimitRule;
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
}

/** The lowest `PASSWORD_MIN_LENGTH` accepted (NIST SP 800-63B); the bundled common-password list relies on it. */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;
export const PASSWORD_MAX_LENGTH = 256;

/** An Ed25519 JWK as the configuration takes it: `d` only in the private key. */
export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d?: string;
  kid?: string;
  [member: string]: unknown;
}

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
  const isJwk = (value: unknown): value is Ed25519Jwk => {
    const jwk = value as Record<string, unknown> | null;
    return (
      typeof jwk === 'object' &&
      jwk !== null &&
      !Array.isArray(jwk) &&
      jwk.kty === 'OKP' &&
      jwk.crv === 'Ed25519' &&
      typeof jwk.x === 'string' &&
      jwk.x !== '' &&
      (jwk.d === undefined || (typeof jwk.d === 'string' && jwk.d !== '')) &&
      (jwk.kid === undefined || (typeof jwk.kid === 'string' && jwk.kid !== ''))
    );
  };
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
    wholeNumber(name: VariableName, min: number, max: number): number {
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
    privateKey(name: VariableName): Ed25519Jwk {
      const text = raw(name);
      const placeholder: Ed25519Jwk = { kty: 'OKP', crv: 'Ed25519', x: '' };
      if (text === undefined) return fail(name, 'is required', placeholder);
      const value = json(name, text);
      if (value === undefined) return placeholder;
      return isJwk(value) && value.d !== undefined
        ? value
        : fail(name, 'must be an Ed25519 private JWK (kty OKP, crv Ed25519, x and d)', placeholder);
    },
    publicKeys(name: VariableName): Ed25519Jwk[] {
      const value = json(name, raw(name) ?? '[]');
      if (value === undefined) return [];
      if (!Array.isArray(value)) return fail(name, 'must be a JSON array of Ed25519 public JWKs', []);
      return value.every(isJwk) ? value : fail(name, 'must be a JSON array of Ed25519 public JWKs', []);
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
  const config: Config = {
    datastore: {
      url: read.secureUrl('UPSTASH_REDIS_REST_URL'),
      token: read.required('UPSTASH_REDIS_REST_TOKEN'),
      timeoutMs: read.wholeNumber('DATASTORE_TIMEOUT_MS', 50, 60_000),
    },
    keyPrefix: read.text('KEY_PREFIX', 64),
    jwt: {
      privateKey: read.privateKey('JWT_PRIVATE_KEY'),
      previousPublicKeys: read.publicKeys('JWT_PREVIOUS_PUBLIC_KEYS'),
      issuer: read.text('JWT_ISSUER'),
      audience: read.text('JWT_AUDIENCE'),
    },
    totpEncryptionKey: read.symmetricKey('TOTP_ENCRYPTION_KEY', 32),
    accessTokenTtlSeconds: read.wholeNumber('ACCESS_TOKEN_TTL_SECONDS', 1, 86_400),
    refreshTokenTtlSeconds: read.wholeNumber('REFRESH_TOKEN_TTL_SECONDS', 60, 31_536_000),
    refreshReuseGraceSeconds: read.wholeNumber('REFRESH_REUSE_GRACE_SECONDS', 0, 300),
    passwordMinLength: read.wholeNumber(
      'PASSWORD_MIN_LENGTH',
      PASSWORD_MIN_LENGTH_FLOOR,
      PASSWORD_MAX_LENGTH,
    ),
    argon2: {
      memoryKib: read.wholeNumber('ARGON2_MEMORY_KIB', 8, 4_194_304),
      timeCost: read.wholeNumber('ARGON2_TIME_COST', 1, 100),
      parallelism: read.wholeNumber('ARGON2_PARALLELISM', 1, 16),
    },
    rateLimits: {
      loginPerIp: read.rate('RATE_LIMIT_LOGIN_PER_IP'),
      registerPerIp: read.rate('RATE_LIMIT_REGISTER_PER_IP'),
      emailChangePerUser: read.rate('RATE_LIMIT_EMAIL_CHANGE_PER_USER'),
      resetPerIp: read.rate('RATE_LIMIT_RESET_PER_IP'),
      mailPerAddress: read.rate('RATE_LIMIT_MAIL_PER_ADDRESS'),
    },
    mail: {
      appName: read.text('APP_NAME', 100),
      appUrl: read.httpOrigin('APP_URL'),
      from: read.text('EMAIL_FROM', 320),
      emailVerificationTtlSeconds: read.wholeNumber('EMAIL_VERIFICATION_TTL_SECONDS', 300, 604_800),
      passwordResetTtlSeconds: read.wholeNumber('PASSWORD_RESET_TTL_SECONDS', 300, 86_400),
      functionName: read.text('MAIL_FUNCTION_NAME', 140),
    },
    requireVerifiedEmail: read.flag('REQUIRE_VERIFIED_EMAIL'),
    auditRetentionDays: read.wholeNumber('AUDIT_RETENTION_DAYS', 1, 3650),
    notifyNewDevice: read.flag('NOTIFY_NEW_DEVICE'),
    alarms: {
      email: read.text('ALARM_EMAIL', 254),
      failedSignInsPerMinute: read.wholeNumber('ALARM_FAILED_SIGN_INS_PER_MINUTE', 1, 1_000_000),
    },
    corsAllowedOrigins: read.origins('CORS_ALLOWED_ORIGINS'),
    logLevel: read.logLevel('LOG_LEVEL'),
    ssmParameterPrefix: read.ssmPath('SSM_PARAMETER_PREFIX'),
    webauthn: { rpId: '', rpName: '', origins: [] },
  };
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
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
