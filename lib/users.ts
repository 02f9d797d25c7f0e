import type { Datastore } from './datastore';
import * as scripts from './scripts';

/** A user as stored: the public fields plus the password hash. Times are epoch milliseconds. */
export interface StoredUser {
  id: string;
  name: string;
  email: string;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
}

/** The only user shape that ever leaves the service (API.md `User`). */
export interface User {
  id: string;
  name: string;
  email: string;
  createdAt: string;
  updatedAt: string;
}

/** A session about to be opened: its id, the hash of its first refresh token, lifetime and client. */
export interface NewSession {
  id: string;
  refreshHash: string;
  ttlMs: number;
  userAgent: string;
}

/** Per-account log-in back-off: after `threshold` failures, 2^(n−threshold) s, capped; forgotten after `memorySeconds`. */
export interface LoginBackoff {
  threshold: number;
  capSeconds: number;
  memorySeconds: number;
}

/** The token claims that name an authenticated caller. */
export interface Caller {
  userId: string;
  sessionId: string;
}

type Raw = Record<string, string | undefined>;

/** Epoch milliseconds as stored (number or Redis string) → the API's ISO 8601 UTC string. */
export const iso = (ms: number | string | undefined): string => new Date(Number(ms)).toISOString();

/** Picks the public fields, so a hash can never slip into a response by spreading. */
export const toPublicUser = (u: Raw | StoredUser): User => ({
  id: String(u.id),
  name: String(u.name),
  email: String(u.email),
  createdAt: iso(u.createdAt),
  updatedAt: iso(u.updatedAt),
});

const toStoredUser = (u: Raw): StoredUser => ({
  id: String(u.id),
  name: String(u.name),
  email: String(u.email),
  passwordHash: String(u.passwordHash),
  createdAt: Number(u.createdAt),
  updatedAt: Number(u.updatedAt),
});

interface Reply {
  status: string;
  user?: Raw;
  lockedUntil?: number;
  revoked?: number;
}

/** Outcomes of a change guarded by the session check and, where a password was verified, the hash. */
export type GuardedResult<T> =
  | { status: 'ok'; value: T }
  | { status: 'unauthorized' | 'stale' | 'email_taken' | 'not_found' };

/** A caller's user with its account back-off deadline (epoch ms, 0 when none). */
export type AuthenticatedUser = StoredUser & { lockedUntil: number };

/** The read every function needs: the session check, with the user. */
export interface UserReader {
  /** The caller's user if its session is alive, else null. Touches the session's `lastUsedAt`. */
  authenticate(caller: Caller, now: number): Promise<AuthenticatedUser | null>;
}

/** User records in Redis. Every method is one round trip; every change is one atomic script. */
export interface UserStore extends UserReader {
  /** Creates the user and its first session unless the email is taken. */
  register(user: StoredUser, session: NewSession): Promise<'ok' | 'email_taken'>;
  /**
   * Starts a log-in: if the email's back-off is not running, counts the attempt (a success
   * clears it) and returns the user with this canonical email, or null; else returns the deadline.
   */
  beginLogin(
    email: string,
    now: number,
    backoff: LoginBackoff,
  ): Promise<{ status: 'ok'; user: StoredUser | null } | { status: 'locked'; lockedUntil: number }>;
  /** Counts a wrong current password towards the account's back-off; returns the deadline (epoch ms, 0 if none). */
  recordPasswordFailure(email: string, now: number, backoff: LoginBackoff): Promise<number>;
  /** Opens a session if the hash is still `verifiedHash`; stores `newHash` when re-hashing. Clears the back-off. */
  openSession(
    user: StoredUser,
    verifiedHash: string,
    newHash: string | null,
    session: NewSession,
    now: number,
  ): Promise<User | null>;
  updateProfile(
    caller: Caller,
    change: { name?: string; email?: string; verifiedHash?: string },
    now: number,
  ): Promise<GuardedResult<User>>;
  /** Sets a new hash and revokes every session of the user but the caller's. */
  changePassword(
    caller: Caller,
    verifiedHash: string,
    newHash: string,
    now: number,
  ): Promise<GuardedResult<number>>;
  /** Deletes the user, frees its email and revokes all its sessions. */
  deleteAccount(caller: Caller, verifiedHash: string, now: number): Promise<GuardedResult<number>>;
}

