import { Logger } from '@aws-lambda-powertools/logger';
import { type Access, createAccess } from './access';
import { type Accounts, createAccounts } from './accounts';
import { type AuditLog, createAuditLog } from './audit';
import { type Config, parseConfig } from './config';
import { createDatastore, type Datastore } from './datastore';
import { codeHashKey } from './email-sign-in/pair';
import type { EmailSignInServices } from './email-sign-in/services';
import { createEmailSignInIssuer } from './email-sign-in/store';
import { askingPart, emailSignInTier, followingPart } from './email-sign-in/tier';
import { ServiceUnavailableError } from './errors';
import { customClaimsFor } from './hooks/custom-claims';
import type { AwsEnvironment } from './hooks/lambda-invoke';
import { type ClientInfo, type HttpDeps, type HttpHandler, problemResponse } from './http';
import { createKeys, type Keys } from './keys';
import { createKnownDevices } from './known-devices';
import { createMailLinks, createResetLinks, createRevertLinks, createVerificationLinks } from './links';
import { createLambdaMailQueue, type MailQueue } from './mail-queue';
import { createMailService, type MailService } from './mail-service';
import { createSesMailer, type Mailer } from './mailer';
import { createMfaLoginStore, createMfaStore } from './mfa';
import { createMfaLogin, type MfaLogin } from './mfa-login';
import { createNoticeStore } from './notices/store';
import { ParametersUnavailableError, parametersToFetch, resolveParameters } from './parameters';
import { createPasskeyCeremonies, type PasskeyCeremonies } from './passkey-ceremonies';
import { createPasskeys, type Passkeys } from './passkeys';
import { createPasswordHasher, type PasswordHasher } from './passwords';
import { auditedLimit, createMailLimit, createRateLimits, type RateLimits } from './rate-limits';
import {
  createLinkFollowing,
  createPasswordReset,
  createRecovery,
  type LinkFollowing,
  type PasswordReset,
  type Recovery,
} from './recovery';
import { createSecondFactor, type SecondFactor } from './second-factor';
import { createSessionStore } from './sessions';
import { createTokenService, type TokenService } from './tokens';
import { createReauthStore, createUserReader, createUserStore, toPublicUser, type UserReader } from './users';

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

/** The first tier and the passkey ceremonies' verification. */
export interface PasskeyCeremonyServices extends BaseServices {
  ceremonies: PasskeyCeremonies;
}

/** Everything (tests build every handler on one set). */
export interface Services
  extends AccountServices,
    RecoveryServices,
    LinkServices,
    ResetServices,
    SecondFactorServices,
    MfaLoginServices,
    PasskeyServices,
    PasskeyCeremonyServices,
    EmailSignInServices {}

/** What tests may replace: the clock, the logger, where mail jobs go. */
export interface ServiceOverrides {
  now?: () => number;
  logger?: Logger;
  mailQueue?: MailQueue;
  /** The AWS credentials, region and endpoints a Lambda hook is invoked with (default: process.env). */
  aws?: AwsEnvironment;
}

/**
 * The custom claims hook's builder (lib/hooks/), handed in only by the builders of functions that
 * issue tokens: the others never bundle the hook's code and aws4fetch.
 */
type ClaimsHookBuilder = typeof customClaimsFor;

