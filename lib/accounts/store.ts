import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import { identityCleanupArgs } from '../oauth/identity-cleanup';
import {
  type AuthenticatedUser,
  type Caller,
  type GuardedResult,
  type LoginBackoff,
  type LoginCeiling,
  type NewSession,
  type ReauthLimits,
  type ReauthStart,
  reauthStart,
  type StoredUser,
  toPublicUser,
  toStoredUser,
  type User,
} from '../records';
import { scriptRunner } from '../script-runner';
import * as scripts from '../scripts';

/** What log-in finds for an email: the account's id and password hash. */
export interface Credential {
  userId: string;
  email: string;
  passwordHash: string;
  /** Whether this attempt counts on the account-wide ceiling (not from a known device). */
  ceilingCounted: boolean;
}

/** The read every function needs: the session check, with the user. */
export interface UserReader {
  /** The caller's user if its session is alive, else null. Read-only; touches `lastUsedAt` when stale where built to. */
  authenticate(caller: Caller, now: number): Promise<AuthenticatedUser | null>;
}

/** User records in Redis. Every method is one round trip; every change is one atomic script. */
export interface UserStore extends UserReader {
  /**
   * Creates the user and, unless `session` is null, its first session and its first device
   * (`device`, the registering client's: lib/notices) — unless the email is taken.
   */
  register(user: StoredUser, session: NewSession | null, device: string): Promise<'ok' | 'email_taken'>;
  /**
   * Starts a log-in: unless the back-off of this (email, client) or the email's ceiling is
   * running, counts the attempt on both (a success takes it back) and returns the credential of
   * this canonical email, or null; else the deadline, and whether it is the ceiling's.
   */
  beginLogin(
    email: string,
    client: string,
    now: number,
    limits: { backoff: LoginBackoff; ceiling: LoginCeiling },
    deviceUserId: string | null,
  ): Promise<
    | { status: 'ok'; credential: Credential | null }
    | { status: 'locked'; lockedUntil: number }
    | { status: 'ceiling' }
  >;
  /**
   * Opens a session if the hash is still `verifiedHash`; stores `newHash` when re-hashing; clears
   * the back-off. 'unverified' when `requireVerified` and the email is not; 'disabled' when an
   * operator disabled the account; null when stale. With
   * a second factor on, stores `mfaLogin` instead and answers the factors the account has.
   */
  openSession(
    credential: Credential,
    client: string,
    verifiedHash: string,
    newHash: string | null,
    requireVerified: boolean,
    session: NewSession,
    mfaLogin: scripts.MfaLoginArgs,
    now: number,
  ): Promise<User | 'unverified' | 'disabled' | { mfaRequired: string[] } | null>;
  /**
   * The session check for a re-entered password: the user, once this attempt is counted on the
   * user's re-authentication back-off (cleared by the change that follows a correct password).
   */
  beginReauth(caller: Caller, now: number, limits: ReauthLimits): Promise<ReauthStart<AuthenticatedUser>>;
  /** Clears the session's re-authentication back-off (a correct password that changed nothing). */
  clearReauth(caller: Caller): Promise<void>;
  rename(caller: Caller, name: string, now: number): Promise<GuardedResult<User>>;
  /**
   * Changes the account's email — pending until proved when the current one is, else at once
   * (`pending` says which) — and renames it when `name` is given.
   */
  changeEmail(
    caller: Caller,
    change: { oldEmail: string; newEmail: string; name: string | null; verifiedHash: string },
    now: number,
  ): Promise<GuardedResult<{ user: User; pending: boolean }>>;
  /** Sets a new hash and revokes every session of the user but the caller's. */
  changePassword(
    caller: Caller,
    change: { email: string; verifiedHash: string; newHash: string },
    now: number,
  ): Promise<GuardedResult<number>>;
  /** Deletes the user, frees its email and revokes all its sessions. */
  deleteAccount(
    caller: Caller,
    change: { email: string; verifiedHash: string },
    now: number,
  ): Promise<GuardedResult<number>>;
}

const sessionArgs = (session: NewSession): scripts.SessionArgs => ({
  id: session.id,
  refreshHash: session.refreshHash,
  ttlMs: session.ttlMs,
  userAgent: session.userAgent,
});

/**
 * Builds the read side alone, so functions that never write a user bundle none of the write scripts.
 * `sessionTouch` (lib/sessions/touch.ts `touchIfStale`) follows each check where the function's
 * reads should refresh the session's `lastUsedAt` (the profile read, asking for a verification
 * mail); elsewhere the check (before refusing a body, the claims hook's user) writes nothing.
 */
export function createUserReader(
  datastore: Datastore,
  keys: Keys,
  sessionTouch?: scripts.AfterRead,
): UserReader {
  const authenticate = scriptRunner(
    datastore,
    keys,
  )(sessionTouch ? { ...scripts.AUTHENTICATE, afterRead: sessionTouch } : scripts.AUTHENTICATE);
  return {
    async authenticate(caller, now) {
      const reply = await authenticate({ userId: caller.userId, sessionId: caller.sessionId, now });
      return reply.status === 'ok' && reply.user ? toStoredUser(reply.user) : null;
    },
  };
}

