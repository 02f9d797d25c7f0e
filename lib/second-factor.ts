import type { AuditLog } from './audit';
import type { Config } from './config';
import {
  CurrentPasswordIncorrectError,
  MfaFailedError,
  NotFoundError,
  RateLimitedError,
  TotpAlreadyEnabledError,
  TotpCodeInvalidError,
  TotpNotPendingError,
  UnauthorizedError,
} from './errors';
import type { ClientInfo } from './http';
import type { MfaStore } from './mfa';
import type { PasswordHasher } from './passwords';
import { LOGIN_BACKOFF, secondsUntil } from './rate-limits';
import { createPasswordCheck } from './reauthentication';
import { newSession } from './sessions';
import { hashRefreshToken, mfaTokenLogin, type SessionTokens, type TokenService } from './tokens';
import {
  decryptTotpSecret,
  encryptTotpSecret,
  hashRecoveryCode,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUri,
  totpCodeStep,
} from './totp';
import type { Caller, User, UserStore } from './users';
import type { CurrentPasswordBody, MfaLoginBody, TotpCodeBody } from './validation';

export interface SecondFactorDeps {
  mfa: MfaStore;
  users: UserStore;
  /** Only where a password is re-entered (enrolling, turning off, new codes): it loads Argon2. */
  passwords?: PasswordHasher;
  tokens: TokenService;
  audit: AuditLog;
  settings: Pick<Config, 'totpEncryptionKey' | 'refreshTokenTtlSeconds'> & { appName: string };
  now: () => number;
}

/** Wrong codes an mfaToken survives (API.md): the 6th attempt finds it dead. */
export const MFA_MAX_ATTEMPTS = 5;

/** What `GET /users/me/security` answers. */
export interface Security {
  totp: { enabled: boolean; enabledAt: string | null };
  recoveryCodesLeft: number;
  passkeys: number;
}

export type SecondFactor = ReturnType<typeof createSecondFactor>;

/**
 * Second factors (API.md "Second factors"): TOTP enrollment, confirmation and removal, recovery
 * codes, the security summary, and the log-in step that completes a password log-in.
 */
export function createSecondFactor(deps: SecondFactorDeps) {
  const { mfa, tokens, audit, settings, now } = deps;
  const { passwords } = deps;
  const requirePassword = passwords
    ? createPasswordCheck({ ...deps, passwords })
    : () => {
        throw new Error('second factor: this function was built without a password hasher');
      };
  const key = settings.totpEncryptionKey;
  const newCodes = () => {
    const codes = newRecoveryCodes();
    return { codes, hashes: codes.map(hashRecoveryCode) };
  };
  /** The answer to a change after a re-entered password that did not go through. */
  const refused = (status: 'unauthorized' | 'stale' | 'not_found' | 'already_enabled') => {
    if (status === 'stale') return new CurrentPasswordIncorrectError();
    if (status === 'not_found') return new NotFoundError('TOTP is not on for this account.');
    if (status === 'already_enabled') return new TotpAlreadyEnabledError();
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

    /** Confirms the pending enrollment with a first code: TOTP is on; the recovery codes, shown once. */
    async confirmTotp(caller: Caller, body: TotpCodeBody): Promise<{ recoveryCodes: string[] }> {
      const state = await mfa.state(caller, now());
      if (!state) throw new UnauthorizedError(true);
      if (!state.pending) throw new TotpNotPendingError();
      const secret = decryptTotpSecret(key, caller.userId, state.pending);
      if (!secret) throw new TotpNotPendingError();
      const step = totpCodeStep(secret, body.code, now());
      if (step === null) throw new TotpCodeInvalidError();
      const { codes, hashes } = newCodes();
      const status = await mfa.confirm(caller, state.pending, step, hashes, now());
      if (status === 'unauthorized') throw new UnauthorizedError(true);
      if (status === 'not_pending') throw new TotpNotPendingError();
      audit.record('totp_enabled', { userId: caller.userId, sessionId: caller.sessionId });
      return { recoveryCodes: codes };
    },

    /** Turns TOTP off (a pending enrollment too); the recovery codes die with it. */
    async disableTotp(caller: Caller, body: CurrentPasswordBody): Promise<void> {
      const user = await requirePassword(caller, body.currentPassword);
      const status = await mfa.disable(caller, user.passwordHash, now());
      if (status !== 'ok') throw refused(status);
      audit.record('totp_disabled', { userId: caller.userId, sessionId: caller.sessionId });
    },

    /** A new set of recovery codes; the old set dies. */
    async renewRecoveryCodes(
      caller: Caller,
      body: CurrentPasswordBody,
    ): Promise<{ recoveryCodes: string[] }> {
      const user = await requirePassword(caller, body.currentPassword);
      const { codes, hashes } = newCodes();
      const status = await mfa.renewRecoveryCodes(caller, user.passwordHash, hashes, now());
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

    /**
     * Completes a log-in that answered `mfa_required`: a TOTP code (each time step once) or an
     * unused recovery code opens the session. The mfaToken dies after 5 attempts, at its first
     * success, or after 300 s; wrong codes count on the log-in back-off like wrong passwords, and
     * while that back-off runs the step answers 429 (the per-IP log-in limit was met by the log-in
     * that made the token: no token exists without the right password).
     */
    async completeLogin(
      body: MfaLoginBody,
      client: ClientInfo,
    ): Promise<{ user: User; session: SessionTokens }> {
      const named = mfaTokenLogin(body.mfaToken);
      const login = named
        ? await mfa.beginLogin({ ...named, hash: hashRefreshToken(body.mfaToken) }, MFA_MAX_ATTEMPTS, now())
        : null;
      if (!login) {
        audit.record('mfa_failed', {
          userId: named?.userId ?? null,
          ip: client.ip,
          reason: 'invalid_mfa_token',
        });
        throw new MfaFailedError();
      }
      let factor: { step: number } | { recoveryHash: string } | null = null;
      if (body.code !== undefined) {
        const secret = decryptTotpSecret(key, login.userId, login.secret);
        const step = secret ? totpCodeStep(secret, body.code, now()) : null;
        factor = step === null ? null : { step };
      } else if (body.recoveryCode !== undefined) {
        factor = { recoveryHash: hashRecoveryCode(body.recoveryCode) };
      }
      const opened = newSession(login.userId, client, settings.refreshTokenTtlSeconds * 1000);
      const result = await mfa.completeLogin(login, factor, opened.record, LOGIN_BACKOFF, now());
      if (result.status === 'locked') {
        // The back-off of the client the log-in came from (its wrong passwords and codes).
        const retryAfterSeconds = secondsUntil(result.lockedUntil, now());
        audit.record('rate_limited', { ip: client.ip, limit: 'login_account', retryAfterSeconds });
        throw new RateLimitedError(retryAfterSeconds);
      }
      if (result.status !== 'ok') {
        const reason = result.status === 'failed' ? result.reason : 'invalid_mfa_token';
        audit.record('mfa_failed', { userId: login.userId, ip: client.ip, reason });
        throw new MfaFailedError();
      }
      audit.record('mfa_succeeded', { userId: login.userId, ip: client.ip, factor: result.used });
      audit.record('logged_in', { userId: login.userId, sessionId: opened.record.id, ip: client.ip });
      return {
        user: result.user,
        session: await tokens.issueSession(login.userId, opened.record.id, opened.refreshToken),
      };
    },
  };
}
