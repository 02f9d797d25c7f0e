import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import { EMAIL_REVERT_TTL_SECONDS, type MailLinks } from '../mail/service';
import { identityCleanupArgs } from '../oauth/identity-cleanup';
import { type NewSession, toPublicUser, type User } from '../records';
import { scriptRunner } from '../script-runner';
import * as scripts from '../scripts';
import { hashRefreshToken, linkTokenUser, newLinkToken } from '../tokens';

/** Lifetimes of mailed links, by purpose. */
export interface LinkSettings {
  emailVerificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
}

/** Who a live reset link is for: what the new password is checked against. */
export interface ResetTarget {
  userId: string;
  name: string;
  email: string;
}

/** The request side of mailed links: following them (three stores, so each function bundles its own scripts). */
export type LinkStore = VerificationLinks & RevertLinks & ResetLinks;

/** Following a verification link. */
export interface VerificationLinks {
  /**
   * Marks the address verified if `token` is its live verification link, and spends it — for a
   * pending email change's new address, the change completes ('email_taken' if someone took the
   * address meanwhile). Null: invalid.
   */
  consumeVerification(token: string, now: number): Promise<User | 'email_taken' | null>;
}

/** Following an email change's revert link. */
export interface RevertLinks {
  /**
   * Reverts an email change from the old address's link (see scripts.REVERT_EMAIL_CHANGE): the
   * user, with how many sessions went; 'email_taken' when the old address is taken; null: invalid.
   */
  revertEmailChange(
    token: string,
    now: number,
  ): Promise<{ user: User; revoked: number } | 'email_taken' | null>;
}

/** Following a reset link. */
export interface ResetLinks {
  /** Whose live reset link `token` is, or null (nothing is spent). */
  peekReset(token: string, now: number): Promise<ResetTarget | null>;
  /** Completes the reset (see scripts.COMPLETE_RESET); null when the link is no longer live. */
  completeReset(
    token: string,
    target: ResetTarget,
    newHash: string,
    removePasskeys: boolean,
    session: NewSession | null,
    now: number,
  ): Promise<{ user: User; revoked: number; secondFactor: boolean; reclaimed: boolean } | null>;
}

const sessionArgs = (session: NewSession): scripts.SessionArgs => ({ ...session });

/** The mail function's side: issuing links (lib/mail/service.ts). Each new link kills the older one. */
export function createMailLinks(datastore: Datastore, keys: Keys, settings: LinkSettings): MailLinks {
  const run = scriptRunner(datastore, keys);
  const issueVerification = run(scripts.ISSUE_VERIFICATION);
  const findCredential = run(scripts.FIND_CREDENTIAL);
  const issueReset = run(scripts.ISSUE_RESET);
  const issueRevert = run(scripts.ISSUE_REVERT);
  return {
    async issueVerification(userId, now) {
      const token = newLinkToken(userId);
      const reply = await issueVerification({
        userId,
        tokenHash: hashRefreshToken(token),
        now,
        ttlMs: settings.emailVerificationTtlSeconds * 1000,
      });
      return reply.status === 'ok' && reply.email ? { email: reply.email, token } : null;
    },
    async issueRevert(userId, oldEmail, now) {
      const token = newLinkToken(userId);
      const reply = await issueRevert({
        userId,
        oldEmail,
        tokenHash: hashRefreshToken(token),
        now,
        ttlMs: EMAIL_REVERT_TTL_SECONDS * 1000,
      });
      return reply.status === 'ok' ? { token } : null;
    },
    async issueReset(email, now) {
      // The credential names the user whose links key the issuing script declares; the script
      // checks that the email still is that user's (read, then compare-and-set).
      const found = await findCredential({ email });
      if (found.status !== 'ok' || !found.userId) return null;
      const token = newLinkToken(found.userId);
      const reply = await issueReset({
        email,
        userId: found.userId,
        tokenHash: hashRefreshToken(token),
        now,
        ttlMs: settings.passwordResetTtlSeconds * 1000,
      });
      return reply.status === 'ok' ? { token } : null;
    },
  };
}

