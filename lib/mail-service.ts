import type { AuditLog } from './audit';
import type { MailMessage, MailSettings } from './mail';
import { renderMail } from './mail';
import type { MailJob } from './mail-queue';
import type { Mailer } from './mailer';
import type { NoticeStore } from './notices/store';

/** The link tokens the mail function issues (lib/links.ts): each call kills the older link of its kind. */
export interface MailLinks {
  /** A verification link for the user's current address; null when the user is gone or already verified. */
  issueVerification(userId: string, now: number): Promise<{ email: string; token: string } | null>;
  /** A reset link for the account of `email`; null when no account has that address. */
  issueReset(email: string, now: number): Promise<{ token: string } | null>;
}

export interface MailServiceDeps {
  links: MailLinks;
  /** The owner of a notice, and the devices an account has signed in from (lib/notices/). */
  notices: NoticeStore;
  mailer: Mailer;
  /** Whether another mail may go to this address now (RATE_LIMIT_MAIL_PER_ADDRESS); counts it. */
  mayMail(address: string): Promise<boolean>;
  audit: AuditLog;
  settings: MailSettings & {
    emailVerificationTtlSeconds: number;
    passwordResetTtlSeconds: number;
    notifyNewDevice: boolean;
  };
  now: () => number;
}

/**
 * The mail function's work: decide whether a job becomes a mail, issue its link, render and send
 * it. A job that must not become a mail (an unknown address, a verified one, an address over its
 * limit) ends quietly: the request that queued it has long answered the same either way. A send
 * that fails throws, so Lambda retries it and finally keeps it at the on-failure destination.
 */
export function createMailService(deps: MailServiceDeps) {
  const { links, mailer, audit, settings, now } = deps;

  const send = async (message: MailMessage) => {
    // Security notices are not counted against the per-address limit: a stranger who spent it on
    // reset requests must not be able to silence the notice of what they do next. Each notice is
    // bounded by the limits of the action behind it.
    if (message.kind !== 'security-notice' && !(await deps.mayMail(message.to))) {
      audit.record('mail_suppressed', { mail: message.kind, reason: 'address_limit' });
      return;
    }
    try {
      await mailer.send(renderMail(message, settings));
    } catch (error) {
      audit.record('mail_failed', { mail: message.kind, reason: 'send_failed' });
      throw error;
    }
    audit.record('mail_sent', { mail: message.kind });
  };

  return {
    async deliver(job: MailJob): Promise<void> {
      switch (job.kind) {
        case 'verify-email': {
          const link = await links.issueVerification(job.userId, now());
          if (!link) {
            audit.record('mail_suppressed', {
              mail: job.kind,
              userId: job.userId,
              reason: 'nothing_to_verify',
            });
            return;
          }
          await send({
            kind: 'verify-email',
            to: link.email,
            token: link.token,
            expiresInSeconds: settings.emailVerificationTtlSeconds,
          });
          return;
        }
        case 'password-reset': {
          const link = await links.issueReset(job.email, now());
          if (!link) {
            audit.record('mail_suppressed', { mail: job.kind, reason: 'unknown_address' });
            return;
          }
          await send({
            kind: 'password-reset',
            to: job.email,
            token: link.token,
            expiresInSeconds: settings.passwordResetTtlSeconds,
          });
          return;
        }
        case 'email-changed':
          await send({ kind: 'email-changed', to: job.oldEmail, newEmail: job.newEmail });
          return;
        case 'security-notice': {
          const owner = await deps.notices.contact(job.userId);
          if (!owner)
            return audit.record('mail_suppressed', {
              mail: job.kind,
              userId: job.userId,
              reason: 'unknown_address',
            });
          await send({
            kind: 'security-notice',
            to: owner.email,
            notice: job.notice,
            ...(job.detail ? { detail: job.detail } : {}),
          });
          return;
        }
        case 'signed-in': {
          // The device is remembered even when notices are off, so turning them on later is not noisy.
          const seen = await deps.notices.rememberDevice(job.userId, job.userAgent, now());
          if (!seen?.news || !job.notify || !settings.notifyNewDevice) return;
          await send({
            kind: 'security-notice',
            to: seen.email,
            notice: 'new-device',
            ip: job.ip,
            userAgent: job.userAgent,
          });
          return;
        }
      }
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
