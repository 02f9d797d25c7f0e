import type { MailQueue } from '../mail-queue';
import { createRateLimits } from '../rate-limits';
import type { BaseServices } from '../services';
import { codeHashKey } from './pair';
import { createEmailSignIn, type EmailSignIn } from './service';
import { createEmailSignInStore } from './store';

/**
 * Passwordless email on the first tier: the per-IP limit and the mail queue for asking, the store
 * for following. No Argon2 (nobody types a password here). Kept apart from services.ts, which
 * lib/services.ts's composition root imports, so neither imports the other.
 */
export function emailSignInTier(base: BaseServices, mail: MailQueue): { emailSignIn: EmailSignIn } {
  const { config } = base;
  return {
    emailSignIn: createEmailSignIn({
      store: createEmailSignInStore(base.datastore, base.keys, codeHashKey(config.totpEncryptionKey)),
      rateLimits: createRateLimits(base.datastore, base.keys, config.rateLimits),
      mail,
      tokens: base.tokens,
      audit: base.audit,
      settings: { refreshTokenTtlSeconds: config.refreshTokenTtlSeconds, signUp: config.emailSignIn.signUp },
      now: base.now,
    }),
  };
}
