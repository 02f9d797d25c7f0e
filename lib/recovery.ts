import type { AuditLog } from './audit';
import { AlreadyVerifiedError, LinkInvalidError, UnauthorizedError } from './errors';
import type { ClientInfo } from './http';
import type { LinkStore } from './links';
import type { MailQueue } from './mail-queue';
import { noticeJob } from './notices/notices';
import { type PasswordHasher, requirePasswordPolicy } from './passwords';
import { auditedLimit, type RateLimits } from './rate-limits';
import { newSession } from './sessions';
import type { SessionTokens, TokenService } from './tokens';
import type { Caller, User, UserReader } from './users';
import type { PasswordResetBody, PasswordResetConfirmBody, VerifyEmailBody } from './validation';

export interface RecoveryDeps {
  users: UserReader;
  links: LinkStore;
  tokens: TokenService;
  rateLimits: Pick<RateLimits, 'checkResetIp'>;
  mail: MailQueue;
  audit: AuditLog;
  settings: { passwordMinLength: number; refreshTokenTtlSeconds: number };
  now: () => number;
}

/**
 * Email ownership and account recovery (API.md): asking for links and following them. Asking
 * only queues a job for the mail function, the same job whether or not a mail will go out, so
 * neither the answer nor its timing tells who has an account. Following a link is one atomic
 * change (lib/scripts.ts), and every refusal is the same `link_invalid`.
 */
export type Recovery = ReturnType<typeof createRecovery>;

/** Asking for links and following a verification link: no password involved (no Argon2 bundled). */
export function createRecovery(deps: RecoveryDeps) {
  const { users, links, rateLimits, mail, audit, now } = deps;

  /** A per-IP limit on asking for mail. */
  const withinResetLimit = (client: ClientInfo) =>
    auditedLimit(rateLimits.checkResetIp(client.ip), audit, 'reset_ip', client.ip);

  const refused = () => linkRefused(audit);

  return {
    /** Mails a new verification link to the caller's address (the older link dies). */
    async requestVerification(caller: Caller, client: ClientInfo): Promise<void> {
      const user = await users.authenticate(caller, now());
      if (!user) throw new UnauthorizedError(true);
      if (user.emailVerified) throw new AlreadyVerifiedError();
      await withinResetLimit(client);
      await mail.enqueue({ kind: 'verify-email', userId: caller.userId });
      audit.record('mail_requested', { userId: caller.userId, mail: 'verify-email' });
    },

    /** Follows a verification link: the address is proved. */
    async verifyEmail(body: VerifyEmailBody): Promise<{ user: User }> {
      const user = await links.consumeVerification(body.token, now());
      if (!user) throw refused();
      audit.record('link_used', { userId: user.id, mail: 'verify-email' });
      return { user };
    },

    /** Forgot password: queues a reset mail for the address — which goes out only if it has an account. */
    async requestPasswordReset(body: PasswordResetBody, client: ClientInfo): Promise<void> {
      await withinResetLimit(client);
      await mail.enqueue({ kind: 'password-reset', email: body.email });
      audit.record('mail_requested', { mail: 'password-reset' });
    },
  };
}

const linkRefused = (audit: AuditLog) => {
  audit.record('link_refused', { reason: 'invalid_link' });
  return new LinkInvalidError();
};

export type PasswordReset = ReturnType<typeof createPasswordReset>;

/** Following a reset link: the one recovery operation that hashes a password. */
export function createPasswordReset(
  deps: Pick<RecoveryDeps, 'links' | 'tokens' | 'audit' | 'settings' | 'now'> & {
    passwords: PasswordHasher;
    /** Where the owner's notice goes (the password was reset). */
    mail?: MailQueue;
  },
) {
  const { links, passwords, tokens, audit, settings, now } = deps;
  const refused = () => linkRefused(audit);
  return {
    /**
     * Follows a reset link: the new password (password rules apply) replaces the old one, the
     * email counts as verified, the back-offs are cleared, every session goes, and one opens —
     * unless the account has a second factor.
     */
    async confirmPasswordReset(
      body: PasswordResetConfirmBody,
      client: ClientInfo,
    ): Promise<{ user: User; session?: SessionTokens }> {
      const target = await links.peekReset(body.token, now());
      if (!target) throw refused();
      requirePasswordPolicy('newPassword', body.newPassword, {
        minLength: settings.passwordMinLength,
        name: target.name,
        email: target.email,
      });
      const opened = newSession(target.userId, client, settings.refreshTokenTtlSeconds * 1000);
      const done = await links.completeReset(
        body.token,
        target,
        await passwords.hash(body.newPassword),
        opened.record,
        now(),
      );
      if (!done) throw refused();
      audit.record('link_used', {
        userId: target.userId,
        mail: 'password-reset',
        revokedSessions: done.revoked,
      });
      await deps.mail?.enqueue(noticeJob(target.userId, 'password-reset'));
      // A mailbox is not a second factor: with one on, the user logs in with the new password and it.
      if (done.secondFactor) return { user: done.user };
      return {
        user: done.user,
        session: await tokens.issueSession(target.userId, opened.record.id, opened.refreshToken),
      };
    },
  };
}
