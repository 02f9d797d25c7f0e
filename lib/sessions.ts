import type { Datastore } from './datastore';
import * as scripts from './scripts';
import { type Caller, iso } from './users';

/** What `tokens.newId('ses')` makes: `ses_` and 22 base64url characters (128 bits). */
export const SESSION_ID_PATTERN = /^ses_[A-Za-z0-9_-]{22}$/;

/** A session as listed to its owner (API.md); never carries a token or hash. */
export interface SessionSummary {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  userAgent: string | null;
  current: boolean;
}

/**
 * What a refresh attempt found. `reused`: a spent token was presented and its session was
 * revoked; `raced`: a spent token came back within the grace window, nothing was revoked.
 */
export type RefreshOutcome =
  | { status: 'ok'; userId: string; sessionId: string }
  | { status: 'invalid' }
  | { status: 'reused' | 'raced'; userId: string | null; sessionId: string };

interface Reply {
  status: string;
  userId?: string | false;
  sessionId?: string;
  revoked?: number;
  sessions?: Array<Record<string, string>> | Record<string, never>;
}

/** Sessions in Redis; one round trip and one atomic script per method. */
export interface SessionStore {
  /** Spends the refresh token with this hash and stores `newHash` in its place. */
  rotate(
    presentedHash: string,
    newHash: string,
    ttlMs: number,
    graceMs: number,
    now: number,
  ): Promise<RefreshOutcome>;
  /** Revokes one of the caller's sessions (the caller's own for log-out). */
  revoke(caller: Caller, sessionId: string, now: number): Promise<'ok' | 'unauthorized' | 'not_found'>;
  /** Revokes every session of the caller; returns how many, or null when the caller's session is gone. */
  revokeAll(caller: Caller, now: number): Promise<number | null>;
  /** The caller's live sessions, the current one marked; null when the caller's session is gone. */
  list(caller: Caller, now: number): Promise<SessionSummary[] | null>;
}

/** Builds the session store on a datastore under a key prefix. */
export function createSessionStore(datastore: Datastore, prefix: string): SessionStore {
  const run = (lua: string) => {
    const runner = datastore.script(lua);
    return async (args: (string | number)[]) => (await runner([], [prefix, ...args])) as Reply;
  };
  const refresh = run(scripts.REFRESH);
  const revoke = run(scripts.REVOKE_SESSION);
  const revokeAll = run(scripts.REVOKE_ALL_SESSIONS);
  const list = run(scripts.LIST_SESSIONS);

  return {
    async rotate(presentedHash, newHash, ttlMs, graceMs, now) {
      const reply = await refresh([presentedHash, newHash, now, ttlMs, graceMs]);
      if (reply.status === 'ok')
        return { status: 'ok', userId: String(reply.userId), sessionId: String(reply.sessionId) };
      if (reply.status === 'reused' || reply.status === 'raced') {
        return {
          status: reply.status,
          userId: reply.userId ? reply.userId : null,
          sessionId: String(reply.sessionId),
        };
      }
      return { status: 'invalid' };
    },
    async revoke(caller, sessionId, now) {
      const reply = await revoke([caller.userId, caller.sessionId, now, sessionId]);
      return reply.status as 'ok' | 'unauthorized' | 'not_found';
    },
    async revokeAll(caller, now) {
      const reply = await revokeAll([caller.userId, caller.sessionId, now]);
      return reply.status === 'ok' ? Number(reply.revoked) : null;
    },
    async list(caller, now) {
      const reply = await list([caller.userId, caller.sessionId, now]);
      if (reply.status !== 'ok') return null;
      // cjson encodes an empty Lua table as {}: treat anything but an array as no sessions.
      const sessions = Array.isArray(reply.sessions) ? reply.sessions : [];
      return sessions
        .map((s) => ({
          id: String(s.id),
          createdAt: iso(s.createdAt),
          lastUsedAt: iso(s.lastUsedAt),
          expiresAt: iso(s.expiresAt),
          userAgent: s.userAgent ? s.userAgent : null,
          current: s.id === caller.sessionId,
        }))
        .sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
    },
  };
}
