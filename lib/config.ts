import { z } from 'zod';

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
  x: z.string().min(1),
  d: z.string().min(1).optional(),
  kid: z.string().min(1).optional(),
});
export type Ed25519Jwk = z.infer<typeof Ed25519Jwk>;

const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .default(fallback);

const rateLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const match = /^(\d+)\/(\d+)$/.exec(text.trim());
      const limit = Number(match?.[1]);
      const windowSeconds = Number(match?.[2]);
      if (!match || limit < 1 || windowSeconds < 1) {
        ctx.addIssue({ code: 'custom', message: 'must look like N/SECONDS, e.g. 30/300' });
        return z.NEVER;
      }
      return { limit, windowSeconds };
    });

const Env = z.object({
  UPSTASH_REDIS_REST_URL: z.url({ protocol: /^https?$/ }),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
  DATASTORE_TIMEOUT_MS: integer(50, 60_000, 2_000),
  KEY_PREFIX: z.string().min(1).max(64).default('acct:'),
  JWT_PRIVATE_KEY: jsonText(Ed25519Jwk.refine((k) => k.d !== undefined, 'must be a private key (with "d")')),
  JWT_PREVIOUS_PUBLIC_KEYS: jsonText(z.array(Ed25519Jwk)).default([]),
  JWT_ISSUER: z.string().min(1).default('account-service'),
  JWT_AUDIENCE: z.string().min(1).default('account-service'),
  ACCESS_TOKEN_TTL_SECONDS: integer(1, 86_400, 900),
  REFRESH_TOKEN_TTL_SECONDS: integer(60, 31_536_000, 2_592_000),
  PASSWORD_MIN_LENGTH: integer(PASSWORD_MIN_LENGTH_FLOOR, PASSWORD_MAX_LENGTH, 12),
  ARGON2_MEMORY_KIB: integer(8, 4_194_304, 19_456),
  ARGON2_TIME_COST: integer(1, 100, 2),
  ARGON2_PARALLELISM: integer(1, 16, 1),
  RATE_LIMIT_LOGIN_PER_IP: rateLimit('30/300'),
  RATE_LIMIT_REGISTER_PER_IP: rateLimit('20/3600'),
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })]))),
  LOG_LEVEL: z
    .string()
    .default('INFO')
    .transform((level) => level.toUpperCase())
    .pipe(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'])),
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
        return present[name] === undefined ? `${name} is required` : `${name} ${issue.message}`;
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
