import type { AuditFields, AuditLog } from './audit';
import { clientKey } from './client-key';
import type { RateLimitRule } from './config';
import type { Datastore } from './datastore';
import { RateLimitedError } from './errors';
import { createFixedWindow } from './fixed-window';
import type { Keys } from './keys';
import type { LoginBackoff, LoginCeiling } from './records';

/**
 * Log-in back-off per (account, client IP or IPv6 /64) (docs/security.md): after 5 consecutive
 * failed log-ins, 2^(n−5) s, capped at 900 s. The counter outlives the longest back-off many
 * times over, then forgets (24 h). Kept by the log-in scripts themselves (see
 * `scripts.BEGIN_LOGIN`), atomically with the lookup.
 */
export const LOGIN_BACKOFF: LoginBackoff = { threshold: 5, capSeconds: 900, memorySeconds: 86_400 };

/**
 * The account-wide ceiling (NIST SP 800-63B §5.2.2: at most 100 consecutive failed attempts):
 * 100 failed log-ins per hour from all clients together, then 429 for everyone until the hour
 * that began with the first of them is over.
 */
export const LOGIN_CEILING: LoginCeiling = { limit: 100, windowMs: 3_600_000 };

/**
 * Per-user back-off of re-entered passwords (docs/security.md): the same curve on a counter of
 * its own, counted before Argon2 runs, so of 20 parallel guesses with a stolen token at most 5
 * reach it, and the owner's log-in is untouched.
 */
export const REAUTH_BACKOFF: LoginBackoff = { threshold: 5, capSeconds: 900, memorySeconds: 86_400 };

/**
 * The per-user ceiling over every session's re-entered passwords: the back-off above is kept per
 * session (a thief's guesses with one stolen token lock that session, not the owner's others), and
 * this bounds guesses spread over sessions: 20 per hour, whatever the session.
 */
export const REAUTH_CEILING: LoginCeiling = { limit: 20, windowMs: 3_600_000 };

/**
 * The account-wide cap on wrong TOTP codes at the log-in's second step (docs/security.md, changes from the
 * version 2 security review): 10 per hour, counted in mfa:<uid>; beyond it TOTP codes are refused
 * unchecked and only a recovery code or a passkey log-in gets in. docs/security.md has the odds.
 */
export const TOTP_WRONG_CODE_CAP: LoginCeiling = { limit: 10, windowMs: 3_600_000 };

/**
 * What a ceiling's 429 says in Retry-After: its whole window, never the current window's end,
 * which would tell an attacker when to renew a lock-out.
 */
export const CEILING_RETRY_AFTER_SECONDS = LOGIN_CEILING.windowMs / 1000;

/** Awaits a limit check; a refusal is audited (which limit, which client) before it becomes the 429. */
export async function auditedLimit(
  check: Promise<void>,
  audit: AuditLog,
  limit: NonNullable<AuditFields['limit']>,
  ip: string,
): Promise<void> {
  try {
    await check;
  } catch (error) {
    if (error instanceof RateLimitedError)
      audit.record('rate_limited', { ip, limit, retryAfterSeconds: error.retryAfterSeconds });
    throw error;
  }
}

/** The limits README "Configuration" names. Each `check…` throws `RateLimitedError` (429 with `Retry-After`) when over. */
export interface RateLimits {
  checkLoginIp(ip: string): Promise<void>;
  checkRegisterIp(ip: string): Promise<void>;
  /** Asking for mail (reset, a new verification link): per client IP. */
  checkResetIp(ip: string): Promise<void>;
  /** Email changes: per user and per client IP (each its own window of the same rule). */
  checkEmailChange(userId: string, ip: string): Promise<void>;
  /** Asking for a sign-in mail (`POST /sessions/email`): per client IP. */
  checkEmailSignInIp(ip: string): Promise<void>;
}

/** Mails to one address: a silent limit (the mail function skips the mail; nobody gets a 429). */
export interface MailLimit {
  /** Whether another mail may go to `address` now; counts it. */
  mayMail(address: string): Promise<boolean>;
}

// In a module of its own so that functions without a limiter (lib/oauth) use it without bundling one.
export { clientKey };

/** Seconds until `deadlineMs`, at least 1: a `Retry-After` of 0 would invite an immediate retry. */
export const secondsUntil = (deadlineMs: number, now: number): number =>
  Math.max(1, Math.ceil((deadlineMs - now) / 1000));

/**
 * Builds the limiters on the same datastore. They fail closed: when the datastore cannot be
 * reached the request gets 503, never an unlimited pass (the request needs the datastore anyway).
 */
export function createRateLimits(
  datastore: Datastore,
  keys: Keys,
  rules: {
    loginPerIp: RateLimitRule;
    registerPerIp: RateLimitRule;
    resetPerIp: RateLimitRule;
    emailChangePerUser: RateLimitRule;
    emailSignInPerIp: RateLimitRule;
  },
): RateLimits {
  const limiter = (name: string, rule: RateLimitRule, keyOf: (id: string) => string = clientKey) => {
    const count = createFixedWindow(datastore, keys.rateLimit(name), rule);
    return async (id: string) => {
      const result = await count(keyOf(id));
      if (!result.success) throw new RateLimitedError(secondsUntil(result.reset, Date.now()));
    };
  };
  return {
    checkLoginIp: limiter('login-ip', rules.loginPerIp),
    checkRegisterIp: limiter('register-ip', rules.registerPerIp),
    checkResetIp: limiter('reset-ip', rules.resetPerIp),
    checkEmailSignInIp: limiter('email-sign-in-ip', rules.emailSignInPerIp),
    checkEmailChange: (() => {
      const perUser = limiter('email-change-user', rules.emailChangePerUser, (userId) => userId);
      const perIp = limiter('email-change-ip', rules.emailChangePerUser);
      return async (userId: string, ip: string) => {
        await perUser(userId);
        await perIp(ip);
      };
    })(),
  };
}

/** The per-address mail limit, on the same datastore (the mail function's). */
export function createMailLimit(datastore: Datastore, keys: Keys, rule: RateLimitRule): MailLimit {
  const count = createFixedWindow(datastore, keys.rateLimit('mail-address'), rule);
  return {
    async mayMail(address) {
      return (await count(address)).success;
    },
  };
}