const scriptRunner = (datastore: Datastore, prefix: string) => (lua: string) => {
  const runner = datastore.script(lua);
  return async (keys: string[], args: (string | number)[]) =>
    (await runner(keys, [prefix, ...args])) as Reply;
};

const callerArgs = (caller: Caller, now: number) => [caller.userId, caller.sessionId, now];

/** Builds the read side alone, so functions that never write a user bundle none of the write scripts. */
export function createUserReader(datastore: Datastore, prefix: string): UserReader {
  const authenticate = scriptRunner(datastore, prefix)(scripts.AUTHENTICATE);
  return {
    async authenticate(caller, now) {
      const reply = await authenticate([], callerArgs(caller, now));
      if (reply.status !== 'ok' || !reply.user) return null;
      return { ...toStoredUser(reply.user), lockedUntil: Number(reply.lockedUntil ?? 0) };
    },
  };
}

/** Builds the user store on a datastore under a key prefix. */
export function createUserStore(datastore: Datastore, prefix: string): UserStore {
  const run = scriptRunner(datastore, prefix);
  const register = run(scripts.REGISTER);
  const beginLogin = run(scripts.BEGIN_LOGIN);
  const recordPasswordFailure = run(scripts.RECORD_PASSWORD_FAILURE);
  const login = run(scripts.LOGIN);
  const updateProfile = run(scripts.UPDATE_PROFILE);
  const changePassword = run(scripts.CHANGE_PASSWORD);
  const deleteAccount = run(scripts.DELETE_ACCOUNT);

  return {
    ...createUserReader(datastore, prefix),
    async register(user, session) {
      const reply = await register(
        [],
        [
          user.id,
          user.name,
          user.email,
          user.passwordHash,
          user.createdAt,
          session.id,
          session.refreshHash,
          session.ttlMs,
          session.userAgent,
        ],
      );
      return reply.status === 'ok' ? 'ok' : 'email_taken';
    },
    async beginLogin(email, now, backoff) {
      const reply = await beginLogin(
        [],
        [email, now, backoff.threshold, backoff.capSeconds, backoff.memorySeconds],
      );
      if (reply.status === 'locked') return { status: 'locked', lockedUntil: Number(reply.lockedUntil) };
      return { status: 'ok', user: reply.user ? toStoredUser(reply.user) : null };
    },
    async recordPasswordFailure(email, now, backoff) {
      const reply = await recordPasswordFailure(
        [],
        [email, now, backoff.threshold, backoff.capSeconds, backoff.memorySeconds],
      );
      return Number(reply.lockedUntil ?? 0);
    },
    async openSession(user, verifiedHash, newHash, session, now) {
      const reply = await login(
        [],
        [
          user.id,
          verifiedHash,
          newHash ?? '',
          user.email,
          now,
          session.id,
          session.refreshHash,
          session.ttlMs,
          session.userAgent,
        ],
      );
      return reply.status === 'ok' && reply.user ? toPublicUser(reply.user) : null;
    },
    async updateProfile(caller, change, now) {
      const reply = await updateProfile(
        [],
        [...callerArgs(caller, now), change.name ?? '', change.email ?? '', change.verifiedHash ?? ''],
      );
      return reply.status === 'ok' && reply.user
        ? { status: 'ok', value: toPublicUser(reply.user) }
        : { status: reply.status as 'unauthorized' };
    },
    async changePassword(caller, verifiedHash, newHash, now) {
      const reply = await changePassword([], [...callerArgs(caller, now), verifiedHash, newHash]);
      return reply.status === 'ok'
        ? { status: 'ok', value: Number(reply.revoked) }
        : { status: reply.status as 'unauthorized' };
    },
    async deleteAccount(caller, verifiedHash, now) {
      const reply = await deleteAccount([], [...callerArgs(caller, now), verifiedHash]);
      return reply.status === 'ok'
        ? { status: 'ok', value: Number(reply.revoked) }
        : { status: reply.status as 'unauthorized' };
    },
  };
}
