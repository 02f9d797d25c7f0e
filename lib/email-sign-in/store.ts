import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import { LOGIN_BACKOFF, LOGIN_CEILING } from '../rate-limits';
import { type NewSession, toPublicUser, type User } from '../records';
import { scriptRunner } from '../script-runner';
import * as core from '../scripts';
import { hashRefreshToken } from '../tokens';
import { hashSignInCode, MAX_CODE_ATTEMPTS, newPairId, newSignInCode, newSignInToken } from './pair';
import * as scripts from './scripts';

/** A live sign-in mail, as step one found it: its id, its address, and who has the address now ('' = nobody). */
export interface PendingSignIn {
  id: string;
  email: string;
  userId: string;
}

/** What the code's step one found: a right code, or why not. */
export type CodeOutcome =
  | { status: 'ok'; pending: PendingSignIn }
  | { status: 'wrong' | 'used_up' | 'invalid' }
  | { status: 'locked'; lockedUntil: number; ceiling: boolean };

/** What step two did. */
export type CompleteOutcome =
  | { status: 'ok'; user: User; created: boolean }
  | { status: 'mfa_required'; methods: string[] }
  | { status: 'moved'; owner: string }
  | { status: 'invalid' };

/** A log-in that will wait for a second factor if the account has one: its mfaToken's id and hash. */
export interface WaitingLogin {
  id: string;
  hash: string;
  ttlMs: number;
}

/** The request side: following a sign-in mail (`POST /sessions/email/confirm`). */
export interface EmailSignInStore {
  /** Whose live sign-in the link token is; null when it is not a live one. Spends nothing. */
  peekLink(selector: string, token: string, now: number): Promise<PendingSignIn | null>;
  /** Counts a code try up front (see scripts.BEGIN_SIGN_IN_CODE), then compares it. */
  beginCode(email: string, code: string, client: string, now: number): Promise<CodeOutcome>;
  /** Spends the sign-in and signs in (see scripts.COMPLETE_EMAIL_SIGN_IN). */
  complete(
    target: PendingSignIn & { create: boolean; name: string; counted: boolean; client: string },
    session: NewSession,
    waiting: WaitingLogin,
    now: number,
  ): Promise<CompleteOutcome>;
}

/** The mail function's side: issuing a sign-in mail's secrets. */
export interface EmailSignInIssuer {
  /** Whether the address has an account (decides, with sign-up off, whether a mail goes out). */
  hasAccount(email: string): Promise<boolean>;
  /**
   * A new link token and code for the address (the older pair dies); `newAccount` when the
   * address has no account (the mail offers one). Null when it has none and `signUp` is off.
   */
  issue(
    email: string,
    signUp: boolean,
    now: number,
  ): Promise<{ token: string; code: string; newAccount: boolean } | null>;
}

/** Builds the request side on a datastore; `codeKey` hashes codes (pair.codeHashKey). */
export function createEmailSignInStore(datastore: Datastore, keys: Keys, codeKey: Buffer): EmailSignInStore {
  const run = scriptRunner(datastore, keys);
  const peek = run(scripts.PEEK_SIGN_IN_LINK);
  const begin = run(scripts.BEGIN_SIGN_IN_CODE);
  const complete = run(scripts.COMPLETE_EMAIL_SIGN_IN);
  const pending = (reply: scripts.SignInReply): PendingSignIn => ({
    id: reply.id,
    email: reply.email,
    userId: reply.userId,
  });
  return {
    async peekLink(selector, token, now) {
      const reply = await peek({ selector, tokenHash: hashRefreshToken(token), now });
      return reply.status === 'ok' ? pending(reply) : null;
    },
    async beginCode(email, code, client, now) {
      const reply = await begin({
        email,
        codeHash: hashSignInCode(codeKey, email, code),
        client,
        now,
        maxAttempts: MAX_CODE_ATTEMPTS,
        backoff: LOGIN_BACKOFF,
        ceiling: LOGIN_CEILING,
      });
      switch (reply.status) {
        case 'ok':
          return { status: 'ok', pending: pending(reply) };
        case 'locked':
          return {
            status: 'locked',
            lockedUntil: Number(reply.lockedUntil),
            ceiling: reply.ceiling === true,
          };
        case 'wrong':
        case 'used_up':
          return { status: reply.status };
        default:
          return { status: 'invalid' };
      }
    },
    async complete(target, session, waiting, now) {
      const reply = await complete({
        id: target.id,
        email: target.email,
        userId: target.userId,
        create: target.create,
        name: target.name,
        counted: target.counted,
        client: target.client,
        now,
        session: { ...session },
        mfaLogin: { ...waiting, userAgent: session.userAgent },
      });
      switch (reply.status) {
        case 'ok':
          return { status: 'ok', user: toPublicUser(reply.user), created: reply.created === true };
        case 'mfa_required':
          return { status: 'mfa_required', methods: reply.methods };
        case 'moved':
          return { status: 'moved', owner: reply.owner };
        default:
          return { status: 'invalid' };
      }
    },
  };
}

/** Builds the mail function's side on a datastore. */
export function createEmailSignInIssuer(
  datastore: Datastore,
  keys: Keys,
  settings: { codeKey: Buffer; ttlSeconds: number },
): EmailSignInIssuer {
  const run = scriptRunner(datastore, keys);
  const find = run(core.FIND_CREDENTIAL);
  const issue = run(scripts.ISSUE_EMAIL_SIGN_IN);
  return {
    async hasAccount(email) {
      return (await find({ email })).status === 'ok';
    },
    async issue(email, signUp, now) {
      const token = newSignInToken(email);
      const code = newSignInCode();
      const reply = await issue({
        id: newPairId(),
        email,
        tokenHash: hashRefreshToken(token),
        codeHash: hashSignInCode(settings.codeKey, email, code),
        signUp,
        now,
        ttlMs: settings.ttlSeconds * 1000,
      });
      return reply.status === 'ok' ? { token, code, newAccount: reply.newAccount === true } : null;
    },
  };
}
