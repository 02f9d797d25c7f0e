import { parseConfig } from '../config';
import { type BaseServices, createBaseServices, mailQueueOf } from '../services';
import type { EmailSignIn } from './service';
import { emailSignInTier } from './tier';

/** The first tier and passwordless email: what `POST /sessions/email` and its confirmation use. */
export interface EmailSignInServices extends BaseServices {
  emailSignIn: EmailSignIn;
}

/** As lib/services.ts's `baseServices`, with passwordless email (no Argon2 in the bundle). */
export const emailSignInServices = (env: Record<string, string | undefined>): EmailSignInServices => {
  const base = createBaseServices(parseConfig(env));
  return { ...base, ...emailSignInTier(base, mailQueueOf(base, {})) };
};
