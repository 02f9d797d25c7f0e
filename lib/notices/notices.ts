import { createHash } from 'node:crypto';
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
 * and, when the account has signed in before but never from it, mails a new-device notice. A
 * registration queues none: its device, the account's first and never news, is remembered by the
 * REGISTER script itself (lib/lua-helpers.ts `FIRST_DEVICE_LUA`), so registering queues one job,
 * not two. (A job with `notify: false` is an earlier version's registration.)
 */
export const signInJob = (userId: string, client: { ip: string; userAgent: string }): MailJob => ({
  kind: 'signed-in',
  userId,
  ip: client.ip.slice(0, 64),
  userAgent: jobUserAgent(client.userAgent),
  notify: true,
});

/** The User-Agent a sign-in job carries, whose digest names the device (`deviceOf`). */
const jobUserAgent = (userAgent: string): string => userAgent.slice(0, 256);

/** A device as the service knows it: a digest of its User-Agent (never the string itself at rest). */
export const deviceOf = (userAgent: string): string =>
  createHash('sha256').update(userAgent).digest('base64url').slice(0, 22);

/** The device of a client as its sign-in job names it (and the registration's, `FIRST_DEVICE_LUA`). */
export const deviceOfClient = (client: { userAgent: string }): string =>
  deviceOf(jobUserAgent(client.userAgent));
