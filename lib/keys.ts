import { createHash } from 'node:crypto';

/**
 * Every Redis key the service uses, under the configured prefix: the one key map. Scripts never
 * build a key name; their callers pass these in KEYS (lib/scripts.ts), and dev/verify-data.ts and
 * the tests read the data through it too.
 */
export interface Keys {
  prefix: string;
  /** How long events:<uid> keeps an event (AUDIT_RETENTION_DAYS); the scripts that append trim to it. */
  eventsRetentionMs: number;
  /** Hash: the user's profile and password hash. */
  user(userId: string): string;
  /** Hash: the log-in credential of a canonical email (userId, passwordHash). */
  email(canonicalEmail: string): string;
  /** Hash: every session of a user, one JSON record per session id. */
  sessions(userId: string): string;
  /** Hash: the log-in back-off of an email. */
  loginFailures(canonicalEmail: string): string;
  /** Hash: the back-off of a signed-in user's re-entered passwords. */
  reauthFailures(userId: string): string;
  /** Hash: the user's live mailed links, one JSON record per purpose (`verify`, `reset`). */
  links(userId: string): string;
  /** A user's second factor: TOTP secret (encrypted), its state, the last step used, recovery codes. */
  mfa(userId: string): string;
  /** A user's log-ins waiting for their second factor (one mfaToken each). */
  mfaLogins(userId: string): string;
  /** A user's passkeys: credential id → its public key, counter, name and times. */
  passkeys(userId: string): string;
  /** A user's passkey registration in progress: its challenge. */
  webauthn(userId: string): string;
  /** A passkey log-in's challenge, before anyone is known (single use, 300 s). */
  webauthnLogin(challenge: string): string;
  /**
   * Hash: the live email sign-in (link and code) of an address, named by its selector
   * (`emailSelector`), which the link's token carries: both ways in know the key up front.
   */
  emailSignIn(selector: string): string;
  /** The prefix of one @upstash/ratelimit limiter's keys. */
  rateLimit(name: string): string;
  /** Hash: a user's linked sign-in identities (lib/oauth), identity id → JSON record. */
  identities(userId: string): string;
  /** Hash: one provider's identities, the provider's subject → user id (lib/oauth). */
  identityIndex(provider: string): string;
  /** String: a social sign-in in flight, by the hash of its `state` (lib/oauth; TTL). */
  oauthState(stateHash: string): string;
  /** String: a one-time code of a finished social sign-in, by its hash (lib/oauth; 60 s). */
  oauthCode(codeHash: string): string;
  /** List: the user's audit events, newest first, JSON each; trimmed to AUDIT_RETENTION_DAYS by its writers. */
  events(userId: string): string;
  /** Hash: the devices a user has signed in from (a digest of the client) → last sign-in, epoch ms. */
  devices(userId: string): string;
}

/**
 * The selector of a canonical email: base64url SHA-256 of it. It names the address's email
 * sign-in key, and a sign-in link carries it instead of the address itself.
 */
export const emailSelector = (canonicalEmail: string): string =>
  createHash('sha256').update(canonicalEmail).digest('base64url');

/** The kinds of key, as the first segment after the prefix: what dev/verify-data.ts expects to find. */
export const KEY_KINDS = [
  'user',
  'email',
  'sessions',
  'login-failures',
  'reauth-failures',
  'links',
  'mfa',
  'mfa-logins',
  'passkeys',
  'webauthn-login',
  'webauthn',
  'email-sign-in',
  'rate-limit',
  'identities',
  'identity-index',
  'oauth-state',
  'oauth-code',
  'events',
  'devices',
] as const;

/** An account's audit events are kept this long unless configured (AUDIT_RETENTION_DAYS). */
const DEFAULT_EVENTS_RETENTION_MS = 90 * 86_400_000;

/** Builds the key map for a prefix such as `acct:`, with how long an account's events are kept. */
export function createKeys(prefix: string, eventsRetentionMs = DEFAULT_EVENTS_RETENTION_MS): Keys {
  return {
    prefix,
    eventsRetentionMs,
    user: (userId) => `${prefix}user:${userId}`,
    email: (canonicalEmail) => `${prefix}email:${canonicalEmail}`,
    sessions: (userId) => `${prefix}sessions:${userId}`,
    loginFailures: (canonicalEmail) => `${prefix}login-failures:${canonicalEmail}`,
    reauthFailures: (userId) => `${prefix}reauth-failures:${userId}`,
    links: (userId) => `${prefix}links:${userId}`,
    mfa: (userId) => `${prefix}mfa:${userId}`,
    mfaLogins: (userId) => `${prefix}mfa-logins:${userId}`,
    passkeys: (userId) => `${prefix}passkeys:${userId}`,
    webauthn: (userId) => `${prefix}webauthn:${userId}`,
    webauthnLogin: (challenge) => `${prefix}webauthn-login:${challenge}`,
    emailSignIn: (selector) => `${prefix}email-sign-in:${selector}`,
    rateLimit: (name) => `${prefix}rate-limit:${name}`,
    identities: (userId) => `${prefix}identities:${userId}`,
    identityIndex: (provider) => `${prefix}identity-index:${provider}`,
    oauthState: (stateHash) => `${prefix}oauth-state:${stateHash}`,
    oauthCode: (codeHash) => `${prefix}oauth-code:${codeHash}`,
    events: (userId) => `${prefix}events:${userId}`,
    devices: (userId) => `${prefix}devices:${userId}`,
  };
}
