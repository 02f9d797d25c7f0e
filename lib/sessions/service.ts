import type { NewSession } from '../records';
import {
  hashRefreshToken,
  type IssueContext,
  newId,
  newRefreshToken,
  type SessionTokens,
  type TokenService,
} from '../tokens';

const USER_AGENT_MAX = 256;

/** A new session of `userId` for `client`: its record to store, and the refresh token to hand out. */
export function newSession(
  userId: string,
  client: { userAgent: string },
  ttlMs: number,
): { refreshToken: string; record: NewSession } {
  const id = newId('ses');
  const refreshToken = newRefreshToken(userId, id);
  return {
    refreshToken,
    record: {
      id,
      refreshHash: hashRefreshToken(refreshToken),
      ttlMs,
      // Cut by code points, never inside a surrogate pair (a lone half would break the script's JSON).
      userAgent: [...client.userAgent].slice(0, USER_AGENT_MAX).join(''),
    },
  };
}

/** A session being opened: what its script stores, then the tokens once it is stored. */
export interface OpeningSession {
  /** Its id, the hash of its first refresh token, its lifetime and client: for the one script that stores it. */
  record: NewSession;
  /**
   * The `Session` resource, once that script stored `record`: an access token (with the claims
   * hook's claims) next to the first refresh token. Never call it for a session the script refused.
   */
  tokens(context: IssueContext): Promise<SessionTokens>;
}

/** Opening sessions: the two steps every way in (register, log-in, second factor, passkey, reset, social, mail) shares. */
export interface Sessions {
  /**
   * Opens a session of `userId` for `client`. No round trip of its own: the record rides on the
   * script that decides the sign-in (all or nothing), and the tokens are signed here.
   */
  open(userId: string, client: { userAgent: string }): OpeningSession;
}

/** Builds the sessions service on the token service; sessions live REFRESH_TOKEN_TTL_SECONDS. */
export function createSessions(deps: {
  tokens: Pick<TokenService, 'issueSession'>;
  settings: { refreshTokenTtlSeconds: number };
}): Sessions {
  const ttlMs = deps.settings.refreshTokenTtlSeconds * 1000;
  return {
    open(userId, client) {
      const { refreshToken, record } = newSession(userId, client, ttlMs);
      return {
        record,
        tokens: (context) => deps.tokens.issueSession(userId, record.id, refreshToken, context),
      };
    },
  };
}
