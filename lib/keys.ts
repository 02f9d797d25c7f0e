import { createHash } from 'node:crypto';

/**
 * The kinds of key, each once: its builder's name → the kind, the first segment after the prefix
 * (`user` → `acct:user:<uid>`). This is the light half of the data model, the one every function
 * bundles; lib/data-model/ describes each kind (Redis type, owner, fields, TTL rule,
 * invariants), keyed by the same kinds, and only dev/, the tests and the README import it.
 */
const KINDS = {
  /** By user id. */
  user: 'user',
  /** By canonical email. */
  email: 'email',
  /** By user id. */
  sessions: 'sessions',
  /** By canonical email. */
  loginFailures: 'login-failures',
  /** By user id. */
  reauthFailures: 'reauth-failures',
  /** By user id. */
  links: 'links',
  /** By user id. */
  mfa: 'mfa',
  /** By user id. */
  mfaLogins: 'mfa-logins',
  /** By user id. */
  passkeys: 'passkeys',
  /** By user id. */
  webauthn: 'webauthn',
  /** By the challenge itself. */
  webauthnLogin: 'webauthn-login',
  /** By the address's selector (`emailSelector`), which a sign-in link's token carries. */
  emailSignIn: 'email-sign-in',
  /** By limiter name: the prefix of one limiter's keys (lib/fixed-window.ts; @upstash/ratelimit's layout). */
  rateLimit: 'rate-limit',
  /** By user id. */
  identities: 'identities',
  /** By provider id. */
  identityIndex: 'identity-index',
  /** By the hash of the `state`. */
  oauthState: 'oauth-state',
  /** By the hash of the one-time code. */
  oauthCode: 'oauth-code',
  /** By user id. */
  events: 'events',
  /** By user id. */
  devices: 'devices',
} as const;

/** The name of a key builder (`keys.loginFailures`). */
export type KeyBuilder = keyof typeof KINDS;
/** A kind of key, as its first segment after the prefix (`login-failures`). */
export type KeyKind = (typeof KINDS)[KeyBuilder];

/** Every kind of key, in the order of the key map: what dev/verify-data.ts expects to find. */
export const KEY_KINDS: readonly KeyKind[] = /* @__PURE__ */ Object.values(KINDS);

/**
 * Every Redis key the service uses, under the configured prefix: the one key map. Scripts never
 * build a key name; their callers pass these in KEYS (lib/scripts.ts), and dev/verify-data.ts and
 * the tests read the data through it too. What each key holds: lib/data-model/.
 */
export type Keys = {
  readonly prefix: string;
  /** How long events:<uid> keeps an event (AUDIT_RETENTION_DAYS); the scripts that append trim to it. */
  readonly eventsRetentionMs: number;
} & { readonly [B in KeyBuilder]: (id: string) => string };

/**
 * The selector of a canonical email: base64url SHA-256 of it. It names the address's email
 * sign-in key, and a sign-in link carries it instead of the address itself.
 */
export const emailSelector = (canonicalEmail: string): string =>
  createHash('sha256').update(canonicalEmail).digest('base64url');

/** An account's audit events are kept this long unless configured (AUDIT_RETENTION_DAYS). */
const DEFAULT_EVENTS_RETENTION_MS = 90 * 86_400_000;

/** Builds the key map for a prefix such as `acct:`, with how long an account's events are kept. */
export function createKeys(prefix: string, eventsRetentionMs = DEFAULT_EVENTS_RETENTION_MS): Keys {
  const keys: Record<string, unknown> = { prefix, eventsRetentionMs };
  for (const [builder, kind] of Object.entries(KINDS))
    keys[builder] = (id: string) => `${prefix}${kind}:${id}`;
  return keys as Keys;
}
