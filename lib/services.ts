import type { Logger } from '@aws-lambda-powertools/logger';
import type { Access } from './access';
import type { Accounts } from './accounts/service';
import { createUserReader, type UserReader } from './accounts/store';
import { type AuditLog, createAuditLog } from './audit';
import { type BaseConfig, type Config, parseBaseConfig } from './config';
import { createDatastore, type Datastore } from './datastore';
import type { EmailSignInServices } from './email-sign-in/services';
import { askingPart, emailSignInTier, followingPart } from './email-sign-in/tier';
import { WiringError } from './errors';
import type { AwsEnvironment } from './hooks/lambda-invoke';
import type { HttpDeps } from './http';
import { createKeys, type Keys } from './keys';
import { createLogger } from './logger';
import type { AfterRead } from './lua';
import type { MailQueue } from './mail/queue';
import type { MfaLogin } from './mfa/login';
import type { SecondFactor } from './mfa/service';
import type { PasskeyCeremonies, PasskeyLogIn, PasskeyRegistration } from './passkeys/ceremonies';
import type { Passkeys } from './passkeys/service';
import { createPasswordHasher } from './passwords';
import { createRateLimits } from './rate-limits';
import { toPublicUser } from './records';
import {
  createLinkFollowing,
  type LinkFollowing,
  type PasswordReset,
  type Recovery,
} from './recovery/service';
import { createRevertLinks, createVerificationLinks } from './recovery/store';
import { createRotationStore, createSessionStore, type SessionStorePart } from './sessions/store';
import { touchIfStale } from './sessions/touch';
import {
  accessTier,
  accountsTier,
  loginLimit,
  mailQueueOf,
  mfaLoginTier,
  passkeyLogInTier,
  passkeyTier,
  recoveryTier,
  registrationTier,
  resetTier,
  type SessionIssuing,
  secondFactorTier,
  sessionIssuing,
} from './tiers';
import { buildTokenService, type JwsVerifier, type TokenService, verifyJws } from './tokens';

export { lambdaHandler, lambdaWorker } from './lambda';
export { createMailServices, type MailServices, mailServices } from './mail/services';
export { mailQueueOf, type SessionIssuing, sessionIssuing };

/**
 * What every function may depend on. Functions that never see a password use only these, so
 * their bundles leave out Argon2, the rate limiter and the common-password list.
 */
export interface BaseServices {
  config: BaseConfig;
  tokens: TokenService;
  datastore: Datastore;
  keys: Keys;
  users: UserReader;
  audit: AuditLog;
  http: HttpDeps;
  now: () => number;
}

/** The first tier and the access service (the caller's profile and sessions, refresh rotation). */
export interface AccessServices extends BaseServices {
  access: Access;
}

/** The first tier and the credential operations. */
export interface AccountServices extends BaseServices {
  accounts: Accounts;
}

/** The first tier and account recovery (asking for links). */
export interface RecoveryServices extends BaseServices {
  recovery: Recovery;
}

/** The first tier and following a verification or revert link. */
export interface LinkServices extends BaseServices {
  links: LinkFollowing;
}

/** The first tier and the completion of password resets. */
export interface ResetServices extends BaseServices {
  reset: PasswordReset;
}

/** The first tier and second factors (TOTP, recovery codes, the log-in's second step). */
export interface SecondFactorServices extends BaseServices {
  secondFactor: SecondFactor;
}

/** The first tier and the log-in's second step. */
export interface MfaLoginServices extends BaseServices {
  mfaLogin: MfaLogin;
}

/** The first tier and passkeys (options, listing, deletion). */
export interface PasskeyServices extends BaseServices {
  passkeys: Passkeys;
}

/** The first tier and the passkey registration ceremony's verification (adding a passkey). */
export interface PasskeyRegistrationServices extends BaseServices {
  ceremonies: PasskeyRegistration;
}

/** The first tier and the passkey authentication ceremony's verification (logging in with one). */
export interface PasskeyLogInServices extends BaseServices {
  ceremonies: PasskeyLogIn;
}

/** Everything (tests build every handler on one set). */
export interface Services
  extends AccessServices,
    AccountServices,
    RecoveryServices,
    LinkServices,
    ResetServices,
    SecondFactorServices,
    MfaLoginServices,
    PasskeyServices,
    PasskeyRegistrationServices,
    PasskeyLogInServices,
    EmailSignInServices {
  config: Config;
  ceremonies: PasskeyCeremonies;
}

/** What tests may replace: the clock, the logger, where mail jobs go. */
export interface ServiceOverrides {
  now?: () => number;
  logger?: Logger;
  mailQueue?: MailQueue;
  /** The AWS credentials, region and endpoints a Lambda hook is invoked with (default: process.env). */
  aws?: AwsEnvironment;
  /** The session touch after the user reader's check (`touchIfStale`): the profile read's functions. */
  sessionTouch?: AfterRead;
}

/**
 * What the public documents (the JWKS, OpenID discovery, OpenAPI) and the catch-all depend on:
 * the configuration, the token service's public keys and the HTTP layer. No route of theirs takes
 * a token, so their bundles carry no datastore client and no script.
 */
