import type { KeyKind } from '../keys';

/**
 * The data model, each kind of key described once: its Redis type, the folder whose scripts own
 * it, its fields (or the JSON records it holds), its TTL rule, and the invariants the scripts keep
 * over all of them together. lib/keys.ts names the kinds and builds the keys (every function
 * bundles it); this module describes them, and only dev/, the tests and the README use it:
 * dev/verify-data.ts derives its checks from it, tests/unit/data-model.test.ts checks the README's
 * tables, verify-data's header and the Lua scripts' writes against it.
 */

/** The invariants the scripts keep, as dev/verify-data.ts checks them (its problems start with the id). */
export const INVARIANTS = {
  I1: 'email:<e> exists ⇔ user:<id> exists with email = e; email:<e>.userId = id',
  I2: 'email:<e>.passwordHash = user:<id>.passwordHash',
  I3: 'sessions:<uid> ⇒ user:<uid> exists; each record is complete, filed under its own id, and its refreshHash belongs to no other session',
  I4: "sessions:<uid> carries a TTL no earlier than its latest live session's expiresAt; login-failures:<e> and reauth-failures:<uid> carry a TTL (a back-off forgets)",
  I5: "links:<uid> ⇒ user:<uid> exists; each link (verify, reset, revert) is {hash, expiresAt}, a verify link names the user's current email or pending one; the key's TTL is no earlier than its latest link",
  I6: 'mfa:<uid>, mfa-logins:<uid>, passkeys:<uid>, webauthn:<uid>, events:<uid>, devices:<uid> ⇒ user:<uid> exists; mfa-logins:<uid>, webauthn:<uid>, events:<uid> and webauthn-login:<challenge> carry a TTL',
  E1: "email-sign-in:<selector> carries a TTL and is filed under its address's selector",
  O1: 'identity-index:<p>[subject] = uid ⇔ identities:<uid> holds one record of (p, subject); identities:<uid> ⇒ user:<uid> exists',
  O2: 'oauth-state:<hash> and oauth-code:<hash> carry a TTL',
  O3: "a user:<uid> without a password (passwordHash '') has an identity (identities:<uid>), a passkey (passkeys:<uid>) or a proved address (emailVerified '1')",
} as const;
export type InvariantId = keyof typeof INVARIANTS;

/** `required`: there and not ''. `present`: there, maybe '' . `optional`: may be absent. */
export type Presence = 'required' | 'present' | 'optional';
export interface Field {
  presence: Presence;
  /** What it holds, when the name does not say. */
  note?: string;
}
export type Fields = Readonly<Record<string, Field>>;

/**
 * `none`: no rule (the key lives until a script deletes it). `required`: the key always carries a
 * TTL. `latest-record`: a TTL no earlier than its latest record's expiresAt (records past theirs
 * are dead, pruned when next touched).
 */
export type TtlRule = 'none' | 'required' | 'latest-record';

export interface KindModel {
  /** What one key is, as a problem report names it ('back-off counter'). */
  noun: string;
  /** What follows `<kind>:` in the key's name (`<uid>`). */
  id: string;
  /** The Redis type; `any` for keys a library owns. */
  type: 'hash' | 'string' | 'list' | 'any';
  /** The folder (or file) whose scripts write it. */
  owner: string;
  /** What it is, in a phrase. */
  about: string;
  /** A hash's fixed fields. */
  fields?: Fields;
  /** A hash whose fields name its entries: what names a field, and what each holds. */
  entries?: {
    field: string;
    /** The only field names allowed, when fixed. */
    names?: readonly string[];
    /** The JSON record each field holds. */
    record?: Fields;
    /** What each field holds, when not a record. */
    value?: string;
  };
  /** A string's or a list element's JSON record. */
  record?: Fields;
  /** What a string holds, when not a record. */
  value?: string;
  ttl: TtlRule;
  /** How long, or when. */
  ttlNote?: string;
}

const required = (note?: string): Field => (note ? { presence: 'required', note } : { presence: 'required' });
const present = (note?: string): Field => (note ? { presence: 'present', note } : { presence: 'present' });
const optional = (note?: string): Field => (note ? { presence: 'optional', note } : { presence: 'optional' });

