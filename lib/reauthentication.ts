import type { AuditLog } from './audit';
import {
  CurrentPasswordIncorrectError,
  RateLimitedError,
  ReauthenticationRequiredError,
  UnauthorizedError,
  ValidationError,
} from './errors';
import type { PasswordHasher } from './passwords';
import { REAUTH_BACKOFF, secondsUntil } from './rate-limits';
import type { AuthenticatedUser, Caller, UserStore } from './users';

/**
 * Checks a signed-in caller's re-entered password. The attempt is counted on the user's own
 * re-authentication back-off before any hash is checked, atomically with the lock check (as
 * log-in does): of parallel guesses with a stolen access token only the first few reach Argon2,
 * and they cannot lock the owner out of log-in. The change that follows clears the count.
 *
 * `passwords` may be left out by a service whose function never re-enters a password (so its
 * bundle holds no Argon2); calling the check there is a wiring error.
 */
export function createPasswordCheck(deps: {
  users: Pick<UserStore, 'beginReauth'>;
  passwords?: Pick<PasswordHasher, 'verify'>;
  audit: AuditLog;
  settings: { reauthMaxAgeSeconds: number };
  now: () => number;
}) {
  const { users, passwords, audit, now } = deps;
  /**
   * An account without a password (made by a social sign-in, API.md) omits it: a session opened
   * within REAUTH_MAX_AGE_SECONDS stands in for it, else 403 `reauthentication_required`. Any
   * password it sends is wrong. An account with a password must send it (`field`).
   */
  return async (
    caller: Caller,
    password: string | undefined,
    field = 'currentPassword',
  ): Promise<AuthenticatedUser> => {
    if (!passwords) throw new Error('this function was built without a password hasher');
    const start = await users.beginReauth(caller, now(), REAUTH_BACKOFF);
    if (start.status === 'unauthorized') throw new UnauthorizedError(true);
    if (start.status === 'locked') {
      const retryAfterSeconds = secondsUntil(start.lockedUntil, now());
      audit.record('rate_limited', { userId: caller.userId, limit: 'reauth_account', retryAfterSeconds });
      throw new RateLimitedError(retryAfterSeconds);
    }
    if (start.user.passwordHash === '' && password === undefined) {
      if (start.sessionCreatedAt >= now() - deps.settings.reauthMaxAgeSeconds * 1000) return start.user;
      throw new ReauthenticationRequiredError();
    }
    if (password === undefined) throw new ValidationError([{ field, message: 'is required' }]);
    if (start.user.passwordHash !== '' && (await passwords.verify(start.user.passwordHash, password)))
      return start.user;
    audit.record('login_failed', {
      userId: caller.userId,
      sessionId: caller.sessionId,
      reason: 'wrong_current_password',
    });
    throw new CurrentPasswordIncorrectError();
  };
}
