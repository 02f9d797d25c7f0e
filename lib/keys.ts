/**
 * Every Redis key the service uses, in one place, under the configured prefix.
 * Lua scripts build the same names from the prefix (see `scripts.ts`): keep the two in step.
 */
export interface Keys {
  prefix: string;
  user(userId: string): string;
  email(canonicalEmail: string): string;
  session(sessionId: string): string;
  userSessions(userId: string): string;
  refresh(refreshHash: string): string;
  loginFailures(canonicalEmail: string): string;
  rateLimit(name: string): string;
}

/** Builds the key namer for a prefix such as `acct:`. */
export function createKeys(prefix: string): Keys {
  return {
    prefix,
    user: (userId) => `${prefix}user:${userId}`,
    email: (canonicalEmail) => `${prefix}email:${canonicalEmail}`,
    session: (sessionId) => `${prefix}session:${sessionId}`,
    userSessions: (userId) => `${prefix}user-sessions:${userId}`,
    refresh: (refreshHash) => `${prefix}refresh:${refreshHash}`,
    loginFailures: (canonicalEmail) => `${prefix}login-failures:${canonicalEmail}`,
    rateLimit: (name) => `${prefix}rate-limit:${name}`,
  };
}