/** Every kind of key, in lib/keys.ts's order (its KEY_KINDS). */
export const DATA_MODEL = {
  user: {
    noun: 'user',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/accounts',
    about: "the user's profile and password hash",
    fields: {
      id: required(),
      name: required(),
      email: required(),
      emailVerified: required("'1' or '0'"),
      pendingEmail: optional('a changed address awaiting proof'),
      passwordHash: present("'' for an account without a password"),
      createdAt: required(),
      updatedAt: required(),
      disabledAt: optional('while an operator has disabled it, lib/admin/'),
      disabledReason: optional(),
    },
    ttl: 'none',
  },
  email: {
    noun: 'email credential',
    id: '<email>',
    type: 'hash',
    owner: 'lib/accounts',
    about: "log-in's credential, found by the canonical email alone",
    fields: { userId: required(), passwordHash: present() },
    ttl: 'none',
  },
  sessions: {
    noun: 'session set',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/sessions',
    about: 'every session of a user',
    entries: {
      field: '<sid>',
      record: {
        id: required(),
        createdAt: required(),
        lastUsedAt: required(),
        expiresAt: required(),
        refreshHash: required(),
        spent: required('[{h, at}]: the last SPENT_KEPT rotated-out refresh hashes'),
        userAgent: optional(),
      },
    },
    ttl: 'latest-record',
  },
  'login-failures': {
    noun: 'back-off counter',
    id: '<email>',
    type: 'hash',
    owner: 'lib/accounts',
    about: 'the log-in back-off of an email, per client (IP, or IPv6 /64), and its account-wide ceiling',
    fields: {
      'c:<client>count': optional(),
      'c:<client>lockedUntil': optional(),
      windowStart: optional("the ceiling's window"),
      windowCount: optional(),
    },
    ttl: 'required',
    ttlNote: '24 h',
  },
  'reauth-failures': {
    noun: 'back-off counter',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/accounts',
    about: "the back-off of a signed-in user's re-entered passwords, per session, and its per-user ceiling",
    fields: {
      's:<sid>count': optional(),
      's:<sid>lockedUntil': optional(),
      windowStart: optional("the ceiling's window"),
      windowCount: optional(),
    },
    ttl: 'required',
    ttlNote: '24 h',
  },
  links: {
    noun: 'link set',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/recovery',
    about: "the user's one live mailed link of each purpose",
    entries: {
      field: 'verify / reset / revert',
      names: ['verify', 'reset', 'revert'],
      record: {
        hash: required('of the link token'),
        email: optional('verify and revert: the address mailed'),
        expiresAt: required(),
      },
    },
    ttl: 'latest-record',
  },
  mfa: {
    noun: 'second factor',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/mfa',
    about: "a user's second factor",
    fields: {
      pending: optional('a TOTP secret being enrolled, encrypted'),
      pendingSession: optional(),
      pendingExpiresAt: optional(),
      secret: optional('the TOTP secret, encrypted'),
      enabledAt: optional(),
      lastStep: optional('the last time step accepted'),
      codes: optional('JSON array of peppered recovery-code hashes'),
      wrongStart: optional("the hour's wrong codes"),
      wrongCount: optional(),
    },
    ttl: 'none',
    ttlNote: 'while only pending: TOTP_PENDING_TTL_MS',
  },
  'mfa-logins': {
    noun: 'set of waiting log-ins',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/mfa',
    about: "a user's log-ins waiting for their second factor",
    entries: {
      field: '<loginId>',
      record: {
        hash: required('of the mfaToken'),
        expiresAt: required(),
        attempts: required(),
        client: required(),
        email: required(),
        userAgent: optional(),
        ceiling: optional("whether the password's attempt counted on the ceiling"),
      },
    },
    ttl: 'required',
    ttlNote: 'MFA_LOGIN_TTL_MS',
  },
  passkeys: {
    noun: 'passkey set',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/passkeys',
    about: "a user's passkeys",
    entries: {
      field: '<credentialId>',
      record: {
        id: required(),
        publicKey: required(),
        counter: required(),
        transports: required(),
        name: required(),
        createdAt: required(),
        lastUsedAt: present('null until used'),
      },
    },
    ttl: 'none',
  },
  webauthn: {
    noun: 'registration',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/passkeys',
    about: "a user's passkey registration in progress",
    entries: {
      field: 'registration',
      names: ['registration'],
      record: { challenge: required(), expiresAt: required() },
    },
    ttl: 'required',
    ttlNote: 'CHALLENGE_TTL_MS',
  },
  'webauthn-login': {
    noun: 'challenge',
    id: '<challenge>',
    type: 'string',
    owner: 'lib/passkeys',
    about: "a passkey log-in's challenge, before anyone is known (single use)",
    value: "'1'",
    ttl: 'required',
    ttlNote: 'CHALLENGE_TTL_MS',
  },
  'email-sign-in': {
    noun: 'email sign-in',
    id: '<selector>',
    type: 'hash',
    owner: 'lib/email-sign-in',
    about:
      'the live email sign-in (link and code) of an address, by its selector (base64url SHA-256 of the email)',
    fields: {
      id: required(),
      email: required(),
      userId: present("'' for a new account"),
      tokenHash: required(),
      codeHash: required('HMAC'),
      attempts: required(),
      expiresAt: required(),
    },
    ttl: 'required',
    ttlNote: 'EMAIL_SIGN_IN_TTL_SECONDS',
  },
  'rate-limit': {
    noun: 'limiter window',
    id: '<name>…',
    type: 'any',
    owner: 'lib/rate-limits.ts',
    about:
      "the limits' fixed windows (lib/fixed-window.ts, on @upstash/ratelimit's key layout; social log-in's per-IP window too)",
    ttl: 'none',
    ttlNote: "the limiter's",
  },
  identities: {
    noun: 'identity set',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/oauth',
    about: "a user's linked sign-in identities",
    entries: {
      field: '<identity id>',
      record: {
        id: required(),
        provider: required(),
        subject: required(),
        email: present(),
        createdAt: required(),
        lastUsedAt: optional(),
      },
    },
    ttl: 'none',
  },
  'identity-index': {
    noun: 'identity index',
    id: '<provider>',
    type: 'hash',
    owner: 'lib/oauth',
    about: "one provider's identities (one identity, one account)",
    entries: { field: '<subject>', value: 'the user id' },
    ttl: 'none',
  },
  'oauth-state': {
    noun: 'sign-in state',
    id: '<hash>',
    type: 'string',
    owner: 'lib/oauth',
    about: 'a sign-in at the provider, by the hash of its state',
    record: {
      provider: required(),
      verifier: required('the PKCE verifier towards the provider'),
      nonce: required(),
      redirectUri: required(),
      challenge: required("the app's S256 challenge"),
      link: present('a linking caller {userId, sessionId}, or null'),
      expiresAt: required(),
    },
    ttl: 'required',
    ttlNote: 'OAUTH_STATE_TTL_SECONDS',
  },
  'oauth-code': {
    noun: 'one-time code',
    id: '<hash>',
    type: 'string',
    owner: 'lib/oauth',
    about: 'a finished sign-in waiting for the app, by the hash of its one-time code',
    record: {
      userId: required(),
      challenge: required(),
      created: required(),
      identityId: required(),
      expiresAt: required(),
    },
    ttl: 'required',
    ttlNote: '60 s',
  },
  events: {
    noun: 'event list',
    id: '<uid>',
    type: 'list',
    owner: 'lib/lua-helpers.ts',
    about: "the account's audit events, newest first, at most EVENTS_KEPT (appended by append_event)",
    record: { event: required('its name, with what it says'), at: required() },
    ttl: 'required',
    ttlNote: 'AUDIT_RETENTION_DAYS',
  },
  devices: {
    noun: 'device list',
    id: '<uid>',
    type: 'hash',
    owner: 'lib/notices',
    about: 'the devices a user has signed in from',
    entries: { field: '<digest of the client>', value: 'its last sign-in, epoch ms' },
    ttl: 'none',
  },
} as const satisfies Record<KeyKind, KindModel>;

/** The invariants that name a kind's keys (`<kind>:`), in INVARIANTS order. */
export function invariantsOf(kind: KeyKind): InvariantId[] {
  const named = new RegExp(`(?<![\\w-])${kind}:`);
  return (Object.keys(INVARIANTS) as InvariantId[]).filter((id) => named.test(INVARIANTS[id]));
}

/** The invariant that states a kind's TTL rule (the label of a TTL problem), or null for none. */
export function ttlInvariantOf(kind: KeyKind): InvariantId | null {
  if (DATA_MODEL[kind].ttl === 'none') return null;
  return invariantsOf(kind).find((id) => INVARIANTS[id].includes('TTL')) ?? null;
}

/** The names of a set of fields whose presence is one of `presences`, in order. */
export const fieldNames = (fields: Fields | undefined, ...presences: Presence[]): string[] =>
  Object.entries(fields ?? {})
    .filter(([, field]) => presences.includes(field.presence))
    .map(([name]) => name);
