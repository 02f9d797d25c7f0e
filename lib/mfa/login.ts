import type { KnownDevices } from '../accounts/known-devices';
import type { AuditLog } from '../audit';
import type { Config } from '../config';
import { MfaFailedError, RateLimitedError } from '../errors';
import type { ClientInfo } from '../http';
import type { MailQueue } from '../mail/queue';
import { signInJob } from '../notices/notices';
import {
  CEILING_RETRY_AFTER_SECONDS,
  LOGIN_BACKOFF,
  LOGIN_CEILING,
  secondsUntil,
  TOTP_WRONG_CODE_CAP,
} from '../rate-limits';
import type { User } from '../records';
import { createSessions } from '../sessions/service';
import { hashRefreshToken, mfaTokenLogin, type SessionTokens, type TokenService } from '../tokens';
import type { MfaLoginBody } from '../validation';
import type { MfaLoginStore, PresentedFactor } from './store';
import { decryptTotpSecret, recoveryCodeHashes, totpCodeStep } from './totp';

export interface MfaLoginDeps {
  logins: MfaLoginStore;
  tokens: TokenService;
  audit: AuditLog;
  knownDevices: KnownDevices;
  /** Where the owner's notice goes (a sign-in from a new device). */
  mail: MailQueue;
  settings: Pick<Config, 'totpEncryptionKey' | 'refreshTokenTtlSeconds'>;
  now: () => number;
}

/** Wrong codes an mfaToken survives (docs/security.md): the 6th attempt finds it dead. */
export const MFA_MAX_ATTEMPTS = 5;

export type MfaLogin = ReturnType<typeof createMfaLogin>;

/** The second step of a log-in that answered `mfa_required` (`POST /sessions/mfa`). */
export function createMfaLogin(deps: MfaLoginDeps) {
  const { logins: mfa, tokens, audit, knownDevices, settings, now } = deps;
  const sessions = createSessions({ tokens, settings });
  const key = settings.totpEncryptionKey;
  return {
    /**
     * Completes a log-in that answered `mfa_required`: a TOTP code (each time step once) or an
     * unused recovery code opens the session. The mfaToken dies after 5 attempts, at its first
     * success, or after 300 s; wrong codes count on the log-in back-off like wrong passwords, and
     * while that back-off runs, or the account-wide ceiling is reached, the step answers 429 without
     * spending the token's attempts (the per-IP log-in limit was met by the log-in that made the
     * token: no token exists without the right password). Past the account's cap of wrong TOTP codes
     * per hour only a recovery code gets in.
     */
    async completeLogin(
      body: MfaLoginBody,
      client: ClientInfo,
    ): Promise<{ user: User; session: SessionTokens; deviceToken: string }> {
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
      let factor: PresentedFactor = null;
      if (body.code !== undefined) {
        const secret = decryptTotpSecret(key, login.userId, login.secret);
        const step = secret ? totpCodeStep(secret, body.code, now()) : null;
        factor = step === null ? null : { step };
      } else if (body.recoveryCode !== undefined) {
        factor = { recoveryHashes: recoveryCodeHashes(key, login.userId, body.recoveryCode) };
      }
      const opened = sessions.open(login.userId, client);
      const result = await mfa.completeLogin(
        login,
        { totp: body.code !== undefined, factor },
        opened.record,
        { backoff: LOGIN_BACKOFF, ceiling: LOGIN_CEILING, totpCap: TOTP_WRONG_CODE_CAP },
        now(),
      );
      if (result.status === 'locked' || result.status === 'ceiling') {
        // The back-off of the client the log-in came from (its wrong passwords and codes), or the
        // account-wide ceiling (whose answer never names the end of its window).
        const retryAfterSeconds =
          result.status === 'locked' ? secondsUntil(result.lockedUntil, now()) : CEILING_RETRY_AFTER_SECONDS;
        const limit = result.status === 'locked' ? 'login_account' : 'login_account_ceiling';
        audit.record('rate_limited', { ip: client.ip, limit, retryAfterSeconds });
        throw new RateLimitedError(retryAfterSeconds);
      }
      if (result.status !== 'ok') {
        const reason = result.status === 'failed' ? result.reason : 'invalid_mfa_token';
        audit.record('mfa_failed', { userId: login.userId, ip: client.ip, reason });
        throw new MfaFailedError(reason === 'totp_capped');
      }
      audit.record('mfa_succeeded', { userId: login.userId, ip: client.ip, factor: result.used });
      audit.record('logged_in', { userId: login.userId, sessionId: opened.record.id, ip: client.ip });
      await deps.mail.enqueue(signInJob(login.userId, client));
      return {
        user: result.user,
        session: await opened.tokens({ method: 'mfa', user: result.user }),
        deviceToken: knownDevices.issue(login.userId),
      };
    },
  };
}
