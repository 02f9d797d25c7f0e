import type * as z from 'zod/mini';
import type { Datastore } from '../datastore';
import type { Keys } from '../keys';
import { byCodeUnits, type Caller, iso } from '../records';
import type * as resources from '../resources';
import { scriptRunner } from '../script-runner';
import * as scripts from '../scripts';

/** What `tokens.newId('ses')` makes: `ses_` and 22 base64url characters (128 bits). */
export const SESSION_ID_PATTERN = /^ses_[A-Za-z0-9_-]{22}$/;

/** A session as listed to its owner (README "API"; its schema in lib/resources.ts); never carries a token or hash. */
export type SessionSummary = z.infer<typeof resources.SessionSummary>;

/**
 * What a refresh attempt found. `reused`: a spent token was presented and its session was
 * revoked; `raced`: the token spent last came back within the grace window, nothing was revoked.
 */
export type RefreshOutcome = { status: 'ok' | 'invalid' | 'reused' | 'raced' };

/** Sessions in Redis; one round trip and one atomic script per method. */
export interface SessionStore {
  /** Spends the refresh token with this hash in the caller's session and stores `newHash` in its place. */
  rotate(
    session: { userId: string; sessionId: string },
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

/** Builds the session store on a datastore, with its key map: both parts below. */
export function createSessionStore(datastore: Datastore, keys: Keys): SessionStore {
  return { ...createRotationStore(datastore, keys), ...createSessionListStore(datastore, keys) };
}

/** The refresh rotation alone (the refresh function bundles only its script). */
export function createRotationStore(datastore: Datastore, keys: Keys): Pick<SessionStore, 'rotate'> {
  const refresh = scriptRunner(datastore, keys)(scripts.REFRESH);
  return {
    async rotate(session, presentedHash, newHash, ttlMs, graceMs, now) {
      const reply = await refresh({
        ...session,
        presentedHash,
        newHash,
        now,
        ttlMs,
        graceMs,
        spentKept: scripts.SPENT_KEPT,
      });
      return { status: reply.status };
    },
  };
}

/** The part of the session store one function builds (each bundles only the scripts it runs). */
export type SessionStorePart = (datastore: Datastore, keys: Keys) => Partial<SessionStore>;

/** No part of the session store (the profile read needs only the user's session check). */
export const noSessionStore: SessionStorePart = () => ({});

const callerAt = (caller: Caller, now: number) => ({
  userId: caller.userId,
  sessionId: caller.sessionId,
  now,
});

/** Listing and revoking the caller's sessions: the three parts below. */
export function createSessionListStore(datastore: Datastore, keys: Keys): Omit<SessionStore, 'rotate'> {
  return {
    ...createSessionRevoker(datastore, keys),
    ...createAllSessionsRevoker(datastore, keys),
    ...createSessionLister(datastore, keys),
  };
}

/** Revoking one session (log-out, `DELETE /sessions/{id}`). */
export function createSessionRevoker(datastore: Datastore, keys: Keys): Pick<SessionStore, 'revoke'> {
  const revoke = scriptRunner(datastore, keys)(scripts.REVOKE_SESSION);
  return {
    async revoke(caller, sessionId, now) {
      return (await revoke({ ...callerAt(caller, now), targetSessionId: sessionId })).status;
    },
  };
}

/** Revoking every session of the caller. */
export function createAllSessionsRevoker(datastore: Datastore, keys: Keys): Pick<SessionStore, 'revokeAll'> {
  const revokeAll = scriptRunner(datastore, keys)(scripts.REVOKE_ALL_SESSIONS);
  return {
    async revokeAll(caller, now) {
      const reply = await revokeAll(callerAt(caller, now));
      return reply.status === 'ok' ? Number(reply.revoked) : null;
    },
  };
}

/** Listing the caller's live sessions. */
export function createSessionLister(datastore: Datastore, keys: Keys): Pick<SessionStore, 'list'> {
  const list = scriptRunner(datastore, keys)(scripts.LIST_SESSIONS);
  return {
    async list(caller, now) {
      const reply = await list(callerAt(caller, now));
      if (reply.status !== 'ok') return null;
      // cjson encodes an empty Lua table as {}: treat anything but an array as no sessions.
      const sessions = Array.isArray(reply.sessions) ? reply.sessions : [];
      return sessions
        .map((s) => ({
          id: String(s.id),
          createdAt: iso(s.createdAt),
          // This read may have just written the caller's own (lib/sessions/touch.ts).
          lastUsedAt: iso(s.id === caller.sessionId && reply.touchedAt ? reply.touchedAt : s.lastUsedAt),
          expiresAt: iso(s.expiresAt),
          userAgent: s.userAgent ? s.userAgent : null,
          current: s.id === caller.sessionId,
        }))
        .sort((a, b) => byCodeUnits(b.lastUsedAt, a.lastUsedAt));
    },
  };
}
