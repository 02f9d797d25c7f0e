import * as z from 'zod/mini';

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
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  passwordMinLength: number;
  argon2: { memoryKib: number; timeCost: number; parallelism: number };
  rateLimits: { loginPerIp: RateLimitRule; registerPerIp: RateLimitRule };
  corsAllowedOrigins: string[];
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

/** The lowest `PASSWORD_MIN_LENGTH` accepted (NIST SP 800-63B); the bundled common-password list relies on it. */
export const PASSWORD_MIN_LENGTH_FLOOR = 8;
export const PASSWORD_MAX_LENGTH = 256;

const Ed25519Jwk = z.looseObject({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().check(z.minLength(1)),
  d: z.optional(z.string().check(z.minLength(1))),
  kid: z.optional(z.string().check(z.minLength(1))),
});
export type Ed25519Jwk = z.infer<typeof Ed25519Jwk>;

const jsonText = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((text: string, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.issues.push({ code: 'custom', message: 'is not valid JSON', input: undefined });
          return z.NEVER;
        }
      }),
    ),
    schema,
  );

const wholeNumber = (min: number, max: number, fallback: number) =>
  z.prefault(
    z.pipe(
      z.string().check(z.regex(/^\d+$/, 'must be a whole number')),
      z.pipe(
        z.transform(Number),
        z.number().check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
      ),
    ),
    String(fallback),
  );

const rateLimit = (fallback: string) =>
  z.prefault(
    z.pipe(
      z.string(),
      z.transform((text: string, ctx): RateLimitRule => {
        const match = /^(\d+)\/(\d+)$/.exec(text.trim());
        const limit = Number(match?.[1]);
        const windowSeconds = Number(match?.[2]);
        if (!match || limit < 1 || windowSeconds < 1) {
          ctx.issues.push({ code: 'custom', message: 'must look like N/SECONDS, e.g. 30/300', input: text });
          return z.NEVER;
        }
        return { limit, windowSeconds };
      }),
    ),
    fallback,
  );

const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const Env = z.object({
  UPSTASH_REDIS_REST_URL: httpUrl(),
  UPSTASH_REDIS_REST_TOKEN: z.string().check(z.minLength(1)),
  DATASTORE_TIMEOUT_MS: wholeNumber(50, 60_000, 2_000),
  KEY_PREFIX: z.prefault(
    z.string().check(z.minLength(1), z.maxLength(64, 'must be at most 64 characters')),
    'acct:',
  ),
  JWT_PRIVATE_KEY: jsonText(
    Ed25519Jwk.check(z.refine((k) => k.d !== undefined, 'must be an Ed25519 private JWK (with "d")')),
  ),
  JWT_PREVIOUS_PUBLIC_KEYS: z.prefault(jsonText(z.array(Ed25519Jwk)), '[]'),
  JWT_ISSUER: z.prefault(z.string().check(z.minLength(1)), 'account-service'),
  JWT_AUDIENCE: z.prefault(z.string().check(z.minLength(1)), 'account-service'),
  ACCESS_TOKEN_TTL_SECONDS: wholeNumber(1, 86_400, 900),
  REFRESH_TOKEN_TTL_SECONDS: wholeNumber(60, 31_536_000, 2_592_000),
  REFRESH_REUSE_GRACE_SECONDS: wholeNumber(0, 300, 10),
  PASSWORD_MIN_LENGTH: wholeNumber(PASSWORD_MIN_LENGTH_FLOOR, PASSWORD_MAX_LENGTH, 12),
  ARGON2_MEMORY_KIB: wholeNumber(8, 4_194_304, 19_456),
  ARGON2_TIME_COST: wholeNumber(1, 100, 2),
  ARGON2_PARALLELISM: wholeNumber(1, 16, 1),
  RATE_LIMIT_LOGIN_PER_IP: rateLimit('30/300'),
  RATE_LIMIT_REGISTER_PER_IP: rateLimit('20/3600'),
  CORS_ALLOWED_ORIGINS: z.prefault(
    z.pipe(
      z.string(),
      z.pipe(
        z.transform((text: string) =>
          text
            .split(',')
            .map((origin) => origin.trim())
            .filter(Boolean),
        ),
        z.array(z.union([z.literal('*'), httpUrl()])),
      ),
    ),
    '',
  ),
  LOG_LEVEL: z.prefault(
    z.pipe(
      z.string(),
      z.pipe(
        z.transform((level: string) => level.toUpperCase()),
        z.enum(
          ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'],
          'must be one of DEBUG, INFO, WARN, ERROR, SILENT',
        ),
      ),
    ),
    'INFO',
  ),
});

/** Raised at cold start when the environment is unusable; the message lists every problem at once. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Parses and validates the environment. Pure: reads only `env`. Empty strings count as unset.
 * Throws one `ConfigError` naming every bad or missing variable (never echoing secret values).
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = Env.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        if (present[name] === undefined) return `${name} is required`;
        // Messages name the rule, never the value: some of these variables are secrets.
        const where = issue.path.length > 1 ? ` (at ${issue.path.slice(1).join('.')})` : '';
        return `${name}${where} ${issue.message}`;
      }),
    );
  }
  const e = parsed.data;
  return {
    datastore: {
      url: e.UPSTASH_REDIS_REST_URL,
      token: e.UPSTASH_REDIS_REST_TOKEN,
      timeoutMs: e.DATASTORE_TIMEOUT_MS,
    },
    keyPrefix: e.KEY_PREFIX,
    jwt: {
      privateKey: e.JWT_PRIVATE_KEY,
      previousPublicKeys: e.JWT_PREVIOUS_PUBLIC_KEYS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    passwordMinLength: e.PASSWORD_MIN_LENGTH,
    argon2: {
      memoryKib: e.ARGON2_MEMORY_KIB,
      timeCost: e.ARGON2_TIME_COST,
      parallelism: e.ARGON2_PARALLELISM,
    },
    rateLimits: { loginPerIp: e.RATE_LIMIT_LOGIN_PER_IP, registerPerIp: e.RATE_LIMIT_REGISTER_PER_IP },
    corsAllowedOrigins: e.CORS_ALLOWED_ORIGINS,
    logLevel: e.LOG_LEVEL,
  };
}