/**
 * Builds the start of a re-entered password alone (BEGIN_REAUTH), for the services that need
 * nothing else of the user store: their functions then bundle none of the other user scripts.
 */
export function createReauthStore(datastore: Datastore, keys: Keys): Pick<UserStore, 'beginReauth'> {
  const beginReauth = scriptRunner(datastore, keys)(scripts.BEGIN_REAUTH);
  return {
    async beginReauth(caller, now, limits) {
      const reply = await beginReauth({ userId: caller.userId, sessionId: caller.sessionId, now, ...limits });
      return reauthStart(reply, (r) => toStoredUser(r.user));
    },
  };
}

/** Builds the user store on a datastore, with its key map. */
export function createUserStore(datastore: Datastore, keys: Keys): UserStore {
  const run = scriptRunner(datastore, keys);
  const register = run(scripts.REGISTER);
  const beginLogin = run(scripts.BEGIN_LOGIN);
  const login = run(scripts.LOGIN);
  const clearReauth = run(scripts.CLEAR_REAUTH);
  const rename = run(scripts.RENAME);
  const changeEmail = run(scripts.CHANGE_EMAIL);
  const changePassword = run(scripts.CHANGE_PASSWORD);
  const deleteAccount = run(scripts.DELETE_ACCOUNT);
  const at = (caller: Caller, now: number) => ({ userId: caller.userId, sessionId: caller.sessionId, now });

  return {
    ...createUserReader(datastore, keys),
    ...createReauthStore(datastore, keys),
    async register(user, session, device) {
      const reply = await register({
        userId: user.id,
        name: user.name,
        email: user.email,
        passwordHash: user.passwordHash,
        now: user.createdAt,
        session: session ? sessionArgs(session) : null,
        device,
      });
      return reply.status === 'ok' ? 'ok' : 'email_taken';
    },
    async beginLogin(email, client, now, { backoff, ceiling }, deviceUserId) {
      const reply = await beginLogin({ email, client, now, backoff, ceiling, deviceUserId });
      if (reply.status === 'locked')
        return reply.ceiling
          ? { status: 'ceiling' }
          : { status: 'locked', lockedUntil: Number(reply.lockedUntil) };
      return {
        status: 'ok',
        credential: reply.userId
          ? {
              userId: reply.userId,
              email,
              passwordHash: String(reply.passwordHash),
              ceilingCounted: reply.ceilingCounted !== false,
            }
          : null,
      };
    },
    async openSession(credential, client, verifiedHash, newHash, requireVerified, session, mfaLogin, now) {
      const reply = await login({
        userId: credential.userId,
        email: credential.email,
        client,
        verifiedHash,
        newHash,
        requireVerified,
        ceilingCounted: credential.ceilingCounted,
        now,
        session: sessionArgs(session),
        mfaLogin,
      });
      if (reply.status === 'unverified' || reply.status === 'disabled') return reply.status;
      if (reply.status === 'mfa_required') return { mfaRequired: reply.methods ?? [] };
      return reply.status === 'ok' && reply.user ? toPublicUser(reply.user) : null;
    },
    async clearReauth(caller) {
      await clearReauth({ userId: caller.userId, sessionId: caller.sessionId });
    },
    async rename(caller, name, now) {
      const reply = await rename({ ...at(caller, now), name });
      return reply.status === 'ok'
        ? { status: 'ok', value: toPublicUser(reply.user) }
        : { status: reply.status };
    },
    async changeEmail(caller, change, now) {
      const reply = await changeEmail({ ...at(caller, now), ...change });
      return reply.status === 'ok'
        ? { status: 'ok', value: { user: toPublicUser(reply.user), pending: reply.pending === true } }
        : { status: reply.status };
    },
    async changePassword(caller, change, now) {
      const reply = await changePassword({ ...at(caller, now), ...change });
      return reply.status === 'ok'
        ? { status: 'ok', value: Number(reply.revoked) }
        : { status: reply.status };
    },
    async deleteAccount(caller, change, now) {
      const reply = await deleteAccount({ ...at(caller, now), ...change, ...identityCleanupArgs(12) });
      return reply.status === 'ok'
        ? { status: 'ok', value: Number(reply.revoked) }
        : { status: reply.status };
    },
  };
}

export {
  type AuthenticatedUser,
  type Caller,
  type GuardedResult,
  iso,
  type LoginBackoff,
  type LoginCeiling,
  type NewSession,
  type Raw,
  type ReauthLimits,
  type ReauthStart,
  reauthStart,
  type StoredUser,
  toPublicUser,
  toStoredUser,
  type User,
} from '../records';
export { scriptRunner } from '../script-runner';
