import type { MailJob } from '../mail/queue';

/**
 * The security notices (README "Operations"): the owner is mailed when the password
 * changes (a reset included), a second factor or passkey is added or removed, an identity is
 * linked, or a sign-in comes from a device not seen before on the account (NOTIFY_NEW_DEVICE).
 * A request only queues the job (lib/mail/queue.ts); the mail function looks the owner up and sends.
 */
export type Notice =
  | 'password-changed'
  | 'password-reset'
  | 'totp-enabled'
  | 'totp-disabled'
  | 'passkey-added'
  | 'passkey-removed'
  | 'identity-linked'
  | 'new-device';

/** The mail job of a notice about `userId`'s account; `detail` names what changed (a passkey's name, a provider). */
export const noticeJob = (
  userId: string,
  notice: Exclude<Notice, 'new-device'>,
  detail?: string,
): MailJob => ({
  kind: 'security-notice',
  userId,
  notice,
  ...(detail ? { detail: detail.slice(0, 100) } : {}),
});

/**
 * The mail job of a sign-in: the mail function remembers the device (a digest of the User-Agent)
 * and, when the account has signed in before but never from it, mails a new-device notice —
 * unless `notify` is false (the session of a registration: the first device, never news).
 */
export const signInJob = (
  userId: string,
  client: { ip: string; userAgent: string },
  notify: boolean,
): MailJob => ({
  kind: 'signed-in',
  userId,
  ip: client.ip.slice(0, 64),
  userAgent: client.userAgent.slice(0, 256),
  notify,
});
