import type { AuditLog } from '../audit';
import type { Config } from '../config';
import { MfaRequiredError, problem, RateLimitedError, UnauthorizedError } from '../errors';
import type { ClientInfo } from '../http';
import type { MailQueue } from '../mail/queue';
import { deviceOfClient, noticeJob, signInJob } from '../notices/notices';
import { type PasswordHasher, requirePasswordPolicy } from '../passwords';
import {
  auditedLimit,
  CEILING_RETRY_AFTER_SECONDS,
  clientKey,
  LOGIN_BACKOFF,
  LOGIN_CEILING,
  type RateLimits,
  secondsUntil,
} from '../rate-limits';
import { createSessions } from '../sessions/service';
import { hashRefreshToken, newId, newMfaToken, type SessionTokens, type TokenService } from '../tokens';
import type {
  ChangePasswordBody,
  DeleteAccountBody,
  LoginBody,
  RegisterBody,
  UpdateProfileBody,
} from '../validation';
import type { KnownDevices } from './known-devices';
import { createPasswordCheck } from './reauthentication';
import { type Caller, toPublicUser, type User, type UserStore } from './store';

export interface AccountDeps {
  users: UserStore;
  passwords: PasswordHasher;
  tokens: TokenService;
  rateLimits: RateLimits;
  /** Where mail jobs go (the mail function); a request never waits for a mail to be sent. */
  mail: MailQueue;
  audit: AuditLog;
  knownDevices: KnownDevices;
  settings: Pick<
    Config,
    'refreshTokenTtlSeconds' | 'passwordMinLength' | 'requireVerifiedEmail' | 'reauthMaxAgeSeconds'
  >;
  now: () => number;
}

/**
 * The account service: every operation that needs a password (Argon2) or a rate limit, and
 * nothing about HTTP. Operations on a token already held live in `access.ts`.
 */
export type Accounts = ReturnType<typeof createAccounts>;

/** How long a log-in waits for its second factor (docs/security.md: the mfaToken lives 300 s). */
export const MFA_LOGIN_TTL_MS = 300_000;

