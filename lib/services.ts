import { Logger } from '@aws-lambda-powertools/logger';
import { type Accounts, createAccounts } from './accounts';
import { createAuditLog } from './audit';
import { type Config, parseConfig } from './config';
import { createDatastore, type Datastore } from './datastore';
import type { HttpDeps } from './http';
import { createKeys, type Keys } from './keys';
import { createPasswordHasher } from './passwords';
import { createRateLimits } from './rate-limits';
import { createSessionStore } from './sessions';
import { createTokenService, type TokenService } from './tokens';
import { createUserStore } from './users';

/** Everything a handler may depend on. `createHandler(services)` in each function is the test seam. */
export interface Services {
  config: Config;
  accounts: Accounts;
  tokens: TokenService;
  datastore: Datastore;
  keys: Keys;
  http: HttpDeps;
}

/** What tests may replace: the clock, and anything else that is slow or nondeterministic. */
export interface ServiceOverrides {
  now?: () => number;
  logger?: Logger;
}

/** The composition root: builds every client and service from a validated configuration. */
export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const now = overrides.now ?? Date.now;
  const logger =
    overrides.logger ?? new Logger({ serviceName: 'account-service', logLevel: config.logLevel });
  const datastore = createDatastore(config.datastore);
  const keys = createKeys(config.keyPrefix);
  const tokens = createTokenService(config.jwt, config.accessTokenTtlSeconds, now);
  const accounts = createAccounts({
    users: createUserStore(datastore, config.keyPrefix),
    sessions: createSessionStore(datastore, config.keyPrefix),
    passwords: createPasswordHasher(config.argon2),
    tokens,
    rateLimits: createRateLimits(datastore, keys, config.rateLimits),
    audit: createAuditLog(logger),
    settings: config,
    now,
  });
  return {
    config,
    accounts,
    tokens,
    datastore,
    keys,
    http: { tokens, logger, corsAllowedOrigins: config.corsAllowedOrigins },
  };
}

let instance: Services | undefined;

/**
 * The process-wide services, built from `process.env` at cold start (the one place that reads
 * the environment). A bad configuration throws here, listing every problem.
 */
export function services(): Services {
  instance ??= createServices(parseConfig(process.env));
  return instance;
}
