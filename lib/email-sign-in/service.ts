import type { AuditLog } from '../audit';
import { MfaRequiredError, problem, RateLimitedError, wired } from '../errors';
import type { ClientInfo } from '../http';
import type { MailQueue } from '../mail/queue';
import { auditedLimit, clientKey, type RateLimits, secondsUntil } from '../rate-limits';
import type { User } from '../records';
import { createSessions } from '../sessions/service';
import { hashRefreshToken, newId, newMfaToken, type SessionTokens, type TokenService } from '../tokens';
import type { EmailSignInBody, EmailSignInConfirmBody } from '../validation';
import { nameFromEmail, signInTokenSelector } from './pair';
import type { EmailSignInStore, PendingSignIn } from './store';

/** How long a sign-in waits for its second factor: the mfaToken of `POST /sessions/mfa` lives 300 s. */
const MFA_LOGIN_TTL_MS = 300_000;

/**
 * Asking needs `rateLimits` and `mail`, following needs `store`: each function is built with its
 * half only (lib/email-sign-in/services.ts), so neither bundles the other's code (the limiter,
 * the scripts); calling the other half there is a wiring error.
 */
export interface EmailSignInDeps {
  store?: EmailSignInStore;
  rateLimits?: Pick<RateLimits, 'checkEmailSignInIp'>;
  mail?: MailQueue;
  tokens: TokenService;
  audit: AuditLog;
  settings: { refreshTokenTtlSeconds: number; signUp: boolean };
  now: () => number;
}

export type EmailSignIn = ReturnType<typeof createEmailSignIn>;

/**
 * Passwordless email (docs/security.md, passwordless email): asking for a sign-in mail, and following it
 * by its link or its code. Asking only queues a job for the mail function — the same job whatever
 * the address — so neither the answer nor its timing tells who has an account. Following it is
 * two steps (find or count, then one atomic change), and signs in whoever has the address then.
 */
export function createEmailSignIn(deps: EmailSignInDeps) {
  const { tokens, audit, settings, now } = deps;
  const sessions = createSessions({ tokens, settings });
  const stored = () => wired(deps.store, 'the email sign-in store');

  /** Step one of the link: the live sign-in its token names, or 400 link_invalid. */
  const byLink = async (token: string): Promise<PendingSignIn> => {
    const selector = signInTokenSelector(token);
    const pending = selector ? await stored().peekLink(selector, token, now()) : null;
    if (pending) return pending;
    audit.record('link_refused', { reason: 'invalid_link', mail: 'email-sign-in' });
    throw problem('link_invalid');
  };

  /** Step one of the code: counted, then compared; 401 sign_in_code_invalid, or 429 while backing off. */
  const byCode = async (email: string, code: string, client: ClientInfo): Promise<PendingSignIn> => {
    const outcome = await stored().beginCode(email, code, clientKey(client.ip), now());
    if (outcome.status === 'ok') return outcome.pending;
    if (outcome.status === 'locked') {
      const retryAfterSeconds = secondsUntil(outcome.lockedUntil, now());
      const limit = outcome.ceiling ? 'login_account_ceiling' : 'login_account';
      audit.record('rate_limited', { ip: client.ip, limit, retryAfterSeconds });
      throw new RateLimitedError(retryAfterSeconds);
    }
    const reason =
      outcome.status === 'wrong'
        ? 'wrong_code'
        : outcome.status === 'used_up'
          ? 'code_used_up'
          : 'invalid_link';
    audit.record('login_failed', { ip: client.ip, reason, via: 'code' });
    throw problem('sign_in_code_invalid');
  };

  return {
    /** Queues a sign-in mail for the address: 202 whatever it is (the mail function decides). */
    async request(body: EmailSignInBody, client: ClientInfo): Promise<void> {
      const limits = wired(deps.rateLimits, 'the email sign-in rate limits');
      await auditedLimit(limits.checkEmailSignInIp(client.ip), audit, 'email_sign_in_ip', client.ip);
      await wired(deps.mail, 'the email sign-in mail queue').enqueue({
        kind: 'email-sign-in',
        email: body.email,
      });
      audit.record('mail_requested', { mail: 'email-sign-in' });
    },

    /**
     * Follows a sign-in mail, by its link (`token`) or its address and code: signs in the account
     * that has the address — made now when there is none (`created`) — and marks the email verified;
     * with a second factor on, 403 `mfa_required` instead of a session.
     */
    async confirm(
      body: EmailSignInConfirmBody,
      client: ClientInfo,
    ): Promise<{ user: User; session: SessionTokens; created: boolean }> {
      const via = body.token !== undefined ? 'link' : 'code';
      const refused = () => (via === 'link' ? problem('link_invalid') : problem('sign_in_code_invalid'));
      let pending =
        body.token !== undefined
          ? await byLink(body.token)
          : await byCode(body.email as string, body.code as string, client);
      // The address may change hands between the two steps (a registration, a deletion): step two
      // then answers its owner now, and is tried once more with that account's keys.
      for (let tries = 0; tries < 2; tries++) {
        const create = pending.userId === '';
        if (create && !settings.signUp) break;
        const userId = create ? newId('usr') : pending.userId;
        const opened = sessions.open(userId, client);
        const mfa = newMfaToken(userId);
        const outcome = await stored().complete(
          {
            ...pending,
            userId,
            create,
            name: nameFromEmail(pending.email),
            counted: via === 'code',
            client: clientKey(client.ip),
          },
          opened.record,
          { id: mfa.loginId, hash: hashRefreshToken(mfa.token), ttlMs: MFA_LOGIN_TTL_MS },
          now(),
        );
        if (outcome.status === 'moved') {
          pending = { ...pending, userId: outcome.owner };
          continue;
        }
        if (outcome.status === 'invalid') break;
        if (outcome.status === 'mfa_required') {
          audit.record('mfa_required', { userId, ip: client.ip, via });
          throw new MfaRequiredError(
            mfa.token,
            outcome.methods,
            'The mail is right; complete the sign-in with a second factor (POST /sessions/mfa).',
          );
        }
        if (outcome.created)
          audit.record('registered', { userId, sessionId: opened.record.id, ip: client.ip, via });
        audit.record('logged_in', { userId, sessionId: opened.record.id, ip: client.ip, via });
        return {
          user: outcome.user,
          session: await opened.tokens({ method: 'email', user: outcome.user }),
          created: outcome.created,
        };
      }
      audit.record(via === 'link' ? 'link_refused' : 'login_failed', {
        ip: client.ip,
        reason: 'invalid_link',
        via,
      });
      throw refused();
    },
  };
}