/** Builds the account service from its stores and collaborators. */
export function createAccounts(deps: AccountDeps) {
  const { users, passwords, tokens, rateLimits, mail, audit, knownDevices, settings, now } = deps;
  const sessions = createSessions({ tokens, settings });
  const refusePassword = (field: string, password: string, owner: { email: string; name: string }) =>
    requirePasswordPolicy(field, password, { minLength: settings.passwordMinLength, ...owner });

  const withinLimit = (
    check: Promise<void>,
    limit: 'login_ip' | 'register_ip' | 'email_change',
    client: ClientInfo,
  ) => auditedLimit(check, audit, limit, client.ip);

  const requirePassword = createPasswordCheck({ users, passwords, audit, settings, now });

  return {
    /**
     * Creates the account, mails a verification link, and logs it in — unless
     * REQUIRE_VERIFIED_EMAIL, then no session until the address is proved. 409 when the email is
     * taken (a deliberate, documented disclosure).
     */
    async register(body: RegisterBody, client: ClientInfo): Promise<{ user: User; session?: SessionTokens }> {
      refusePassword('password', body.password, body);
      await withinLimit(rateLimits.checkRegisterIp(client.ip), 'register_ip', client);
      const at = now();
      const user = {
        id: newId('usr'),
        name: body.name,
        email: body.email,
        emailVerified: false,
        passwordHash: await passwords.hash(body.password),
        createdAt: at,
        updatedAt: at,
      };
      const opened = settings.requireVerifiedEmail ? null : sessions.open(user.id, client);
      // With a session, the registering device is remembered in the same step (never news).
      if ((await users.register(user, opened?.record ?? null, deviceOfClient(client))) === 'email_taken')
        throw problem('email_taken');
      audit.record('registered', { userId: user.id, sessionId: opened?.record.id, ip: client.ip });
      await mail.enqueue({ kind: 'verify-email', userId: user.id });
      audit.record('mail_requested', { userId: user.id, mail: 'verify-email' });
      const publicUser = toPublicUser(user);
      if (!opened) return { user: publicUser };
      return {
        user: publicUser,
        session: await opened.tokens({ method: 'register', user: publicUser }),
      };
    },

    /**
     * Logs in. Unknown email and wrong password are indistinguishable: same error, and a dummy
     * Argon2 verification keeps the timing alike. Failures count towards the account's back-off.
     * A device that signed in to this account before (its known-device token) is exempt from the
     * account-wide ceiling; a successful log-in hands the device a fresh token.
     */
    async login(
      body: LoginBody,
      client: ClientInfo,
    ): Promise<{ user: User; session: SessionTokens; deviceToken: string }> {
      await withinLimit(rateLimits.checkLoginIp(client.ip), 'login_ip', client);
      const from = clientKey(client.ip);
      const start = await users.beginLogin(
        body.email,
        from,
        now(),
        { backoff: LOGIN_BACKOFF, ceiling: LOGIN_CEILING },
        knownDevices.userOf(body.deviceToken),
      );
      if (start.status !== 'ok') {
        const retryAfterSeconds =
          start.status === 'locked' ? secondsUntil(start.lockedUntil, now()) : CEILING_RETRY_AFTER_SECONDS;
        const limit = start.status === 'locked' ? 'login_account' : 'login_account_ceiling';
        audit.record('rate_limited', { ip: client.ip, limit, retryAfterSeconds });
        throw new RateLimitedError(retryAfterSeconds);
      }
      const { credential } = start;
      // The attempt is already counted as a failure (BEGIN_LOGIN); a success clears it.
      const fail = (reason: 'unknown_email' | 'wrong_password' | 'password_changed_concurrently') => {
        audit.record('login_failed', { userId: credential?.userId ?? null, ip: client.ip, reason });
        return problem('invalid_credentials');
      };
      if (!credential) {
        await passwords.verifyDummy(body.password);
        throw fail('unknown_email');
      }
      // An account without a password (made by a social sign-in) is answered as a wrong password is.
      if (credential.passwordHash === '') {
        await passwords.verifyDummy(body.password);
        throw fail('wrong_password');
      }
      if (!(await passwords.verify(credential.passwordHash, body.password))) throw fail('wrong_password');
      // Transparent upgrade: a hash made with older parameters is replaced now that we know the password.
      const newHash = passwords.needsRehash(credential.passwordHash)
        ? await passwords.hash(body.password)
        : null;
      const session = sessions.open(credential.userId, client);
      const mfa = newMfaToken(credential.userId);
      const opened = await users.openSession(
        credential,
        from,
        credential.passwordHash,
        newHash,
        settings.requireVerifiedEmail,
        session.record,
        {
          id: mfa.loginId,
          hash: hashRefreshToken(mfa.token),
          ttlMs: MFA_LOGIN_TTL_MS,
          userAgent: session.record.userAgent,
        },
        now(),
      );
      // After the password check: a guesser learns nothing from this answer.
      if (opened === 'unverified') throw problem('email_not_verified');
      if (opened === 'disabled') {
        audit.record('login_failed', {
          userId: credential.userId,
          ip: client.ip,
          reason: 'account_disabled',
        });
        throw problem('account_disabled');
      }
      if (!opened) throw fail('password_changed_concurrently');
      if ('mfaRequired' in opened) {
        audit.record('mfa_required', { userId: credential.userId, ip: client.ip });
        throw new MfaRequiredError(mfa.token, opened.mfaRequired);
      }
      audit.record('logged_in', { userId: credential.userId, sessionId: session.record.id, ip: client.ip });
      await mail.enqueue(signInJob(credential.userId, client));
      return {
        user: opened,
        session: await session.tokens({ method: 'password', user: opened }),
        deviceToken: knownDevices.issue(credential.userId),
      };
    },

    /**
     * Merge-patches name and/or email. An email change needs the current password and a free
     * email; a current password sent with a rename alone is checked (and throttled) all the same.
     */
    async updateProfile(
      caller: Caller,
      body: UpdateProfileBody,
      client: ClientInfo,
    ): Promise<{ user: User }> {
      let previous: string | null = null;
      const outcome = async () => {
        const renamed = async () => {
          const result = await users.rename(caller, body.name as string, now());
          return result.status === 'ok'
            ? { status: 'ok' as const, value: { user: result.value, pending: false } }
            : result;
        };
        if (body.currentPassword === undefined && body.email === undefined) return renamed();
        const user = await requirePassword(caller, body.currentPassword);
        if (body.email === undefined) {
          await users.clearReauth(caller);
          return renamed();
        }
        previous = user.email;
        // No free oracle of registered emails: email changes are limited per user and per IP.
        await withinLimit(rateLimits.checkEmailChange(caller.userId, client.ip), 'email_change', client);
        return users.changeEmail(
          caller,
          {
            oldEmail: user.email,
            newEmail: body.email,
            name: body.name ?? null,
            verifiedHash: user.passwordHash,
          },
          now(),
        );
      };
      const result = await outcome();
      if (result.status === 'ok') {
        const { user, pending } = result.value;
        const newEmail = pending ? user.pendingEmail : user.email;
        if (previous && newEmail && previous !== newEmail) {
          // The new address must be proved; the old one hears of the change (its owner may not have
          // made it) and, while it is the credential, gets a link that reverts it.
          await mail.enqueue({ kind: 'verify-email', userId: caller.userId });
          await mail.enqueue({
            kind: 'email-changed',
            userId: caller.userId,
            oldEmail: previous,
            newEmail,
            revertible: pending,
          });
          audit.record('mail_requested', { userId: caller.userId, mail: 'email-changed' });
        }
        return { user };
      }
      if (result.status === 'email_taken') {
        // A 409 tells whether an email is registered, as register does: it counts against the same limit.
        await withinLimit(rateLimits.checkRegisterIp(client.ip), 'register_ip', client);
        throw problem('email_taken');
      }
      if (result.status === 'stale') throw problem('current_password_incorrect');
      throw new UnauthorizedError(true);
    },

    /** Changes the password and revokes every other session of the user, atomically. */
    async changePassword(caller: Caller, body: ChangePasswordBody): Promise<void> {
      const user = await requirePassword(caller, body.currentPassword);
      refusePassword('newPassword', body.newPassword, user);
      const result = await users.changePassword(
        caller,
        {
          email: user.email,
          verifiedHash: user.passwordHash,
          newHash: await passwords.hash(body.newPassword),
        },
        now(),
      );
      if (result.status === 'stale') throw problem('current_password_incorrect');
      if (result.status !== 'ok') throw new UnauthorizedError(true);
      audit.record('password_changed', {
        userId: caller.userId,
        sessionId: caller.sessionId,
        revokedSessions: result.value,
      });
      await mail.enqueue(noticeJob(caller.userId, 'password-changed'));
    },

    /** Deletes the account: user, email and every session, atomically. */
    async deleteAccount(caller: Caller, body: DeleteAccountBody): Promise<void> {
      const user = await requirePassword(caller, body.password, 'password');
      const result = await users.deleteAccount(
        caller,
        { email: user.email, verifiedHash: user.passwordHash },
        now(),
      );
      if (result.status === 'stale') throw problem('current_password_incorrect');
      if (result.status !== 'ok') throw new UnauthorizedError(true);
      audit.record('account_deleted', { userId: caller.userId, revokedSessions: result.value });
    },
  };
}