/** Composition root, first tier: clients, stores, tokens and the access service. */
export function createBaseServices(
  config: Config,
  overrides: ServiceOverrides = {},
  claimsHook?: ClaimsHookBuilder,
): BaseServices {
  const now = overrides.now ?? Date.now;
  const logger =
    overrides.logger ?? new Logger({ serviceName: 'account-service', logLevel: config.logLevel });
  const datastore = createDatastore(config.datastore);
  const keys = createKeys(config.keyPrefix, config.auditRetentionDays * 86_400_000);
  const users = createUserReader(datastore, keys);
  const tokens = createTokenService(
    config.jwt,
    config,
    now,
    claimsHook?.(config.customClaimsHook, {
      logger,
      now,
      // The Lambda runtime's credentials and region, for a Lambda hook.
      aws: overrides.aws ?? (process.env as AwsEnvironment),
      findUser: async (userId, sessionId) => {
        const user = await users.authenticate({ userId, sessionId }, now());
        return user && toPublicUser(user);
      },
    }),
  );
  const audit = createAuditLog(logger);
  const access = createAccess({
    users,
    sessions: createSessionStore(datastore, keys),
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

/** Composition root, second tier: adds Argon2, the rate limits and the account operations. */
export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const base = createBaseServices(config, overrides, customClaimsFor);
  return {
    ...base,
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
    ...ceremonyTier(
      base,
      loginLimit(base, createRateLimits(base.datastore, base.keys, config.rateLimits)),
      overrides,
    ),
    ...passkeyTier(
      base,
      {
        passwords: createPasswordHasher(config.argon2),
        rateLimits: createRateLimits(base.datastore, base.keys, config.rateLimits),
      },
      overrides,
    ),
    ...emailSignInTier(base, {
      ...askingPart(base, mailQueueOf(base, overrides)),
      ...followingPart(base),
    }),
  };
}

/**
 * The passkey ceremonies' verification (lib/passkeys/verifier.ts: only the two functions that
 * verify a response carry it), with the per-IP log-in limit where a passkey logs in.
 */
function ceremonyTier(
  base: BaseServices,
  limitLogin?: (client: ClientInfo) => Promise<void>,
  overrides: ServiceOverrides = {},
): Pick<Services, 'ceremonies'> {
  return {
    ceremonies: createPasskeyCeremonies({
      datastore: base.datastore,
      keys: base.keys,
      ...(limitLogin ? { limitLogin } : {}),
      tokens: base.tokens,
      audit: base.audit,
      mail: mailQueueOf(base, overrides),
      settings: base.config,
      now: base.now,
    }),
  };
}

/** The per-IP log-in limit, audited, as a passkey log-in checks it. */
const loginLimit =
  (base: BaseServices, rateLimits: RateLimits) =>
  (client: ClientInfo): Promise<void> =>
    auditedLimit(rateLimits.checkLoginIp(client.ip), base.audit, 'login_ip', client.ip);

/**
 * Passkeys, on the first tier: `passwords` only where one is re-entered (deleting a passkey),
 * `rateLimits` only where a passkey logs in.
 */
function passkeyTier(
  base: BaseServices,
  extras: { passwords?: PasswordHasher; rateLimits?: RateLimits } = {},
  overrides: ServiceOverrides = {},
): Pick<Services, 'passkeys'> {
  return {
    passkeys: createPasskeys({
      datastore: base.datastore,
      keys: base.keys,
      users: createReauthStore(base.datastore, base.keys),
      ...extras,
      tokens: base.tokens,
      audit: base.audit,
      mail: mailQueueOf(base, overrides),
      settings: base.config,
      now: base.now,
    }),
  };
}

/**
 * Second factors, on the first tier. `passwords` only for the functions where a password is
 * re-entered: the others (confirming, the summary, the log-in's second step) never load Argon2.
 */
function secondFactorTier(
  base: BaseServices,
  passwords?: ReturnType<typeof createPasswordHasher>,
  overrides: ServiceOverrides = {},
): Pick<Services, 'secondFactor'> {
  const { config } = base;
  return {
    secondFactor: createSecondFactor({
      mfa: createMfaStore(base.datastore, base.keys),
      users: createReauthStore(base.datastore, base.keys),
      ...(passwords ? { passwords } : {}),
      audit: base.audit,
      mail: mailQueueOf(base, overrides),
      settings: { ...config, appName: config.mail.appName },
      now: base.now,
    }),
  };
}

/** The log-in's second step, on the first tier. */
function mfaLoginTier(base: BaseServices, overrides: ServiceOverrides = {}): Pick<Services, 'mfaLogin'> {
  return {
    mfaLogin: createMfaLogin({
      logins: createMfaLoginStore(base.datastore, base.keys),
      tokens: base.tokens,
      audit: base.audit,
      knownDevices: createKnownDevices(base.config.totpEncryptionKey, base.now),
      mail: mailQueueOf(base, overrides),
      settings: base.config,
      now: base.now,
    }),
  };
}

/** The account operations, on the first tier (log-in, register, profile and password changes). */
function accountsTier(base: BaseServices, overrides: ServiceOverrides): Pick<Services, 'accounts'> {
  const { config } = base;
  return {
    accounts: createAccounts({
      users: createUserStore(base.datastore, base.keys),
      passwords: createPasswordHasher(config.argon2),
      tokens: base.tokens,
      rateLimits: createRateLimits(base.datastore, base.keys, config.rateLimits),
      mail: mailQueueOf(base, overrides),
      audit: base.audit,
      knownDevices: createKnownDevices(config.totpEncryptionKey, base.now),
      settings: config,
      now: base.now,
    }),
  };
}

/** Account recovery, on the first tier (asking for links and following them). */
function recoveryTier(base: BaseServices, overrides: ServiceOverrides): Pick<Services, 'recovery'> {
  const { config } = base;
  return {
    recovery: createRecovery({
      users: base.users,
      tokens: base.tokens,
      rateLimits: createRateLimits(base.datastore, base.keys, config.rateLimits),
      mail: mailQueueOf(base, overrides),
      audit: base.audit,
      settings: config,
      now: base.now,
    }),
  };
}

/** Completing password resets, on the first tier. */
function resetTier(base: BaseServices, overrides: ServiceOverrides = {}): Pick<Services, 'reset'> {
  return {
    reset: createPasswordReset({
      links: createResetLinks(base.datastore, base.keys),
      passwords: createPasswordHasher(base.config.argon2),
      tokens: base.tokens,
      audit: base.audit,
      mail: mailQueueOf(base, overrides),
      settings: base.config,
      now: base.now,
    }),
  };
}

/** The mail queue of a request function (or the one a test put in its place), never failing the request. */
export const mailQueueOf = (base: BaseServices, overrides: ServiceOverrides): MailQueue =>
  neverFailing(overrides.mailQueue ?? createLambdaMailQueue(base.config.mail.functionName), base.audit);

/**
 * A mail queue whose failure never fails the request that queued the mail: the change it follows
 * is already stored, and the user can ask again (a new link). The failure is audited.
 */
function neverFailing(queue: MailQueue, audit: AuditLog): MailQueue {
  return {
    async enqueue(job) {
      try {
        await queue.enqueue(job);
      } catch {
        audit.record('mail_failed', { mail: job.kind, reason: 'queue_failed' });
      }
    },
  };
}

/** What the mail function needs: the mail service and the audit log. */
export interface MailServices {
  config: Config;
  mail: MailService;
  audit: AuditLog;
}

/** Composition root of the mail function: link issuing, the per-address limit, SES. */
export function createMailServices(
  config: Config,
  overrides: ServiceOverrides & { mailer?: Mailer } = {},
): MailServices {
  const now = overrides.now ?? Date.now;
  const logger =
    overrides.logger ?? new Logger({ serviceName: 'account-service', logLevel: config.logLevel });
  const datastore = createDatastore(config.datastore);
  const keys = createKeys(config.keyPrefix);
  const audit = createAuditLog(logger);
  const limit = createMailLimit(datastore, keys, config.rateLimits.mailPerAddress);
  const mail = createMailService({
    links: createMailLinks(datastore, keys, config.mail),
    signIns: createEmailSignInIssuer(datastore, keys, {
      codeKey: codeHashKey(config.totpEncryptionKey),
      ttlSeconds: config.emailSignIn.ttlSeconds,
    }),
    notices: createNoticeStore(datastore, keys),
    mailer: overrides.mailer ?? createSesMailer(config.mail.from),
    mayMail: (address) => limit.mayMail(address),
    audit,
    settings: { ...config.mail, emailSignIn: config.emailSignIn, notifyNewDevice: config.notifyNewDevice },
    now,
  });
  return { config, mail, audit };
}

/** The mail function's services, from an environment. */
export const mailServices = (env: Record<string, string | undefined>): MailServices =>
  createMailServices(parseConfig(env));

/** Builds the services from an environment; parses (and so validates) the configuration. */
export const baseServices = (env: Record<string, string | undefined>): BaseServices =>
  createBaseServices(parseConfig(env));

/** As `baseServices`, for a function that issues tokens without the other tiers (refresh): with the claims hook. */
export const sessionServices = (env: Record<string, string | undefined>): BaseServices =>
  createBaseServices(parseConfig(env), {}, customClaimsFor);

/** As `baseServices`, with the credential operations (each function bundles only the tier it uses). */
export const accountServices = (env: Record<string, string | undefined>): AccountServices => {
  const base = createBaseServices(parseConfig(env), {}, customClaimsFor);
  return { ...base, ...accountsTier(base, {}) };
};

/** As `baseServices`, with the completion of password resets. */
export const resetServices = (env: Record<string, string | undefined>): ResetServices => {
  const base = createBaseServices(parseConfig(env), {}, customClaimsFor);
  return { ...base, ...resetTier(base) };
};

/** As `baseServices`, with second factors, without a password hasher (no Argon2 in the bundle). */
export const secondFactorServices = (env: Record<string, string | undefined>): SecondFactorServices => {
  const base = createBaseServices(parseConfig(env));
  return { ...base, ...secondFactorTier(base) };
};

/** As `secondFactorServices`, where a password is re-entered. */
export const secondFactorPasswordServices = (
  env: Record<string, string | undefined>,
): SecondFactorServices => {
  const base = createBaseServices(parseConfig(env));
  return { ...base, ...secondFactorTier(base, createPasswordHasher(base.config.argon2)) };
};

/** As `baseServices`, with the log-in's second step. */
export const mfaLoginServices = (env: Record<string, string | undefined>): MfaLoginServices => {
  const base = createBaseServices(parseConfig(env), {}, customClaimsFor);
  return { ...base, ...mfaLoginTier(base) };
};

/** As `baseServices`, with the passkey ceremonies' verification (adding a passkey: no limiter). */
export const passkeyCeremonyServices = (env: Record<string, string | undefined>): PasskeyCeremonyServices => {
  const base = createBaseServices(parseConfig(env));
  return { ...base, ...ceremonyTier(base) };
};

/**
 * As `passkeyCeremonyServices`, for logging in with a passkey: with the per-IP log-in limit, and
 * the claims hook (it issues tokens).
 */
export const passkeyLoginCeremonyServices = (
  env: Record<string, string | undefined>,
): PasskeyCeremonyServices => {
  const base = createBaseServices(parseConfig(env), {}, customClaimsFor);
  const rateLimits = createRateLimits(base.datastore, base.keys, base.config.rateLimits);
  return { ...base, ...ceremonyTier(base, loginLimit(base, rateLimits)) };
};

/** As `baseServices`, with passkeys (registration and listing: no Argon2, no limiter). */
export const passkeyServices = (env: Record<string, string | undefined>): PasskeyServices => {
  const base = createBaseServices(parseConfig(env));
  return { ...base, ...passkeyTier(base) };
};

/** As `passkeyServices`, for the log-in options: with the per-IP log-in limit. */
export const passkeyLoginServices = (env: Record<string, string | undefined>): PasskeyServices => {
  const base = createBaseServices(parseConfig(env));
  return {
    ...base,
    ...passkeyTier(base, { rateLimits: createRateLimits(base.datastore, base.keys, base.config.rateLimits) }),
  };
};

/** As `passkeyServices`, where a password is re-entered (deleting a passkey). */
export const passkeyPasswordServices = (env: Record<string, string | undefined>): PasskeyServices => {
  const base = createBaseServices(parseConfig(env));
  return { ...base, ...passkeyTier(base, { passwords: createPasswordHasher(base.config.argon2) }) };
};

/** As `baseServices`, following verification links. */
export const verificationServices = (env: Record<string, string | undefined>): LinkServices => {
  const base = createBaseServices(parseConfig(env));
  const links = createVerificationLinks(base.datastore, base.keys);
  return {
    ...base,
    links: createLinkFollowing({ verificationLinks: links, audit: base.audit, now: base.now }),
  };
};

/** As `baseServices`, following an email change's revert link. */
export const revertServices = (env: Record<string, string | undefined>): LinkServices => {
  const base = createBaseServices(parseConfig(env));
  const links = createRevertLinks(base.datastore, base.keys);
  return { ...base, links: createLinkFollowing({ revertLinks: links, audit: base.audit, now: base.now }) };
};

/** As `baseServices`, with account recovery. */
export const recoveryServices = (env: Record<string, string | undefined>): RecoveryServices => {
  const base = createBaseServices(parseConfig(env));
  return { ...base, ...recoveryTier(base, {}) };
};

/**
 * The exported handler of an API function: its services are built once per container from `process.env`
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
  const built = onceBuilt(build, create);
  if ('now' in built) return built.now;
  const { later } = built;
  return async (event, context) => {
    try {
      return await (await later())(event, context);
    } catch (error) {
      if (!(error instanceof ParametersUnavailableError)) throw error;
      // One line naming every parameter asked for and why, never a value.
      console.error(
        JSON.stringify({
          level: 'ERROR',
          message: 'SSM parameters unavailable',
          cause: error.reason,
          parameters: error.parameters,
        }),
      );
      const response = problemResponse(new ServiceUnavailableError(), context.awsRequestId);
      return { ...response, headers: { ...response.headers, 'X-Content-Type-Options': 'nosniff' } };
    }
  };
}

/**
 * The exported handler of a function that serves no route (the mail function, the admin
 * commands), built like
 * `lambdaHandler`'s. A failure — parameters unavailable included — throws, so that Lambda
 * retries the event and finally hands it to the on-failure destination.
 */
export function lambdaWorker<S, E, R = void>(
  build: (env: Record<string, string | undefined>) => S,
  create: (services: S) => (event: E) => Promise<R>,
): (event: E) => Promise<R> {
  const built = onceBuilt(build, create);
  if ('now' in built) return built.now;
  const { later } = built;
  return async (event) => (await later())(event);
}

/**
 * Builds `create(build(env))` once per container. With nothing to read from SSM it returns the
 * handler itself, built now; otherwise a function that awaits the (started, retried) build.
 */
function onceBuilt<S, H>(
  build: (env: Record<string, string | undefined>) => S,
  create: (services: S) => H,
): { now: H } | { later: () => Promise<H> } {
  if (parametersToFetch(process.env).length === 0) return { now: create(build(process.env)) };
  let ready: Promise<H> | undefined;
  const start = () => {
    ready ??= resolveParameters(process.env).then(
      (env) => create(build(env)),
      (error: unknown) => {
        ready = undefined;
        if (error instanceof ParametersUnavailableError) throw error;
        // A failure of our own (a bug, not SSM): named by its type, never its message.
        throw new ParametersUnavailableError(error instanceof Error ? error.name : 'unknown', [], 'unknown');
      },
    );
    return ready;
  };
  // Begin at import, in the init phase; a failure here is reported by the request that awaits it.
  start().catch(() => undefined);
  return { later: start };
}
