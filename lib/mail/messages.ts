// The mail the service sends: what each kind says, rendered from the templates below (plain text
// and HTML, no remote assets), with the product name from APP_NAME and links built on APP_URL,
// the token in the fragment so it never reaches a server log or a Referer header.

import type { Notice } from '../notices/notices';

/** A mail to render: its kind and what that kind needs. Never logged (it holds an address, maybe a token). */
export type MailMessage =
  | { kind: 'verify-email'; to: string; token: string; expiresInSeconds: number }
  | { kind: 'password-reset'; to: string; token: string; expiresInSeconds: number }
  /** `revertToken`: the change waits for the new address's proof, and this link undoes it. */
  | { kind: 'email-changed'; to: string; newEmail: string; revertToken?: string; expiresInSeconds?: number }
  | {
      kind: 'email-sign-in';
      to: string;
      token: string;
      code: string;
      expiresInSeconds: number;
      /** The address has no account: the mail offers to create one. */
      newAccount: boolean;
    }
  | { kind: 'security-notice'; to: string; notice: Notice; detail?: string; ip?: string; userAgent?: string };

export type MailKind = MailMessage['kind'];

/** A rendered mail, as SES takes it. */
export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailSettings {
  appName: string;
  /** The frontend: links point at `${appUrl}/verify-email#token=…`, `…/reset-password#token=…`, `…/sign-in#token=…`. */
  appUrl: string;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** "24 hours", "30 minutes": a lifetime as a reader wants it. */
export function describeDuration(seconds: number): string {
  const [value, unit] =
    seconds % 86_400 === 0 && seconds >= 86_400
      ? [seconds / 86_400, 'day']
      : seconds % 3600 === 0 && seconds >= 3600
        ? [seconds / 3600, 'hour']
        : seconds % 60 === 0 && seconds >= 60
          ? [seconds / 60, 'minute']
          : [seconds, 'second'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}

/** A link into the frontend carrying `token` in its fragment. */
export const linkTo = (appUrl: string, page: string, token: string): string =>
  `${appUrl.replace(/\/+$/, '')}/${page}#token=${encodeURIComponent(token)}`;

interface Template {
  subject: string;
  /** Paragraphs of the body; `{link}` stands for the action link, if there is one. */
  paragraphs: string[];
  action?: { label: string; href: string };
}

function template(message: MailMessage, settings: MailSettings): Template {
  const { appName, appUrl } = settings;
  switch (message.kind) {
    case 'verify-email': {
      const href = linkTo(appUrl, 'verify-email', message.token);
      return {
        subject: `Confirm your email address for ${appName}`,
        paragraphs: [
          `Please confirm that ${message.to} is your email address for ${appName}.`,
          `This link works once, for ${describeDuration(message.expiresInSeconds)}.`,
          `If you did not sign up for ${appName}, ignore this mail: nothing happens without the link.`,
        ],
        action: { label: 'Confirm my email address', href },
      };
    }
    case 'password-reset': {
      const href = linkTo(appUrl, 'reset-password', message.token);
      return {
        subject: `Reset your ${appName} password`,
        paragraphs: [
          `Someone asked to reset the password of the ${appName} account for ${message.to}.`,
          `This link works once, for ${describeDuration(message.expiresInSeconds)}; a newer link replaces it. Setting a new password signs out every device.`,
          'If it was not you, ignore this mail: your password stays as it is.',
        ],
        action: { label: 'Choose a new password', href },
      };
    }
    case 'email-sign-in': {
      const href = linkTo(appUrl, 'sign-in', message.token);
      const lifetime = `The link and the code work once, for ${describeDuration(message.expiresInSeconds)}; a newer mail replaces them.`;
      return message.newAccount
        ? {
            subject: `Create your ${appName} account`,
            paragraphs: [
              `Someone asked to sign in to ${appName} as ${message.to}, which has no account yet. Follow the link to create one — on any device.`,
              `Or enter this code where you asked: ${message.code}`,
              lifetime,
              `If it was not you, ignore this mail: no account is made without the link or the code.`,
            ],
            action: { label: 'Create my account', href },
          }
        : {
            subject: `Sign in to ${appName}`,
            paragraphs: [
              `Someone asked to sign in to the ${appName} account for ${message.to}. Follow the link to sign in — on any device.`,
              `Or enter this code where you asked: ${message.code}`,
              lifetime,
              'If it was not you, ignore this mail: nobody signs in without the link or the code.',
            ],
            action: { label: 'Sign me in', href },
          };
    }
    case 'security-notice':
      return noticeTemplate(message, appName);
    case 'email-changed':
      if (message.revertToken !== undefined)
        return {
          subject: `Your ${appName} email address is being changed`,
          paragraphs: [
            `Someone signed in to your ${appName} account asked to change its email address from ${message.to} to ${message.newEmail}. This address stays the one you sign in with until the new one is confirmed.`,
            `If it was not you, follow this link: it keeps (or brings back) ${message.to}, signs out every device and removes every passkey. It works once, for ${describeDuration(message.expiresInSeconds ?? 0)}. Then choose a new password from the sign-in page.`,
          ],
          action: {
            label: 'This was not me: undo the change',
            href: linkTo(appUrl, 'revert-email', message.revertToken),
          },
        };
      return {
        subject: `Your ${appName} email address was changed`,
        paragraphs: [
          `The email address of your ${appName} account was changed from ${message.to} to ${message.newEmail}.`,
          'If you did not do this, contact us.',
        ],
      };
  }
}

/** What each security notice says; every one ends with what to do if it was not the owner. */
function noticeTemplate(
  message: Extract<MailMessage, { kind: 'security-notice' }>,
  appName: string,
): Template {
  const what: Record<Notice, [subject: string, happened: string]> = {
    'password-changed': ['Your password was changed', 'The password of your account was changed.'],
    'password-reset': [
      'Your password was reset',
      'The password of your account was reset with a link mailed to this address, and every device was signed out.',
    ],
    'totp-enabled': [
      'Two-step verification is on',
      'An authenticator app was added to your account: signing in now asks for its code.',
    ],
    'totp-disabled': [
      'Two-step verification is off',
      'The authenticator app was removed from your account, with its recovery codes.',
    ],
    'passkey-added': [
      'A passkey was added',
      `A passkey${message.detail ? ` ("${message.detail}")` : ''} was added to your account.`,
    ],
    'passkey-removed': [
      'A passkey was removed',
      `A passkey${message.detail ? ` ("${message.detail}")` : ''} was removed from your account.`,
    ],
    'identity-linked': [
      'A sign-in method was linked',
      `${message.detail ? `Your ${message.detail} account` : 'An account of another provider'} was linked to your account: it can now sign you in.`,
    ],
    'new-device': [
      'New sign-in to your account',
      `Your account was signed in to from a device it had not been used on before${message.userAgent ? ` (${message.userAgent}` : ''}${message.userAgent && message.ip ? `, from ${message.ip})` : message.userAgent ? ')' : ''}.`,
    ],
  };
  const [subject, happened] = what[message.notice];
  return {
    subject: `${appName}: ${subject.charAt(0).toLowerCase()}${subject.slice(1)}`,
    paragraphs: [
      `${happened} (${appName} account ${message.to})`,
      'If this was you, there is nothing to do.',
      'If it was not, reset your password now from the sign-in page and sign out every device; then check your second factors and passkeys.',
    ],
  };
}

/** The subject, plain-text and HTML parts of `message`. Pure. */
export function renderMail(message: MailMessage, settings: MailSettings): RenderedMail {
  const { subject, paragraphs, action } = template(message, settings);
  const text = [
    ...paragraphs.slice(0, 1),
    ...(action ? [`${action.label}: ${action.href}`] : []),
    ...paragraphs.slice(1),
    `— ${settings.appName}`,
  ].join('\n\n');
  const html = [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 36rem">',
    `<p>${escapeHtml(paragraphs[0] ?? '')}</p>`,
    ...(action
      ? [
          `<p><a href="${escapeHtml(action.href)}" style="display: inline-block; padding: 0.6em 1.2em; background: #1d4ed8; color: #fff; border-radius: 6px; text-decoration: none">${escapeHtml(action.label)}</a></p>`,
          `<p style="font-size: 0.9em; color: #555">Or paste this link into your browser: ${escapeHtml(action.href)}</p>`,
        ]
      : []),
    ...paragraphs.slice(1).map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p>— ${escapeHtml(settings.appName)}</p>`,
    '</body></html>',
  ].join('\n');
  return { to: message.to, subject, text, html };
}