/** Every link store (tests and fixtures); a function builds only the one it follows. */
export function createLinkStore(datastore: Datastore, keys: Keys): LinkStore {
  return {
    ...createVerificationLinks(datastore, keys),
    ...createRevertLinks(datastore, keys),
    ...createResetLinks(datastore, keys),
  };
}

/** Builds the verification links' store on a datastore, with its key map. */
export function createVerificationLinks(datastore: Datastore, keys: Keys): VerificationLinks {
  const run = scriptRunner(datastore, keys);
  const consumeVerification = run(scripts.CONSUME_VERIFICATION);
  const completeEmailChange = run(scripts.COMPLETE_EMAIL_CHANGE);
  return {
    async consumeVerification(token, now) {
      const userId = linkTokenUser(token);
      if (!userId) return null;
      const tokenHash = hashRefreshToken(token);
      const reply = await consumeVerification({ userId, tokenHash, now, ...identityCleanupArgs(0) });
      if (reply.status === 'pending_change') {
        // Read, then compare-and-set: the credential keys of a change are known once the link is read.
        const moved = await completeEmailChange({
          userId,
          tokenHash,
          oldEmail: String(reply.oldEmail),
          newEmail: String(reply.newEmail),
          now,
        });
        if (moved.status === 'email_taken') return 'email_taken';
        return moved.status === 'ok' && moved.user ? toPublicUser(moved.user) : null;
      }
      return reply.status === 'ok' && reply.user ? toPublicUser(reply.user) : null;
    },
  };
}

/** Builds the revert links' store on a datastore, with its key map. */
export function createRevertLinks(datastore: Datastore, keys: Keys): RevertLinks {
  const run = scriptRunner(datastore, keys);
  const peekRevert = run(scripts.PEEK_REVERT);
  const revert = run(scripts.REVERT_EMAIL_CHANGE);
  return {
    async revertEmailChange(token, now) {
      const userId = linkTokenUser(token);
      if (!userId) return null;
      const tokenHash = hashRefreshToken(token);
      const peeked = await peekRevert({ userId, tokenHash, now });
      if (peeked.status !== 'ok') return null;
      const reply = await revert({
        userId,
        tokenHash,
        oldEmail: String(peeked.oldEmail),
        currentEmail: String(peeked.currentEmail),
        now,
      });
      if (reply.status === 'email_taken') return 'email_taken';
      return reply.status === 'ok' && reply.user
        ? { user: toPublicUser(reply.user), revoked: Number(reply.revoked) }
        : null;
    },
  };
}

/** Builds the reset links' store on a datastore, with its key map. */
export function createResetLinks(datastore: Datastore, keys: Keys): ResetLinks {
  const run = scriptRunner(datastore, keys);
  const peekReset = run(scripts.PEEK_RESET);
  const completeReset = run(scripts.COMPLETE_RESET);
  return {
    async peekReset(token, now) {
      const userId = linkTokenUser(token);
      if (!userId) return null;
      const reply = await peekReset({ userId, tokenHash: hashRefreshToken(token), now });
      return reply.status === 'ok' && reply.email
        ? { userId, name: String(reply.name), email: reply.email }
        : null;
    },
    async completeReset(token, target, newHash, removePasskeys, session, now) {
      const reply = await completeReset({
        userId: target.userId,
        email: target.email,
        tokenHash: hashRefreshToken(token),
        newHash,
        removePasskeys,
        ...identityCleanupArgs(0),
        now,
        session: session ? sessionArgs(session) : null,
      });
      return reply.status === 'ok' && reply.user
        ? {
            user: toPublicUser(reply.user),
            revoked: Number(reply.revoked),
            secondFactor: reply.secondFactor === true,
            reclaimed: reply.reclaimed === true,
          }
        : null;
    },
  };
}
