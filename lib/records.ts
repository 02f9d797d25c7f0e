import type * as z from 'zod/mini';
import type * as resources from './resources';
import type { PublicUserReply, ReauthStartReply } from './scripts';

/**
 * The shapes every store shares: a user as stored and as answered, a session about to be opened,
 * the caller named by a token. Flat core, so that no feature imports another feature's store.
 */

/** A user as stored: the public fields plus the password hash. Times are epoch milliseconds. */
export interface StoredUser {
  id: string;
  name: string;
  email: string;
  emailVerified: boolean;
  /** A changed address waiting to be proved; the old one stays the credential until then. */
  pendingEmail?: string | null;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

/** The only user shape that ever leaves the service (README "API", `User`; its schema in lib/resources.ts). */
export type User = z.infer<typeof resources.User>;

/** A session about to be opened: its id, the hash of its first refresh token, lifetime and client. */
export interface NewSession {
  id: string;
  refreshHash: string;
  ttlMs: number;
  userAgent: string;
}

/** The token claims that name an authenticated caller. */
export interface Caller {
  userId: string;
  sessionId: string;
}

export type Raw = Record<string, string | undefined>;

/** Epoch milliseconds as stored (number or Redis string) → the API's ISO 8601 UTC string. */
export const iso = (ms: number | string | undefined): string => new Date(Number(ms)).toISOString();

/**
 * Orders two strings by UTF-16 code unit — for the ISO 8601 times `iso` writes, time order; for ids, a
 * stable order. Lists sort with it, never with `localeCompare`: that builds an ICU collator on its
 * first call, ≈12 ms of a cold start (docs/performance.md), to order strings that need no locale.
 */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Picks the public fields, so a hash can never slip into a response by spreading. */
export const toPublicUser = (u: Raw | PublicUserReply | StoredUser): User => ({
  id: String(u.id),
  name: String(u.name),
  email: String(u.email),
  // Stored as '1' in the user's hash; accounts from before version 2 have no field: unverified.
  emailVerified: u.emailVerified === true || u.emailVerified === '1',
  pendingEmail: typeof u.pendingEmail === 'string' && u.pendingEmail !== '' ? u.pendingEmail : null,
  createdAt: iso(u.createdAt),
  updatedAt: iso(u.updatedAt),
});

export const toStoredUser = (u: Raw): StoredUser => ({
  id: String(u.id),
  name: String(u.name),
  email: String(u.email),
  emailVerified: u.emailVerified === '1',
  pendingEmail: u.pendingEmail ?? null,
  passwordHash: String(u.passwordHash),
  createdAt: Number(u.createdAt),
  updatedAt: Number(u.updatedAt),
});

/** A log-in back-off: after `threshold` failures, 2^(n−threshold) s, capped; forgotten after `memorySeconds`. */
export interface LoginBackoff {
  threshold: number;
  capSeconds: number;
  memorySeconds: number;
}

/** An account-wide ceiling on log-in failures, whatever the client: `limit` per `windowMs`. */
export interface LoginCeiling {
  limit: number;
  windowMs: number;
}

/** The limits a re-entered password is counted on: this session's back-off, the user's ceiling. */
export interface ReauthLimits {
  backoff: LoginBackoff;
  ceiling: LoginCeiling;
}

/** What the start of a re-entered password found: the user (with what else was read), or a refusal. */
export type ReauthStart<U> =
  | { status: 'ok'; user: U; sessionCreatedAt: number }
  | { status: 'locked'; lockedUntil: number }
  | { status: 'ceiling' }
  | { status: 'unauthorized' };

/** Maps a BEGIN_REAUTH-like reply; `user` turns its `ok` reply into the caller's user. */
export function reauthStart<R extends { status: 'ok'; user: Raw; sessionCreatedAt: number }, U>(
  reply: R | Exclude<ReauthStartReply, { status: 'ok' }>,
  user: (reply: R) => U,
): ReauthStart<U> {
  if (reply.status === 'locked')
    return reply.ceiling
      ? { status: 'ceiling' }
      : { status: 'locked', lockedUntil: Number(reply.lockedUntil) };
  if (reply.status === 'ok' && reply.user)
    return { status: 'ok', user: user(reply), sessionCreatedAt: Number(reply.sessionCreatedAt) };
  return { status: 'unauthorized' };
}

/** Outcomes of a change guarded by the session check and, where a password was verified, the hash. */
export type GuardedResult<T> =
  | { status: 'ok'; value: T }
  | { status: 'unauthorized' | 'stale' | 'email_taken' | 'not_found' };

/** A caller's user, as the session check found it. */
export type AuthenticatedUser = StoredUser;
