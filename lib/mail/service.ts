import type { AuditLog } from '../audit';
import type { EmailSignInIssuer } from '../email-sign-in/store';
import type { NoticeStore } from '../notices/store';
import type { Mailer } from './mailer';
import type { MailMessage, MailSettings } from './messages';
import { renderMail } from './messages';
import type { MailJob } from './queue';

/** The link tokens the mail function issues (lib/recovery/store.ts): each call kills the older link of its kind. */
export interface MailLinks {
  /** A verification link for the user's current address; null when the user is gone or already verified. */
  issueVerification(userId: string, now: number): Promise<{ email: string; token: string } | null>;
  /** A reset link for the account of `email`; null when no account has that address. */
  issueReset(email: string, now: number): Promise<{ token: string } | null>;
  /** A link that reverts the user's email change to `oldEmail`; null when the user is gone. */
  issueRevert(userId: string, oldEmail: string, now: number): Promise<{ token: string } | null>;
}

/** How long the old address's revert link of an email change lives (README "API": 7 days). */
export const EMAIL_REVERT_TTL_SECONDS = 7 * 86_400;

export interface MailServiceDeps {
  links: MailLinks;
  /** Passwordless email's secrets (lib/email-sign-in/): each mail's link token and code. */
  signIns: EmailSignInIssuer;
  /** The owner of a notice, and the devices an account has signed in from (lib/notices/). */
  notices: NoticeStore;
  mailer: Mailer;
  /** Whether another mail may go to this address now (RATE_LIMIT_MAIL_PER_ADDRESS); counts it. */
  mayMail(address: string): Promise<boolean>;
  audit: AuditLog;
  settings: MailSettings & {
    emailVerificationTtlSeconds: number;
    passwordResetTtlSeconds: number;
    emailSignIn: { ttlSeconds: number; signUp: boolean };
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

  /** Whether the address's mail limit lets one more go (counting it); a refusal is audited. */
  const mayMail = async (kind: MailMessage['kind'], address: string) => {
    if (await deps.mayMail(address)) return true;
    audit.record('mail_suppressed', { mail: kind, reason: 'address_limit' });
    return false;
  };

  const transmit = async (message: MailMessage) => {
    try {
      await mailer.send(renderMail(message, settings));
    } catch (error) {
      audit.record('mail_failed', { mail: message.kind, reason: 'send_failed' });
      throw error;
    }
    audit.record('mail_sent', { mail: message.kind });
  };

  const send = async (message: MailMessage) => {
    // Security notices are not counted against the per-address limit: a stranger who spent it on
    // reset requests must not be able to silence the notice of what they do next. Each notice is
    // bounded by the limits of the action behind it.
    if (message.kind === 'security-notice' || (await mayMail(message.kind, message.to)))
      await transmit(message);
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
        case 'email-changed': {
          const revert = job.revertible ? await links.issueRevert(job.userId, job.oldEmail, now()) : null;
          await send({
            kind: 'email-changed',
            to: job.oldEmail,
            newEmail: job.newEmail,
            ...(revert ? { revertToken: revert.token, expiresInSeconds: EMAIL_REVERT_TTL_SECONDS } : {}),
          });
          return;
        }
        case 'email-sign-in': {
          const { signUp, ttlSeconds } = settings.emailSignIn;
          if (!signUp && !(await deps.signIns.hasAccount(job.email))) {
            audit.record('mail_suppressed', { mail: job.kind, reason: 'sign_up_disabled' });
            return;
          }
          // The limit first: beyond it no new code is issued either, so asking again cannot buy
          // fresh guesses at a code (each mail's code allows 5).
          if (!(await mayMail(job.kind, job.email))) return;
          const issued = await deps.signIns.issue(job.email, signUp, now());
          if (!issued) {
            audit.record('mail_suppressed', { mail: job.kind, reason: 'sign_up_disabled' });
            return;
          }
          await transmit({ kind: 'email-sign-in', to: job.email, expiresInSeconds: ttlSeconds, ...issued });
          return;
        }
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
