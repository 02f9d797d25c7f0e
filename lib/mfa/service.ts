import type * as z from 'zod/mini';
import { createPasswordCheck } from '../accounts/reauthentication';
import type { UserStore } from '../accounts/store';
import type { AuditLog } from '../audit';
import type { Config } from '../config';
import { NotFoundError, problem, RateLimitedError, UnauthorizedError } from '../errors';
import type { MailQueue } from '../mail/queue';
import { noticeJob } from '../notices/notices';
import type { PasswordHasher } from '../passwords';
import { REAUTH_BACKOFF, secondsUntil } from '../rate-limits';
import type { Caller } from '../records';
import type * as resources from '../resources';
import type { CurrentFactorBody, CurrentPasswordBody, TotpCodeBody } from '../validation';
import type { MfaStore, PresentedFactor, UserWithFactor } from './store';
import {
  decryptTotpSecret,
  encryptTotpSecret,
  hashRecoveryCode,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUri,
  recoveryCodeHashes,
  totpCodeStep,
} from './totp';

export interface SecondFactorDeps {
  mfa: MfaStore;
  users: Pick<UserStore, 'beginReauth'>;
  /** Only where a password is re-entered (enrolling, turning off, new codes): it loads Argon2. */
  passwords?: PasswordHasher;
  audit: AuditLog;
  /** Where the owner's notices go (TOTP turned on or off). */
  mail: MailQueue;
  settings: Pick<Config, 'totpEncryptionKey' | 'reauthMaxAgeSeconds'> & { appName: string };
  now: () => number;
}

/** What `GET /users/me/security` answers (its schema in lib/resources.ts). */
export type Security = z.infer<typeof resources.Security>;

export type SecondFactor = ReturnType<typeof createSecondFactor>;

/**
 * Second factors (docs/security.md, second factors): TOTP enrollment, confirmation and removal, recovery
 * codes, and the security summary. The log-in's second step is lib/mfa/login.ts.
 */
