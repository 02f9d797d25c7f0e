import type { MailQueue } from '../mail/queue';
import { createRateLimits } from '../rate-limits';
import type { BaseServices } from '../services';
import { codeHashKey } from './pair';
import { createEmailSignIn, type EmailSignIn, type EmailSignInDeps } from './service';
import { createEmailSignInStore } from './store';

// Passwordless email on the first tier. Kept apart from services.ts, which imports
// lib/services.ts, whose composition root imports this file: neither imports the other.
// No Argon2 anywhere (nobody types a password here).

const common = (base: BaseServices): Omit<EmailSignInDeps, 'store' | 'rateLimits' | 'mail'> => ({
  tokens: base.tokens,
  audit: base.audit,
  settings: {
    refreshTokenTtlSeconds: base.config.refreshTokenTtlSeconds,
    signUp: base.config.emailSignIn.signUp,
  },
  now: base.now,
});

/** The half that asks for mail: the per-IP limit and the mail queue. */
export const askingPart = (base: BaseServices, mail: MailQueue) => ({
  rateLimits: createRateLimits(base.datastore, base.keys, base.config.rateLimits),
  mail,
});

/** The half that follows a mail: the store (the code's hash key derived from TOTP_ENCRYPTION_KEY). */
export const followingPart = (base: BaseServices) => ({
  store: createEmailSignInStore(base.datastore, base.keys, codeHashKey(base.config.totpEncryptionKey)),
});

/** Passwordless email with the halves given (`askingPart`, `followingPart`, or both). */
export function emailSignInTier(
  base: BaseServices,
  parts: Pick<EmailSignInDeps, 'store' | 'rateLimits' | 'mail'>,
): { emailSignIn: EmailSignIn } {
  return { emailSignIn: createEmailSignIn({ ...common(base), ...parts }) };
}
