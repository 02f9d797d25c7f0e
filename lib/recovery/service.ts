import type { UserReader } from '../accounts/store';
import type { AuditLog } from '../audit';
import { problem, UnauthorizedError, wired } from '../errors';
import type { ClientInfo } from '../http';
import type { MailQueue } from '../mail/queue';
import { noticeJob } from '../notices/notices';
import { type PasswordHasher, requirePasswordPolicy } from '../passwords';
import { auditedLimit, type RateLimits } from '../rate-limits';
import type { Caller, User } from '../records';
import { createSessions } from '../sessions/service';
import type { SessionTokens, TokenService } from '../tokens';
import type {
  PasswordResetBody,
  PasswordResetConfirmBody,
  RevertEmailChangeBody,
  VerifyEmailBody,
} from '../validation';
import type { ResetLinks, RevertLinks, VerificationLinks } from './store';

export interface RecoveryDeps {
  users: UserReader;
  tokens: TokenService;
  rateLimits: Pick<RateLimits, 'checkResetIp'>;
  mail: MailQueue;
  audit: AuditLog;
  settings: { passwordMinLength: number; refreshTokenTtlSeconds: number };
  now: () => number;
}

/**
 * Email ownership and account recovery (docs/security.md): asking for links and following them. Asking
 * only queues a job for the mail function, the same job whether or not a mail will go out, so
 * neither the answer nor its timing tells who has an account. Following a link is one atomic
 * change (lib/scripts.ts), and every refusal is the same `link_invalid`.
 */
export type Recovery = ReturnType<typeof createRecovery>;

/** Asking for links and following a verification link: no password involved (no Argon2 bundled). */
export function createRecovery(deps: RecoveryDeps) {
  const { users, rateLimits, mail, audit, now } = deps;

  /** A per-IP limit on asking for mail. */
  const withinResetLimit = (client: ClientInfo) =>
    auditedLimit(rateLimits.checkResetIp(client.ip), audit, 'reset_ip', client.ip);

  return {
    /** Mails a new verification link to the address awaiting proof (the older link dies). */
    async requestVerification(caller: Caller, client: ClientInfo): Promise<void> {
      const user = await users.authenticate(caller, now());
      if (!user) throw new UnauthorizedError(true);
      if (user.emailVerified && !user.pendingEmail) throw problem('already_verified');
      await withinResetLimit(client);
      await mail.enqueue({ kind: 'verify-email', userId: caller.userId });
      audit.record('mail_requested', { userId: caller.userId, mail: 'verify-email' });
    },

    /** Forgot password: queues a reset mail for the address — which goes out only if it has an account. */
    async requestPasswordReset(body: PasswordResetBody, client: ClientInfo): Promise<void> {
      await withinResetLimit(client);
      await mail.enqueue({ kind: 'password-reset', email: body.email });
      audit.record('mail_requested', { mail: 'password-reset' });
    },
  };
}

export type LinkFollowing = ReturnType<typeof createLinkFollowing>;

/**
 * Following a verification link (the address is proved; a pending change completes) and an email
 * change's revert link: no rate limit, no mail, no password. Each function is built with the one
 * store it follows; calling the other is a wiring error, and says so.
 */
export function createLinkFollowing(deps: {
  verificationLinks?: VerificationLinks;
  revertLinks?: RevertLinks;
  audit: AuditLog;
  now: () => number;
}) {
  const { audit, now } = deps;
  const refused = () => linkRefused(audit);
  return {
    /**
     * Follows a verification link: the address is proved — and when it is a pending change's new
     * address, it becomes the account's (409 email_taken if someone registered it meanwhile).
     */
    async verifyEmail(body: VerifyEmailBody): Promise<{ user: User }> {
      const user = await wired(deps.verificationLinks, 'the verification links').consumeVerification(
        body.token,
        now(),
      );
      if (user === 'email_taken') throw problem('email_taken');
      if (!user) throw refused();
      audit.record('link_used', { userId: user.id, mail: 'verify-email' });
      return { user };
    },

    /**
     * Follows the revert link mailed to the old address of an email change: the old address is the
     * account's again, and every session and passkey of whoever changed it goes.
     */
    async revertEmailChange(body: RevertEmailChangeBody): Promise<{ user: User }> {
      const done = await wired(deps.revertLinks, 'the revert links').revertEmailChange(body.token, now());
      if (done === 'email_taken') throw problem('email_taken');
      if (!done) throw refused();
      audit.record('link_used', {
        userId: done.user.id,
        mail: 'email-changed',
        revokedSessions: done.revoked,
      });
      return { user: done.user };
    },
  };
}

const linkRefused = (audit: AuditLog) => {
  audit.record('link_refused', { reason: 'invalid_link' });
  return problem('link_invalid');
};

export type PasswordReset = ReturnType<typeof createPasswordReset>;

/** Following a reset link: the one recovery operation that hashes a password. */
export function createPasswordReset(
  deps: Pick<RecoveryDeps, 'tokens' | 'audit' | 'settings' | 'now'> & {
    links: ResetLinks;
    passwords: PasswordHasher;
    /** Where the owner's notice goes (the password was reset). */
    mail: MailQueue;
  },
) {
  const { links, passwords, tokens, audit, settings, now } = deps;
  const sessions = createSessions({ tokens, settings });
  const refused = () => linkRefused(audit);
  return {
    /**
     * Follows a reset link: the new password (password rules apply) replaces the old one, the
     * email counts as verified, the back-offs are cleared, every session goes, and one opens —
     * unless the account has a second factor. The passkeys go too when `removePasskeys` asks, and
     * always — with the second factor — when the address had never been proved (a reclaim).
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
      const opened = sessions.open(target.userId, client);
      const done = await links.completeReset(
        body.token,
        target,
        await passwords.hash(body.newPassword),
        body.removePasskeys === true,
        opened.record,
        now(),
      );
      if (!done) throw refused();
      audit.record('link_used', {
        userId: target.userId,
        mail: 'password-reset',
        revokedSessions: done.revoked,
        reclaimed: done.reclaimed,
        passkeysRemoved: done.reclaimed || body.removePasskeys === true,
      });
      await deps.mail.enqueue(noticeJob(target.userId, 'password-reset'));
      // A mailbox is not a second factor: with one on, the user logs in with the new password and it.
      if (done.secondFactor) return { user: done.user };
      return {
        user: done.user,
        session: await opened.tokens({ method: 'password_reset', user: done.user }),
      };
    },
  };
}
