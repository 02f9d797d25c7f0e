import type { AuditLog } from './audit';
import type { Config } from './config';
import { MfaFailedError, RateLimitedError } from './errors';
import type { ClientInfo } from './http';
import type { MailQueue } from './mail-queue';
import type { MfaLoginStore } from './mfa';
import { signInJob } from './notices/notices';
import { LOGIN_BACKOFF, secondsUntil } from './rate-limits';
import { newSession } from './sessions';
import { hashRefreshToken, mfaTokenLogin, type SessionTokens, type TokenService } from './tokens';
import { decryptTotpSecret, hashRecoveryCode, totpCodeStep } from './totp';
import type { User } from './users';
import type { MfaLoginBody } from './validation';

export interface MfaLoginDeps {
  logins: MfaLoginStore;
  tokens: TokenService;
  audit: AuditLog;
  /** Where the owner's notice goes (a sign-in from a new device). */
  mail?: MailQueue;
  settings: Pick<Config, 'totpEncryptionKey' | 'refreshTokenTtlSeconds'>;
  now: () => number;
}

/** Wrong codes an mfaToken survives (API.md): the 6th attempt finds it dead. */
export const MFA_MAX_ATTEMPTS = 5;

export type MfaLogin = ReturnType<typeof createMfaLogin>;

/** The second step of a log-in that answered `mfa_required` (`POST /sessions/mfa`). */
export function createMfaLogin(deps: MfaLoginDeps) {
  const { logins: mfa, tokens, audit, settings, now } = deps;
  const key = settings.totpEncryptionKey;
  return {
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
      await deps.mail?.enqueue(signInJob(login.userId, client, true));
      return {
        user: result.user,
        session: await tokens.issueSession(login.userId, opened.record.id, opened.refreshToken),
      };
    },
  };
}
