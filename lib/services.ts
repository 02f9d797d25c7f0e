import { Logger } from '@aws-lambda-powertools/logger';
import { type Access, createAccess } from './access';
import { type Accounts, createAccounts } from './accounts';
import { type AuditLog, createAuditLog } from './audit';
import { type Config, parseConfig } from './config';
import { createDatastore, type Datastore } from './datastore';
import { ServiceUnavailableError } from './errors';
import { type HttpDeps, type HttpHandler, problemResponse } from './http';
import { createKeys, type Keys } from './keys';
import { parametersToFetch, resolveParameters } from './parameters';
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

/** Builds the services from an environment; parses (and so validates) the configuration. */
export const baseServices = (env: Record<string, string | undefined>): BaseServices =>
  createBaseServices(parseConfig(env));

/** As `baseServices`, with the credential operations. */
export const services = (env: Record<string, string | undefined>): Services =>
  createServices(parseConfig(env));

/**
 * The exported handler of a Lambda: its services are built once per container from `process.env`
 * (the one place that reads it), after the deployment's parameters are read from SSM
 * (lib/parameters.ts). With nothing to read (local runs, tests) they are built at import, and a bad
 * configuration throws there, listing every problem. Otherwise the read starts at import, in the
 * init phase, and requests wait for it; a bad configuration then fails every request the same
 * way, and a read that fails answers 503 and is tried again by the next request.
 */
export function lambdaHandler<S>(
  build: (env: Record<string, string | undefined>) => S,
  create: (services: S) => HttpHandler,
): HttpHandler {
  if (parametersToFetch(process.env).length === 0) return create(build(process.env));
  let ready: Promise<HttpHandler> | undefined;
  const start = () => {
    ready ??= resolveParameters(process.env).then(
      (env) => create(build(env)),
      (error: unknown) => {
        ready = undefined;
        throw new ParametersUnavailableError(error);
      },
    );
    return ready;
  };
  // Begin at import; a failure here is reported by the request that awaits it.
  start().catch(() => undefined);
  return async (event, context) => {
    try {
      return await (await start())(event, context);
    } catch (error) {
      if (!(error instanceof ParametersUnavailableError)) throw error;
      console.error(
        JSON.stringify({ level: 'ERROR', message: 'SSM parameters unavailable', cause: error.reason }),
      );
      const response = problemResponse(new ServiceUnavailableError(), context.awsRequestId);
      return { ...response, headers: { ...response.headers, 'X-Content-Type-Options': 'nosniff' } };
    }
  };
}

/** The deployment's parameters could not be read (SSM unreachable or refusing): retried later. */
class ParametersUnavailableError extends Error {
  override name = 'ParametersUnavailableError';
  readonly reason: string;
  constructor(cause: unknown) {
    super('SSM parameters unavailable');
    // The error's name only: an SDK error's message may quote a parameter's name, never its value.
    this.reason = cause instanceof Error ? cause.name : 'unknown';
  }
}
