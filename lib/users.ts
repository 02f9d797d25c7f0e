import type * as z from 'zod/mini';
import type { Datastore } from './datastore';
import type { Keys } from './keys';
import { identityCleanupArgs } from './oauth/identity-cleanup';
import type * as resources from './resources';
import * as scripts from './scripts';
import { touchIfStale } from './sessions/touch';

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

/** The token claims that name an authenticated caller. */
export interface Caller {
  userId: string;
  sessionId: string;
}

export type Raw = Record<string, string | undefined>;

/** Epoch milliseconds as stored (number or Redis string) → the API's ISO 8601 UTC string. */
export const iso = (ms: number | string | undefined): string => new Date(Number(ms)).toISOString();

/** Picks the public fields, so a hash can never slip into a response by spreading. */
export const toPublicUser = (u: Raw | scripts.PublicUserReply | StoredUser): User => ({
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
  reply: R | Exclude<scripts.ReauthStartReply, { status: 'ok' }>,
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
  /** The caller's user if its session is alive, else null. Read-only; touches `lastUsedAt` when stale. */
  authenticate(caller: Caller, now: number): Promise<AuthenticatedUser | null>;
}

/** User records in Redis. Every method is one round trip; every change is one atomic script. */
export interface UserStore extends UserReader {
  /** Creates the user, and its first session unless `session` is null, unless the email is taken. */
  register(user: StoredUser, session: NewSession | null): Promise<'ok' | 'email_taken'>;
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

/**
 * Runs `script` with named arguments: its own `encode` puts keys and arguments in place, and the
 * answer is typed as the script declares beside its Lua. A read-only script runs with
 * EVALSHA_RO; when it checked the caller's session (it answers `lastUsedAt`), the session is
 * touched if stale (lib/sessions/touch.ts).
 */
export const scriptRunner =
  (datastore: Datastore, keys: Keys) =>
  <A, R extends { status: string }>(script: scripts.Script<A, R>) => {
    const runner = datastore.script(script.lua, { readOnly: script.readOnly === true });
    return async (args: A): Promise<R> => {
      const { keys: declared, argv } = script.encode(keys, args);
      // The one place a reply is taken to be what its script declares: the datastore decoded its
      // JSON (a reply that is not JSON is a 503 there), and the type sits beside the Lua that builds it.
      const reply = (await runner(declared, argv)) as R;
      if (script.readOnly) await touchIfStale(datastore, keys, args as Caller & { now: number }, reply);
      return reply;
    };
  };

const sessionArgs = (session: NewSession): scripts.SessionArgs => ({
  id: session.id,
  refreshHash: session.refreshHash,
  ttlMs: session.ttlMs,
  userAgent: session.userAgent,
});

/** Builds the read side alone, so functions that never write a user bundle none of the write scripts. */
export function createUserReader(datastore: Datastore, keys: Keys): UserReader {
  const authenticate = scriptRunner(datastore, keys)(scripts.AUTHENTICATE);
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
    async register(user, session) {
      const reply = await register({
        userId: user.id,
        name: user.name,
        email: user.email,
        passwordHash: user.passwordHash,
        now: user.createdAt,
        session: session ? sessionArgs(session) : null,
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