export interface PublicServices {
  config: BaseConfig;
  tokens: TokenService;
  http: HttpDeps;
}

/** Composition root of the public functions: `PublicServices`, without a datastore. */
export function createPublicServices(config: BaseConfig, overrides: ServiceOverrides = {}): PublicServices {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const tokens = buildTokenService(config.jwt, config, now, unwiredClaims(config), undefined);
  return {
    config,
    tokens,
    http: {
      tokens,
      logger,
      corsAllowedOrigins: config.corsAllowedOrigins,
      edgeOriginSecret: config.edge.originSecret,
      sessionAlive: async () => {
        throw new WiringError('a datastore');
      },
    },
  };
}

/** A function built without the hook issues no token without the claims the deployment asks for. */
const unwiredClaims = (config: BaseConfig) =>
  config.customClaimsHook
    ? async () => {
        throw new WiringError('the custom claims hook');
      }
    : undefined;

/**
 * Composition root, first tier: clients, stores, tokens and the HTTP layer's dependencies. `verify`:
 * the access token check built into the token service (`createServices`: tests, tools).
 */
export function createBaseServices<C extends BaseConfig>(
  config: C,
  overrides: ServiceOverrides = {},
  issuing?: SessionIssuing,
  verify?: JwsVerifier,
): BaseServices & { config: C } {
  const now = overrides.now ?? Date.now;
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const datastore = createDatastore(config.datastore);
  const keys = createKeys(config.keyPrefix, config.auditRetentionDays * 86_400_000);
  const users = createUserReader(datastore, keys, overrides.sessionTouch);
  const tokens = buildTokenService(
    config.jwt,
    config,
    now,
    issuing
      ? issuing.claimsHook(config.customClaimsHook, {
          logger,
          now,
          // The Lambda runtime's credentials and region, for a Lambda hook.
          aws: overrides.aws ?? (process.env as AwsEnvironment),
          findUser: async (userId, sessionId) => {
            const user = await users.authenticate({ userId, sessionId }, now());
            return user && toPublicUser(user);
          },
        })
      : unwiredClaims(config),
    issuing?.sign,
    verify,
  );
  const audit = createAuditLog(logger);
  return {
    config,
    tokens,
    datastore,
    keys,
    users,
    audit,
    http: {
      tokens,
      logger,
      corsAllowedOrigins: config.corsAllowedOrigins,
      edgeOriginSecret: config.edge.originSecret,
      sessionAlive: async (caller) => (await users.authenticate(caller, now())) !== null,
    },
    now,
  };
}

/** Composition root, second tier: adds Argon2, the rate limits and the account operations (everything: tests, tools). */
export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const everything = { sessionTouch: touchIfStale, ...overrides };
  const base = createBaseServices(config, everything, sessionIssuing, verifyJws);
  return {
    ...base,
    ...accessTier(base, createSessionStore(base.datastore, base.keys)),
    ...accountsTier(base, overrides),
    ...recoveryTier(base, overrides),
    links: createLinkFollowing({
      verificationLinks: createVerificationLinks(base.datastore, base.keys),
      revertLinks: createRevertLinks(base.datastore, base.keys),
      audit: base.audit,
      now: base.now,
    }),
    ...resetTier(base, overrides),
    ...secondFactorTier(base, createPasswordHasher(config.argon2), overrides),
    ...mfaLoginTier(base, overrides),
    ceremonies: {
      ...registrationTier(base, overrides).ceremonies,
      ...passkeyLogInTier(
        base,
        loginLimit(base, createRateLimits(base.datastore, base.keys, config.rateLimits)),
        overrides,
      ).ceremonies,
    },
    ...passkeyTier(
      base,
      {
        passwords: createPasswordHasher(config.argon2),
        limitLogin: loginLimit(base, createRateLimits(base.datastore, base.keys, config.rateLimits)),
      },
      overrides,
    ),
    ...emailSignInTier(base, {
      ...askingPart(base, mailQueueOf(base, overrides)),
      ...followingPart(base),
    }),
  };
}

/** The public functions' services from an environment; parses (and so validates) the configuration. */
export const publicServices = (env: Record<string, string | undefined>): PublicServices =>
  createPublicServices(parseBaseConfig(env));

/** Builds the services from an environment; parses (and so validates) the configuration. */
export const baseServices = (env: Record<string, string | undefined>): BaseServices =>
  createBaseServices(parseBaseConfig(env));

/**
 * As `baseServices`, with the access service (the caller's profile and sessions) over the part of
 * the session store the function uses (`createSessionLister`, …; lib/sessions/store.ts), and the
 * session touch where its user check is the read (the profile).
 */
export const accessServices =
  (sessions: SessionStorePart, sessionTouch?: AfterRead) =>
  (env: Record<string, string | undefined>): AccessServices => {
    const base = createBaseServices(parseBaseConfig(env), sessionTouch ? { sessionTouch } : {});
    return { ...base, ...accessTier(base, sessions(base.datastore, base.keys)) };
  };