export function createSecondFactor(deps: SecondFactorDeps) {
  const { mfa, audit, settings, now } = deps;
  const requirePassword = createPasswordCheck(deps);
  const requirePasswordAndFactor = createPasswordCheck<UserWithFactor>({
    ...deps,
    begin: (caller, at, limits) => mfa.beginReauthWithFactor(caller, at, limits),
  });
  const key = settings.totpEncryptionKey;
  const newCodes = (userId: string) => {
    const codes = newRecoveryCodes();
    return { codes, hashes: codes.map((code) => hashRecoveryCode(key, userId, code)) };
  };
  /** The factor presented beside the password: a code's step (if right), or a recovery code's hashes. */
  const presentedFactor = (user: UserWithFactor, body: CurrentFactorBody): PresentedFactor => {
    if (body.recoveryCode !== undefined)
      return { recoveryHashes: recoveryCodeHashes(key, user.id, body.recoveryCode) };
    const secret = user.factor.secret && decryptTotpSecret(key, user.id, user.factor.secret);
    const step = secret && body.code !== undefined ? totpCodeStep(secret, body.code, now()) : null;
    return step === null ? null : { step };
  };
  /** The answer to a change after a re-entered password that did not go through. */
  const refused = (
    status: 'unauthorized' | 'stale' | 'not_found' | 'already_enabled' | 'unverified' | 'factor_invalid',
  ) => {
    if (status === 'stale') return problem('current_password_incorrect');
    if (status === 'not_found') return new NotFoundError('TOTP is not on for this account.');
    if (status === 'already_enabled') return problem('totp_already_enabled');
    if (status === 'unverified') return problem('email_not_verified');
    if (status === 'factor_invalid') return problem('totp_code_invalid');
    return new UnauthorizedError(true);
  };

  return {
    /** Starts enrolling an authenticator: a new secret, pending until a first code confirms it. */
    async startTotp(
      caller: Caller,
      body: CurrentPasswordBody,
    ): Promise<{ secret: string; otpauthUri: string }> {
      const user = await requirePassword(caller, body.currentPassword);
      const secret = newTotpSecret();
      const status = await mfa.enroll(
        caller,
        user.passwordHash,
        encryptTotpSecret(key, caller.userId, secret),
        now(),
      );
      if (status !== 'ok') throw refused(status);
      audit.record('totp_enrollment_started', { userId: caller.userId, sessionId: caller.sessionId });
      return { secret, otpauthUri: otpauthUri(secret, settings.appName, user.email) };
    },

    /**
     * Confirms the pending enrollment with a first code: TOTP is on; the recovery codes, shown once.
     * Only the session that started the enrollment, within 10 minutes; each attempt is counted on
     * the session's re-authentication back-off before the code is checked.
     */
    async confirmTotp(caller: Caller, body: TotpCodeBody): Promise<{ recoveryCodes: string[] }> {
      const start = await mfa.beginConfirm(caller, REAUTH_BACKOFF, now());
      if (start.status === 'unauthorized') throw new UnauthorizedError(true);
      if (start.status === 'not_pending') throw problem('totp_not_pending');
      if (start.status === 'locked') {
        const retryAfterSeconds = secondsUntil(start.lockedUntil, now());
        audit.record('rate_limited', { userId: caller.userId, limit: 'reauth_session', retryAfterSeconds });
        throw new RateLimitedError(retryAfterSeconds);
      }
      const secret = decryptTotpSecret(key, caller.userId, start.pending);
      if (!secret) throw problem('totp_not_pending');
      const step = totpCodeStep(secret, body.code, now());
      if (step === null) throw problem('totp_code_invalid');
      const { codes, hashes } = newCodes(caller.userId);
      const status = await mfa.confirm(caller, start.pending, step, hashes, now());
      if (status === 'unauthorized') throw new UnauthorizedError(true);
      if (status === 'unverified') throw problem('email_not_verified');
      if (status === 'not_pending') throw problem('totp_not_pending');
      audit.record('totp_enabled', { userId: caller.userId, sessionId: caller.sessionId });
      await deps.mail.enqueue(noticeJob(caller.userId, 'totp-enabled'));
      return { recoveryCodes: codes };
    },

    /**
     * Turns TOTP off (a pending enrollment too); the recovery codes die with it. With TOTP on, the
     * current code or a recovery code is needed besides the password: a stolen password and session
     * alone cannot take the factor away.
     */
    async disableTotp(caller: Caller, body: CurrentFactorBody): Promise<void> {
      const user = await requirePasswordAndFactor(caller, body.currentPassword);
      const status = await mfa.disable(caller, user.passwordHash, presentedFactor(user, body), now());
      if (status !== 'ok') throw refused(status);
      audit.record('totp_disabled', { userId: caller.userId, sessionId: caller.sessionId });
      await deps.mail.enqueue(noticeJob(caller.userId, 'totp-disabled'));
    },

    /** A new set of recovery codes (the password and the current code or a recovery code); the old set dies. */
    async renewRecoveryCodes(caller: Caller, body: CurrentFactorBody): Promise<{ recoveryCodes: string[] }> {
      const user = await requirePasswordAndFactor(caller, body.currentPassword);
      const { codes, hashes } = newCodes(caller.userId);
      const status = await mfa.renewRecoveryCodes(
        caller,
        user.passwordHash,
        presentedFactor(user, body),
        hashes,
        now(),
      );
      if (status !== 'ok') throw refused(status);
      audit.record('recovery_codes_renewed', { userId: caller.userId, sessionId: caller.sessionId });
      return { recoveryCodes: codes };
    },

    /** What a settings page shows: which factors are on. */
    async security(caller: Caller): Promise<Security> {
      const state = await mfa.state(caller, now());
      if (!state) throw new UnauthorizedError(true);
      return {
        totp: {
          enabled: state.secret !== null,
          enabledAt: state.enabledAt === null ? null : new Date(state.enabledAt).toISOString(),
        },
        recoveryCodesLeft: state.secret === null ? 0 : state.recoveryCodesLeft,
        passkeys: state.passkeys,
      };
    },
  };
}
