import { createAccess } from './access';
import { createKnownDevices } from './accounts/known-devices';
import { createAccounts } from './accounts/service';
import { createReauthStore, createUserStore } from './accounts/store';
import type { AuditLog } from './audit';
import { customClaimsFor } from './hooks/custom-claims';
import type { ClientInfo } from './http';
import { createLambdaMailQueue, type MailQueue } from './mail/queue';
import { createMfaLogin } from './mfa/login';
import { createSecondFactor } from './mfa/service';
import { createMfaLoginStore, createMfaStore } from './mfa/store';
import {
  createPasskeyLogIn,
  createPasskeyRegistration,
  type PasskeyCeremonyDeps,
  type PasskeyLogIn,
  type PasskeyRegistration,
} from './passkeys/ceremonies';
import { createPasskeys } from './passkeys/service';
import { createPasswordHasher, type PasswordHasher } from './passwords';
import { auditedLimit, createRateLimits, type RateLimits } from './rate-limits';
import { createPasswordReset, createRecovery } from './recovery/service';
import { createResetLinks } from './recovery/store';
import type { AccessServices, BaseServices, ServiceOverrides, Services } from './services';
import type { SessionStore } from './sessions/store';
import { type AccessTokenSigner, signAccessToken } from './tokens';

// The tiers the composition root (lib/services.ts) and the per-function builders put together.
/**
 * The passkey ceremonies' verification (lib/passkeys/verifier.ts: only the two functions that
 * verify a response carry it), one half per function: adding a passkey (`registrationTier`),
 * logging in with one (`passkeyLogInTier`, with the per-IP log-in limit).
 */
function ceremonyDeps(
  base: BaseServices,
  overrides: ServiceOverrides,
  limitLogin?: (client: ClientInfo) => Promise<void>,
): PasskeyCeremonyDeps {
  return {
    datastore: base.datastore,
    keys: base.keys,
    ...(limitLogin ? { limitLogin } : {}),
    tokens: base.tokens,
    audit: base.audit,
    mail: mailQueueOf(base, overrides),
    settings: base.config,
    now: base.now,
  };
}

/** Adding a passkey: the registration ceremony's second half, on the first tier. */
export const registrationTier = (
  base: BaseServices,
  overrides: ServiceOverrides = {},
): { ceremonies: PasskeyRegistration } => ({
  ceremonies: createPasskeyRegistration(ceremonyDeps(base, overrides)),
});

/** Logging in with a passkey: the authentication ceremony's second half, with the per-IP log-in limit. */
export const passkeyLogInTier = (
  base: BaseServices,
  limitLogin: (client: ClientInfo) => Promise<void>,
  overrides: ServiceOverrides = {},
): { ceremonies: PasskeyLogIn } => ({
  ceremonies: createPasskeyLogIn(ceremonyDeps(base, overrides, limitLogin)),
});

/**
 * The access service (lib/access.ts), on the first tier, with the parts of the session store the
 * function uses: the reading and ending functions have the list store, refresh the rotation alone.
 */
export function accessTier(
  base: BaseServices,
  sessions: Partial<SessionStore>,
): Pick<AccessServices, 'access'> {
  return {
    access: createAccess({
      users: base.users,
      sessions,
      tokens: base.tokens,
      audit: base.audit,
      refreshTokenTtlSeconds: base.config.refreshTokenTtlSeconds,
      refreshReuseGraceSeconds: base.config.refreshReuseGraceSeconds,
      now: base.now,
    }),
  };
}

/** The per-IP log-in limit, audited, as a passkey log-in checks it. */
export const loginLimit =
  (base: BaseServices, rateLimits: RateLimits) =>
  (client: ClientInfo): Promise<void> =>
    auditedLimit(rateLimits.checkLoginIp(client.ip), base.audit, 'login_ip', client.ip);

/**
 * Passkeys, on the first tier: `passwords` only where one is re-entered (deleting a passkey),
 * `limitLogin` only where a passkey logs in.
 */
export function passkeyTier(
  base: BaseServices,
  extras: { passwords?: PasswordHasher; limitLogin?: (client: ClientInfo) => Promise<void> } = {},
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
export function secondFactorTier(
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
export function mfaLoginTier(
  base: BaseServices,
  overrides: ServiceOverrides = {},
): Pick<Services, 'mfaLogin'> {
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

/**
 * The account operations, on the first tier (log-in, register, profile and password changes).
 * `hashesOften`: most requests hash or verify a password (not the profile's: `createPasswordHasher`).
 */
export function accountsTier(
  base: BaseServices,
  overrides: ServiceOverrides,
  hashesOften = true,
): Pick<Services, 'accounts'> {
  const { config } = base;
  return {
    accounts: createAccounts({
      users: createUserStore(base.datastore, base.keys),
      passwords: createPasswordHasher(config.argon2, hashesOften),
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
export function recoveryTier(base: BaseServices, overrides: ServiceOverrides): Pick<Services, 'recovery'> {
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
export function resetTier(base: BaseServices, overrides: ServiceOverrides = {}): Pick<Services, 'reset'> {
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
export function neverFailing(queue: MailQueue, audit: AuditLog): MailQueue {
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

/**
 * What a function that issues sessions hands its base services: the access token signer and the
 * claims hook's builder (lib/hooks/). Elsewhere neither is bundled, and issuing is a `WiringError`.
 */
export interface SessionIssuing {
  sign: AccessTokenSigner;
  claimsHook: typeof customClaimsFor;
}

/** The signer and the claims hook, for the builders of functions that issue sessions. */
export const sessionIssuing: SessionIssuing = { sign: signAccessToken, claimsHook: customClaimsFor };