/** As `accessServices`, for a function that issues tokens without the other tiers (refresh): with the claims hook. */
export const sessionServices = (env: Record<string, string | undefined>): AccessServices => {
  const base = createBaseServices(parseBaseConfig(env), {}, sessionIssuing);
  return { ...base, ...accessTier(base, createRotationStore(base.datastore, base.keys)) };
};

/** As `baseServices`, with the credential operations (each function bundles only the tier it uses). */
export const accountServices = (env: Record<string, string | undefined>): AccountServices => {
  const base = createBaseServices(parseBaseConfig(env), {}, sessionIssuing);
  return { ...base, ...accountsTier(base, {}) };
};

/** As `accountServices`, for the profile: it issues no session, and most of its requests never hash. */
export const profileServices = (env: Record<string, string | undefined>): AccountServices => {
  const base = createBaseServices(parseBaseConfig(env));
  return { ...base, ...accountsTier(base, {}, false) };
};

/** As `baseServices`, with the completion of password resets. */
export const resetServices = (env: Record<string, string | undefined>): ResetServices => {
  const base = createBaseServices(parseBaseConfig(env), {}, sessionIssuing);
  return { ...base, ...resetTier(base) };
};

/** As `baseServices`, with second factors, without a password hasher (no Argon2 in the bundle). */
export const secondFactorServices = (env: Record<string, string | undefined>): SecondFactorServices => {
  const base = createBaseServices(parseBaseConfig(env));
  return { ...base, ...secondFactorTier(base) };
};

/** As `secondFactorServices`, where a password is re-entered. */
export const secondFactorPasswordServices = (
  env: Record<string, string | undefined>,
): SecondFactorServices => {
  const base = createBaseServices(parseBaseConfig(env));
  return { ...base, ...secondFactorTier(base, createPasswordHasher(base.config.argon2)) };
};

/** As `baseServices`, with the log-in's second step. */
export const mfaLoginServices = (env: Record<string, string | undefined>): MfaLoginServices => {
  const base = createBaseServices(parseBaseConfig(env), {}, sessionIssuing);
  return { ...base, ...mfaLoginTier(base) };
};

/** As `baseServices`, with the passkey registration's verification (adding a passkey: no limiter). */
export const passkeyRegistrationServices = (
  env: Record<string, string | undefined>,
): PasskeyRegistrationServices => {
  const base = createBaseServices(parseBaseConfig(env));
  return { ...base, ...registrationTier(base) };
};

/** As `baseServices`, with the passkey log-in's verification: the per-IP log-in limit, the claims hook. */
export const passkeyLogInServices = (env: Record<string, string | undefined>): PasskeyLogInServices => {
  const base = createBaseServices(parseBaseConfig(env), {}, sessionIssuing);
  const rateLimits = createRateLimits(base.datastore, base.keys, base.config.rateLimits);
  return { ...base, ...passkeyLogInTier(base, loginLimit(base, rateLimits)) };
};

/** As `baseServices`, with passkeys (registration and listing: no Argon2, no limiter). */
export const passkeyServices = (env: Record<string, string | undefined>): PasskeyServices => {
  const base = createBaseServices(parseBaseConfig(env));
  return { ...base, ...passkeyTier(base) };
};

/** As `passkeyServices`, for the log-in options: with the per-IP log-in limit. */
export const passkeyLoginServices = (env: Record<string, string | undefined>): PasskeyServices => {
  const base = createBaseServices(parseBaseConfig(env));
  const rateLimits = createRateLimits(base.datastore, base.keys, base.config.rateLimits);
  return { ...base, ...passkeyTier(base, { limitLogin: loginLimit(base, rateLimits) }) };
};

/** As `passkeyServices`, where a password is re-entered (deleting a passkey). */
export const passkeyPasswordServices = (env: Record<string, string | undefined>): PasskeyServices => {
  const base = createBaseServices(parseBaseConfig(env));
  return { ...base, ...passkeyTier(base, { passwords: createPasswordHasher(base.config.argon2) }) };
};

/** As `baseServices`, following verification links. */
export const verificationServices = (env: Record<string, string | undefined>): LinkServices => {
  const base = createBaseServices(parseBaseConfig(env));
  const links = createVerificationLinks(base.datastore, base.keys);
  return {
    ...base,
    links: createLinkFollowing({ verificationLinks: links, audit: base.audit, now: base.now }),
  };
};

/** As `baseServices`, following an email change's revert link. */
export const revertServices = (env: Record<string, string | undefined>): LinkServices => {
  const base = createBaseServices(parseBaseConfig(env));
  const links = createRevertLinks(base.datastore, base.keys);
  return { ...base, links: createLinkFollowing({ revertLinks: links, audit: base.audit, now: base.now }) };
};

/** As `baseServices`, with account recovery. */
export const recoveryServices = (env: Record<string, string | undefined>): RecoveryServices => {
  const base = createBaseServices(parseBaseConfig(env), { sessionTouch: touchIfStale });
  return { ...base, ...recoveryTier(base, {}) };
};
