import type { AuditLog } from '../audit';
import { problem, RateLimitedError, UnauthorizedError, ValidationError, wired } from '../errors';
import type { PasswordHasher } from '../passwords';
import { CEILING_RETRY_AFTER_SECONDS, REAUTH_BACKOFF, REAUTH_CEILING, secondsUntil } from '../rate-limits';
import type { AuthenticatedUser, Caller, ReauthLimits, ReauthStart, UserStore } from './store';

/** The limits every re-entered password is counted on. */
export const REAUTH_LIMITS: ReauthLimits = { backoff: REAUTH_BACKOFF, ceiling: REAUTH_CEILING };

/**
 * Checks a signed-in caller's re-entered password. The attempt is counted on the session's own
 * re-authentication back-off (and the user's ceiling) before any hash is checked, atomically with
 * the lock check (as log-in does): of parallel guesses with a stolen access token only the first
 * few reach Argon2, they lock that session only (the ceiling aside), and they cannot lock the owner
 * out of log-in. The change that follows clears the count.
 *
 * `begin` is the script that starts it (the user store's, or one that also reads the second
 * factor). `passwords` may be left out by a service whose function never re-enters a password (so
 * its bundle holds no Argon2); calling the check there is a wiring error.
 */
export function createPasswordCheck<U extends AuthenticatedUser = AuthenticatedUser>(deps: {
  users: Pick<UserStore, 'beginReauth'>;
  passwords?: Pick<PasswordHasher, 'verify'>;
  audit: AuditLog;
  settings: { reauthMaxAgeSeconds: number };
  now: () => number;
  begin?: (caller: Caller, now: number, limits: ReauthLimits) => Promise<ReauthStart<U>>;
}) {
  const { users, passwords, audit, now } = deps;
  const begin =
    deps.begin ??
    ((caller: Caller, at: number, limits: ReauthLimits) =>
      users.beginReauth(caller, at, limits) as Promise<ReauthStart<U>>);
  /**
   * An account without a password (made by a social or email sign-in, README "API") omits it: a session
   * opened within REAUTH_MAX_AGE_SECONDS stands in for it, else 403 `reauthentication_required`.
   * Any password it sends is wrong. An account with a password must send it (`field`).
   */
  return async (caller: Caller, password: string | undefined, field = 'currentPassword'): Promise<U> => {
    const hasher = wired(passwords, 'a password hasher');
    const start = await begin(caller, now(), REAUTH_LIMITS);
    if (start.status === 'unauthorized') throw new UnauthorizedError(true);
    if (start.status === 'locked' || start.status === 'ceiling') {
      const retryAfterSeconds =
        start.status === 'locked' ? secondsUntil(start.lockedUntil, now()) : CEILING_RETRY_AFTER_SECONDS;
      const limit = start.status === 'locked' ? 'reauth_session' : 'reauth_account_ceiling';
      audit.record('rate_limited', { userId: caller.userId, limit, retryAfterSeconds });
      throw new RateLimitedError(retryAfterSeconds);
    }
    if (start.user.passwordHash === '' && password === undefined) {
      if (start.sessionCreatedAt >= now() - deps.settings.reauthMaxAgeSeconds * 1000) return start.user;
      throw problem('reauthentication_required');
    }
    if (password === undefined) throw new ValidationError([{ field, message: 'is required' }]);
    if (start.user.passwordHash !== '' && (await hasher.verify(start.user.passwordHash, password)))
      return start.user;
    audit.record('login_failed', {
      userId: caller.userId,
      sessionId: caller.sessionId,
      reason: 'wrong_current_password',
    });
    throw problem('current_password_incorrect');
  };
}
