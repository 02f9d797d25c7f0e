import type { UserReader } from './accounts/store';
import type { AuditLog } from './audit';
import { NotFoundError, problem, UnauthorizedError, wired } from './errors';
import { type Caller, toPublicUser, type User } from './records';
import type { SessionStore, SessionSummary } from './sessions/store';
import {
  hashRefreshToken,
  newRefreshToken,
  refreshTokenSession,
  type SessionTokens,
  type TokenService,
} from './tokens';
import type { RefreshBody } from './validation';

export interface AccessDeps {
  users: UserReader;
  /** The parts of the store the function uses: only the refresh function has `rotate`. */
  sessions: Partial<SessionStore>;
  tokens: TokenService;
  audit: AuditLog;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  now: () => number;
}

/**
 * What a caller can do with a token it already holds — refresh it, read its profile, list and
 * revoke its sessions. Nothing here hashes a password or rate-limits, so the functions built on
 * it ship neither Argon2 nor the limiter (see README, "Architecture").
 */
export type Access = ReturnType<typeof createAccess>;

/** Builds the access service. Every operation is one datastore round trip. */
export function createAccess(deps: AccessDeps) {
  const { users, sessions, tokens, audit, now } = deps;
  const refreshTtlMs = deps.refreshTokenTtlSeconds * 1000;
  return {
    /** Rotates a refresh token. A spent token revokes its whole session (theft detection). */
    async refresh(body: RefreshBody, client: { ip: string }): Promise<{ session: SessionTokens }> {
      const session = refreshTokenSession(body.refreshToken);
      if (!session) throw problem('invalid_refresh_token');
      const refreshToken = newRefreshToken(session.userId, session.sessionId);
      const outcome = await wired(sessions.rotate, 'the refresh rotation')(
        session,
        hashRefreshToken(body.refreshToken),
        hashRefreshToken(refreshToken),
        refreshTtlMs,
        deps.refreshReuseGraceSeconds * 1000,
        now(),
      );
      if (outcome.status === 'reused' || outcome.status === 'raced') {
        // `raced`: the token spent last, within the grace window: a client racing itself; nothing was revoked.
        audit.record('refresh_reuse_detected', {
          userId: session.userId,
          sessionId: session.sessionId,
          ip: client.ip,
          revokedSessions: outcome.status === 'reused' ? 1 : 0,
        });
      }
      if (outcome.status !== 'ok') throw problem('invalid_refresh_token');
      return {
        session: await tokens.issueSession(session.userId, session.sessionId, refreshToken, {
          method: 'refresh',
        }),
      };
    },

    /** The caller's profile. */
    async getProfile(caller: Caller): Promise<{ user: User }> {
      const user = await users.authenticate(caller, now());
      if (!user) throw new UnauthorizedError(true);
      return { user: toPublicUser(user) };
    },

    /** Logs out: revokes the caller's own session. */
    async logout(caller: Caller): Promise<void> {
      if ((await wired(sessions.revoke, 'the session revocation')(caller, caller.sessionId, now())) !== 'ok')
        throw new UnauthorizedError(true);
      audit.record('logged_out', { userId: caller.userId, sessionId: caller.sessionId });
    },

    /** The caller's sessions, most recently used first, the current one marked. */
    async listSessions(caller: Caller): Promise<{ sessions: SessionSummary[] }> {
      const list = await wired(sessions.list, 'the session list')(caller, now());
      if (!list) throw new UnauthorizedError(true);
      return { sessions: list };
    },

    /** Revokes one of the caller's sessions; anything that is not the caller's is 404. */
    async revokeSession(caller: Caller, sessionId: string): Promise<void> {
      const outcome = await wired(sessions.revoke, 'the session revocation')(caller, sessionId, now());
      if (outcome === 'unauthorized') throw new UnauthorizedError(true);
      if (outcome === 'not_found') throw new NotFoundError('No such session.');
      audit.record('sessions_revoked', {
        userId: caller.userId,
        sessionId: caller.sessionId,
        revokedSessions: 1,
      });
    },

    /** Revokes every session of the caller, the current one included. */
    async revokeAllSessions(caller: Caller): Promise<void> {
      const revoked = await wired(sessions.revokeAll, 'the session revocation')(caller, now());
      if (revoked === null) throw new UnauthorizedError(true);
      audit.record('sessions_revoked', {
        userId: caller.userId,
        sessionId: caller.sessionId,
        revokedSessions: revoked,
      });
    },
  };
}
