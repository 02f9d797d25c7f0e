import { Logger } from '@aws-lambda-powertools/logger';
import { type Access, createAccess } from './access';
import { type Accounts, createAccounts } from './accounts';
import { type AuditLog, createAuditLog } from './audit';
import { type Config, parseConfig } from './config';
import { createDatastore, type Datastore } from './datastore';
import type { HttpDeps } from './http';
import { createKeys, type Keys } from './keys';
import { createPasswordHasher } from './passwords';
import { createRateLimits } from './rate-limits';
import { createSessionStore } from './sessions';
import { createTokenService, type TokenService } from './tokens';
import { createUserReader, createUserStore, type UserReader } from './users';

/**
 * What every function may depend on. Functions that never see a password use only these, so
 * their bundles leave out Argon2, the rate limiter and the common-password list.
 */
export interface BaseServices {
  config: Config;
  access: Access;
  tokens: TokenService;
  datastore: Datastore;
  keys: Keys;
  users: UserReader;
  audit: AuditLog;
  http: HttpDeps;
  now: () => number;
}

/** Everything, including the credential operations (`accounts`). */
export interface Services extends BaseServices {
  accounts: Accounts;
}

/** What tests may replace: the clock, the logger. */
export interface ServiceOverrides {
  now?: () => number;
  logger?: Logger;
}

/** Composition root, first tier: clients, stores, tokens and the access service. */
export function createBaseServices(config: Config, overrides: ServiceOverrides = {}): BaseServices {
  const now = overrides.now ?? Date.now;
  const logger =
    overrides.logger ?? new Logger({ serviceName: 'account-service', logLevel: config.logLevel });
  const datastore = createDatastore(config.datastore);
  const tokens = createTokenService(config.jwt, config, now);
  const users = createUserReader(datastore, config.keyPrefix);
  const audit = createAuditLog(logger);
  const access = createAccess({
    users,
    sessions: createSessionStore(datastore, config.keyPrefix),
    tokens,
    audit,
    refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    refreshReuseGraceSeconds: config.refreshReuseGraceSeconds,
    now,
  });
  return {
    config,
    access,
    tokens,
    datastore,
    keys: createKeys(config.keyPrefix),
    users,
    audit,
    http: {
      tokens,
      logger,
      corsAllowedOrigins: config.corsAllowedOrigins,
      sessionAlive: async (caller) => (await users.authenticate(caller, now())) !== null,
    },
    now,
  };
}

/** Composition root, second tier: adds Argon2, the rate limits and the account operations. */
export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const base = createBaseServices(config, overrides);
  const accounts = createAccounts({
    users: createUserStore(base.datastore, config.keyPrefix),
    passwords: createPasswordHasher(config.argon2),
    tokens: base.tokens,
    rateLimits: createRateLimits(base.datastore, base.keys, config.rateLimits),
    audit: base.audit,
    settings: config,
    now: base.now,
  });
  return { ...base, accounts };
}

let base: BaseServices | undefined;
let full: Services | undefined;

/**
 * The process-wide services, built from `process.env` at cold start (the one place that reads
 * the environment). A bad configuration throws here, listing every problem.
 */
export function baseServices(): BaseServices {
  base ??= createBaseServices(parseConfig(process.env));
  return base;
}

/** As `baseServices()`, with the credential operations. */
export function services(): Services {
  full ??= createServices(parseConfig(process.env));
  return full;
}
