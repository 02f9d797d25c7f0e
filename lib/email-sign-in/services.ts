import { parseBaseConfig } from '../config';
import { type BaseServices, createBaseServices, mailQueueOf, sessionIssuing } from '../services';
import type { EmailSignIn } from './service';
import { askingPart, emailSignInTier, followingPart } from './tier';

/** The first tier and passwordless email: what `POST /sessions/email` and its confirmation use. */
export interface EmailSignInServices extends BaseServices {
  emailSignIn: EmailSignIn;
}

/** For `POST /sessions/email`: the per-IP limit and the mail queue (no scripts of this feature). */
export const requestEmailSignInServices = (env: Record<string, string | undefined>): EmailSignInServices => {
  const base = createBaseServices(parseBaseConfig(env));
  return { ...base, ...emailSignInTier(base, askingPart(base, mailQueueOf(base, {}))) };
};

/** For `POST /sessions/email/confirm`: the store (no rate limiter: its back-off is in its scripts). */
export const confirmEmailSignInServices = (env: Record<string, string | undefined>): EmailSignInServices => {
  // It issues tokens: with the custom claims hook.
  const base = createBaseServices(parseBaseConfig(env), {}, sessionIssuing);
  return { ...base, ...emailSignInTier(base, followingPart(base)) };
};
