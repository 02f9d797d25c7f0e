import type { AuditLog } from './audit';
import type { Config } from './config';
import {
  CurrentPasswordIncorrectError,
  EmailTakenError,
  InvalidCredentialsError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from './errors';
import type { ClientInfo } from './http';
import { checkPasswordPolicy, type PasswordHasher } from './passwords';
import { LOGIN_BACKOFF, type RateLimits, secondsUntil } from './rate-limits';
import { hashRefreshToken, newId, newRefreshToken, type SessionTokens, type TokenService } from './tokens';
import {
  type AuthenticatedUser,
  type Caller,
  type NewSession,
  toPublicUser,
  type User,
  type UserStore,
} from './users';
import type {
  ChangePasswordBody,
  DeleteAccountBody,
  LoginBody,
  RegisterBody,
  UpdateProfileBody,
} from './validation';

export interface AccountDeps {
  users: UserStore;
  passwords: PasswordHasher;
  tokens: TokenService;
  rateLimits: RateLimits;
  audit: AuditLog;
  settings: Pick<Config, 'refreshTokenTtlSeconds' | 'passwordMinLength'>;
  now: () => number;
}

/**
 * The account service: every operation that needs a password (Argon2) or a rate limit, and
 * nothing about HTTP. Operations on a token already held live in `access.ts`.
 */
export type Accounts = ReturnType<typeof createAccounts>;

const USER_AGENT_MAX = 256;

/** Builds the account service from its stores and collaborators. */
export function createAccounts(deps: AccountDeps) {
  const { users, passwords, tokens, rateLimits, audit, settings, now } = deps;
  const refreshTtlMs = settings.refreshTokenTtlSeconds * 1000;

  const newSession = (client: ClientInfo): { refreshToken: string; record: NewSession } => {
    const refreshToken = newRefreshToken();
    return {
      refreshToken,
      record: {
        id: newId('ses'),
        refreshHash: hashRefreshToken(refreshToken),
        ttlMs: refreshTtlMs,
        userAgent: client.userAgent.slice(0, USER_AGENT_MAX),
      },
    };
  };

  const refusePassword = (field: string, password: string, owner: { email: string; name: string }) => {
    const problem = checkPasswordPolicy(password, { minLength: settings.passwordMinLength, ...owner });
    if (problem) throw new ValidationError([{ field, message: problem }]);
  };

  /** The caller's stored user, with a fresh session check; 401 when the session is gone. */
  const requireUser = async (caller: Caller) => {
    const user = await users.authenticate(caller, now());
    if (!user) throw new UnauthorizedError(true);
    return user;
  };

  /** Awaits a per-IP limit check; a refusal is audited before it becomes the 429. */
  const withinLimit = async (check: Promise<void>, limit: 'login_ip' | 'register_ip', client: ClientInfo) => {
    try {
      await check;
    } catch (error) {
      if (error instanceof RateLimitedError) {
        audit.record('rate_limited', { ip: client.ip, limit, retryAfterSeconds: error.retryAfterSeconds });
      }
      throw error;
    }
  };

  /**
   * Checks the caller's current password. Wrong ones count towards the same per-account back-off
   * as log-in, and a locked account is refused before any hash is checked: a stolen access token
   * must not become a way to guess the password.
   */
  const requirePassword = async (caller: Caller, user: AuthenticatedUser, password: string) => {
    if (user.lockedUntil > now()) {
      const retryAfterSeconds = secondsUntil(user.lockedUntil, now());
      audit.record('rate_limited', { userId: user.id, limit: 'login_account', retryAfterSeconds });
      throw new RateLimitedError(retryAfterSeconds);
    }
    if (await passwords.verify(user.passwordHash, password)) return;
    await users.recordPasswordFailure(user.email, now(), LOGIN_BACKOFF);
    audit.record('login_failed', {
      userId: user.id,
      sessionId: caller.sessionId,
      reason: 'wrong_current_password',
    });
    throw new CurrentPasswordIncorrectError();
  };

  return {
    /** Creates the account and logs it in. 409 when the email is taken (a deliberate, documented disclosure). */
    async register(body: RegisterBody, client: ClientInfo): Promise<{ user: User; session: SessionTokens }> {
      refusePassword('password', body.password, body);
      await withinLimit(rateLimits.checkRegisterIp(client.ip), 'register_ip', client);
      const at = now();
      const user = {
        id: newId('usr'),
        name: body.name,
        email: body.email,
        passwordHash: await passwords.hash(body.password),
        createdAt: at,
        updatedAt: at,
      };
      const { refreshToken, record } = newSession(client);
      if ((await users.register(user, record)) === 'email_taken') throw new EmailTakenError();
      audit.record('registered', { userId: user.id, sessionId: record.id, ip: client.ip });
      return {
        user: toPublicUser(user),
        session: await tokens.issueSession(user.id, record.id, refreshToken),
      };
    },

    /**
     * Logs in. Unknown email and wrong password are indistinguishable: same error, and a dummy
     * Argon2 verification keeps the timing alike. Failures count towards the account's back-off.
     */
    async login(body: LoginBody, client: ClientInfo): Promise<{ user: User; session: SessionTokens }> {
      await withinLimit(rateLimits.checkLoginIp(client.ip), 'login_ip', client);
      const start = await users.beginLogin(body.email, now(), LOGIN_BACKOFF);
      if (start.status === 'locked') {
        const retryAfterSeconds = secondsUntil(start.lockedUntil, now());
        audit.record('rate_limited', { ip: client.ip, limit: 'login_account', retryAfterSeconds });
        throw new RateLimitedError(retryAfterSeconds);
      }
      const { user } = start;
      // The attempt is already counted as a failure (BEGIN_LOGIN); a success clears it.
      const fail = (reason: 'unknown_email' | 'wrong_password' | 'password_changed_concurrently') => {
        audit.record('login_failed', { userId: user?.id ?? null, ip: client.ip, reason });
        return new InvalidCredentialsError();
      };
      if (!user) {
        await passwords.verifyDummy(body.password);
        throw fail('unknown_email');
      }
      if (!(await passwords.verify(user.passwordHash, body.password))) throw fail('wrong_password');
      // Transparent upgrade: a hash made with older parameters is replaced now that we know the password.
      const newHash = passwords.needsRehash(user.passwordHash) ? await passwords.hash(body.password) : null;
      const { refreshToken, record } = newSession(client);
      const opened = await users.openSession(user, user.passwordHash, newHash, record, now());
      if (!opened) throw fail('password_changed_concurrently');
      audit.record('logged_in', { userId: user.id, sessionId: record.id, ip: client.ip });
      return { user: opened, session: await tokens.issueSession(user.id, record.id, refreshToken) };
    },

    /** Merge-patches name and/or email; an email change needs the current password and a free email. */
    async updateProfile(caller: Caller, body: UpdateProfileBody): Promise<{ user: User }> {
      let verifiedHash: string | undefined;
      if (body.currentPassword !== undefined) {
        const user = await requireUser(caller);
        await requirePassword(caller, user, body.currentPassword);
        verifiedHash = user.passwordHash;
      }
      const result = await users.updateProfile(
        caller,
        { name: body.name, email: body.email, verifiedHash },
        now(),
      );
      if (result.status === 'ok') return { user: result.value };
      if (result.status === 'email_taken') throw new EmailTakenError();
      if (result.status === 'stale') throw new CurrentPasswordIncorrectError();
      throw new UnauthorizedError(true);
    },

    /** Changes the password and revokes every other session of the user, atomically. */
    async changePassword(caller: Caller, body: ChangePasswordBody): Promise<void> {
      const user = await requireUser(caller);
      refusePassword('newPassword', body.newPassword, user);
      await requirePassword(caller, user, body.currentPassword);
      const result = await users.changePassword(
        caller,
        user.passwordHash,
        await passwords.hash(body.newPassword),
        now(),
      );
      if (result.status === 'stale') throw new CurrentPasswordIncorrectError();
      if (result.status !== 'ok') throw new UnauthorizedError(true);
      audit.record('password_changed', {
        userId: caller.userId,
        sessionId: caller.sessionId,
        revokedSessions: result.value,
      });
    },

    /** Deletes the account: user, email and every session, atomically. */
    async deleteAccount(caller: Caller, body: DeleteAccountBody): Promise<void> {
      const user = await requireUser(caller);
      await requirePassword(caller, user, body.password);
      const result = await users.deleteAccount(caller, user.passwordHash, now());
      if (result.status === 'stale') throw new CurrentPasswordIncorrectError();
      if (result.status !== 'ok') throw new UnauthorizedError(true);
      audit.record('account_deleted', { userId: caller.userId, revokedSessions: result.value });
    },
  };
}
