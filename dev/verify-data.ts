import type { Redis } from '@upstash/redis';
import { DATA_MODEL, fieldNames, invariantsOf, ttlInvariantOf } from '../lib/data-model';
import { emailSelector, KEY_KINDS, type KeyKind } from '../lib/keys';

/**
 * Checks the data invariants of lib/data-model/ (INVARIANTS: I1–I6, E1, O1–O3, kept by the Lua
 * scripts) over every key under a prefix, reading keys by the kinds of the one key map
 * (lib/keys.ts). The expected types, required fields and TTL rules come from the data model too.
 *
 *   I1  email:<e> exists ⇔ user:<id> exists with email = e; email:<e>.userId = id
 *   I2  email:<e>.passwordHash = user:<id>.passwordHash
 *   I3  sessions:<uid> ⇒ user:<uid> exists; each record is complete, filed under its own id, and
 *       its refreshHash belongs to no other session
 *   I4  sessions:<uid> carries a TTL no earlier than its latest live session's expiresAt;
 *       login-failures:<e> and reauth-failures:<uid> carry a TTL (a back-off forgets)
 *   I5  links:<uid> ⇒ user:<uid> exists; each link (verify, reset, revert) is {hash, expiresAt}, a
 *       verify link names the user's current email or pending one; the key's TTL is no earlier
 *       than its latest link
 *   I6  mfa:<uid>, mfa-logins:<uid>, passkeys:<uid>, webauthn:<uid>, events:<uid>, devices:<uid>
 *       ⇒ user:<uid> exists; mfa-logins:<uid>, webauthn:<uid>, events:<uid> and
 *       webauthn-login:<challenge> carry a TTL
 *   E1  email-sign-in:<selector> carries a TTL and is filed under its address's selector
 *   O1  identity-index:<p>[subject] = uid ⇔ identities:<uid> holds one record of (p, subject);
 *       identities:<uid> ⇒ user:<uid> exists
 *   O2  oauth-state:<hash> and oauth-code:<hash> carry a TTL
 *   O3  a user:<uid> without a password (passwordHash '') has an identity (identities:<uid>), a
 *       passkey (passkeys:<uid>) or a proved address (emailVerified '1')
 *
 * (tests/unit/data-model.test.ts fails when this list and INVARIANTS differ.)
 *
 * Decisions, beyond the list above:
 * - A session record past its expiresAt is *dead*, not a problem: it dies on its own and is pruned
 *   the next time a script touches the user's sessions. Dead records are counted (`deadSessions`).
 * - rate-limit:* keys belong to the limiters (lib/fixed-window.ts) and are only counted. Keys of any other shape:
 *   `other`.
 *
 * Problems name keys without the prefix (`user:usr_…`), one line each.
 *
 * Read-only: SCAN, then TYPE/PTTL and one read per key, in pipelines. On a prefix that is being
 * written to, a key can change between those reads, so run it on quiescent data (after a suite,
 * or against a deployment between requests) and re-check before acting on a report.
 * Works with either setting of the client's `automaticDeserialization`.
 *
 * A problem is reported only if a second full pass finds it too. SCAN may miss a key when other
 * prefixes of the same datastore are written to meanwhile: Redis guarantees to return every key
 * that exists for the whole scan, but the embedded test engine's cursor is an index into a
 * snapshot of all keys, which shifts when another test file deletes a key. A missed `email:<e>`
 * then reads as a broken I1. A real inconsistency is still there on the second pass.
 */
export interface DataReport {
  checked: {
    keys: number;
    users: number;
    emails: number;
    /** Live session records. */
    sessions: number;
    /** sessions:<uid> keys. */
    sessionSets: number;
    /** Session records past their expiresAt, not yet pruned: allowed. */
    deadSessions: number;
    loginFailures: number;
    reauthFailures: number;
    /** Live links (verify and reset). */
    links: number;
    /** Linked sign-in identities (lib/oauth). */
    identities: number;
    rateLimits: number;
    /** Keys of a shape this checker does not know. */
    other: number;
    /** Keys that disappeared between the scan and the reads (expired or deleted meanwhile). */
    vanished: number;
  };
  problems: string[];
}

type Kind = KeyKind;

/** Longest first, so `login-failures:` is not read as something shorter. */
const KINDS: Kind[] = [...KEY_KINDS].sort((a, b) => b.length - a.length);
/** Each kind's Redis type ('' for keys a library owns: any type). */
const EXPECTED_TYPE = Object.fromEntries(
  KEY_KINDS.map((kind) => [kind, DATA_MODEL[kind].type === 'any' ? '' : DATA_MODEL[kind].type]),
) as Record<Kind, string>;
/** The user's fields that must be there and not empty, or there (maybe empty: passwordHash). */
const USER_FIELDS = fieldNames(DATA_MODEL.user.fields, 'required', 'present');
const USER_NONEMPTY = new Set(fieldNames(DATA_MODEL.user.fields, 'required'));
/** A live session record's fields that must be there and not empty. */
const SESSION_FIELDS = fieldNames(DATA_MODEL.sessions.entries.record, 'required');
/** A link's purposes, and the fields every link has. */
const LINK_NAMES: readonly string[] = DATA_MODEL.links.entries.names;
const LINK_FIELDS = fieldNames(DATA_MODEL.links.entries.record, 'required');
/** The kinds that must carry a TTL, each with the invariant that says so. */
const TTL_REQUIRED = new Map(
  KEY_KINDS.filter((kind) => DATA_MODEL[kind].ttl === 'required').map((kind) => [
    kind,
    ttlInvariantOf(kind) ?? '',
  ]),
);
/** Per-user kinds not read in detail, which need only their user (I6). */
const USER_BOUND = new Set<Kind>(
  KEY_KINDS.filter((kind) => DATA_MODEL[kind].id === '<uid>' && invariantsOf(kind).includes('I6')),
);
const BATCH = 250;
// A TTL and an expiresAt are set a few milliseconds apart, and read later still.
const TTL_SLACK_MS = 5_000;

interface Entry {
  key: string;
  kind: Kind | null;
  id: string;
  type: string;
  pttl: number;
  value: unknown;
}

const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, '\\$&');

const text = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);

/** A hash as read back: a flat [field, value, …] array (raw client) or an object (deserialising client). */
function asHash(value: unknown): Record<string, string> {
  const map: Record<string, string> = Object.create(null);
  if (Array.isArray(value)) {
    for (let i = 0; i + 1 < value.length; i += 2) map[text(value[i])] = text(value[i + 1]);
  } else if (value && typeof value === 'object') {
    for (const [field, v] of Object.entries(value)) map[field] = text(v);
  }
  return map;
}

const _asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(text) : []);

async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = (await redis.scan(cursor, { match: `${escapeGlob(prefix)}*`, count: 1000 })) as [
      string | number,
      unknown[],
    ];
    for (const key of batch) keys.add(text(key));
    cursor = String(next);
  } while (cursor !== '0');
  return [...keys].sort();
}

function classify(prefix: string, key: string): { kind: Kind | null; id: string } {
  const rest = key.slice(prefix.length);
  for (const kind of KINDS) {
    if (rest.startsWith(`${kind}:`)) return { kind, id: rest.slice(kind.length + 1) };
  }
  return { kind: null, id: rest };
}

async function readEntries(redis: Redis, prefix: string, keys: string[]): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (let start = 0; start < keys.length; start += BATCH) {
    const batch = keys.slice(start, start + BATCH);
    const meta = redis.pipeline();
    for (const key of batch) meta.type(key).pttl(key);
    const metaReplies = (await meta.exec()) as unknown[];
    const reads = redis.pipeline();
    const typed = batch.map((key, i) => {
      const type = text(metaReplies[2 * i]);
      const pttl = Number(metaReplies[2 * i + 1]);
      if (type === 'hash') reads.hgetall(key);
      else if (type === 'set') reads.smembers(key);
      else if (type === 'string') reads.get(key);
      else reads.exists(key);
      return { key, type, pttl, ...classify(prefix, key) };
    });
    const values = (await reads.exec()) as unknown[];
    typed.forEach((entry, i) => {
      entries.push({ ...entry, value: values[i] });
    });
  }
  return entries;
}

const parseRecord = (text: string): Record<string, unknown> | null => {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
};

/**
 * Scans every key under `prefix` and reports each broken invariant as one line of text, with
 * counts of what was checked. An empty `problems` list means the data is consistent.
 */
export async function verifyData(redis: Redis, prefix: string, now = Date.now()): Promise<DataReport> {
  const first = await verifyOnce(redis, prefix, now);
  if (first.problems.length === 0) return first;
  const second = await verifyOnce(redis, prefix, now);
  const seen = new Set(first.problems);
  return { checked: second.checked, problems: second.problems.filter((problem) => seen.has(problem)) };
}

async function verifyOnce(redis: Redis, prefix: string, now: number): Promise<DataReport> {
  const checked: DataReport['checked'] = {
    keys: 0,
    users: 0,
    emails: 0,
    sessions: 0,
    sessionSets: 0,
    deadSessions: 0,
    loginFailures: 0,
    reauthFailures: 0,
    links: 0,
    identities: 0,
    rateLimits: 0,
    other: 0,
    vanished: 0,
  };
  const problems: string[] = [];
  const keys = await scanKeys(redis, prefix);
  checked.keys = keys.length;

  const users = new Map<string, Record<string, string>>();
  const emails = new Map<string, Record<string, string>>();
  const sessionSets = new Map<string, { records: Record<string, string>; pttl: number }>();
  const linkSets = new Map<string, { records: Record<string, string>; pttl: number }>();
  const identitySets = new Map<string, Record<string, string>>();
  const indexes = new Map<string, Record<string, string>>();
  const passkeyOwners = new Set<string>();
  /** Keys that need only their user (I6). */
  const userBound: { kind: Kind; userId: string }[] = [];

  for (const entry of await readEntries(redis, prefix, keys)) {
    if (entry.type === 'none') {
      checked.vanished += 1;
      continue;
    }
    if (entry.kind === null) {
      checked.other += 1;
      continue;
    }
    const expected = EXPECTED_TYPE[entry.kind];
    if (expected !== '' && entry.type !== expected) {
      problems.push(`${entry.kind}:${entry.id}: is a ${entry.type}, expected a ${expected}`);
      continue;
    }
    const ttlInvariant = TTL_REQUIRED.get(entry.kind);
    if (ttlInvariant !== undefined && entry.pttl < 0)
      problems.push(`${ttlInvariant} ${entry.kind}:${entry.id}: ${DATA_MODEL[entry.kind].noun} has no TTL`);
    if (USER_BOUND.has(entry.kind)) userBound.push({ kind: entry.kind, userId: entry.id });
    switch (entry.kind) {
      case 'user':
        users.set(entry.id, asHash(entry.value));
        break;
      case 'email':
        emails.set(entry.id, asHash(entry.value));
        break;
      case 'sessions':
        sessionSets.set(entry.id, { records: asHash(entry.value), pttl: entry.pttl });
        break;
      case 'links':
        linkSets.set(entry.id, { records: asHash(entry.value), pttl: entry.pttl });
        break;
      case 'passkeys':
        if (Object.keys(asHash(entry.value)).length > 0) passkeyOwners.add(entry.id);
        break;
      case 'identities':
        identitySets.set(entry.id, asHash(entry.value));
        break;
      case 'identity-index':
        indexes.set(entry.id, asHash(entry.value));
        break;
      case 'email-sign-in': {
        const email = asHash(entry.value).email ?? '';
        if (emailSelector(email) !== entry.id)
          problems.push(`E1 email-sign-in:${entry.id}: is not filed under its address's selector`);
        break;
      }
      case 'login-failures':
        checked.loginFailures += 1;
        break;
      case 'reauth-failures':
        checked.reauthFailures += 1;
        break;
      case 'rate-limit':
        checked.rateLimits += 1;
        break;
    }
  }
  checked.users = users.size;
  checked.emails = emails.size;
  checked.sessionSets = sessionSets.size;

  // I1 and I2, both directions.
  for (const [email, credential] of emails) {
    const userId = credential.userId ?? '(none)';
    const user = users.get(userId);
    if (!user) problems.push(`I1 email:${email} points at user ${userId}, which does not exist`);
    else if (user.email !== email)
      problems.push(`I1 email:${email} points at user ${userId}, whose email is ${user.email ?? '(none)'}`);
    else if (user.passwordHash !== credential.passwordHash)
      problems.push(`I2 email:${email} holds another password hash than user:${userId}`);
  }
  for (const [userId, user] of users) {
    // An account made by a social sign-in has no password: an empty hash (O3 checks it has another way in).
    const missing = USER_FIELDS.filter(
      (field) => user[field] === undefined || (user[field] === '' && USER_NONEMPTY.has(field)),
    );
    if (missing.length > 0) problems.push(`user:${userId} lacks ${missing.join(', ')}`);
    if (user.id !== undefined && user.id !== userId) problems.push(`user:${userId} holds id ${user.id}`);
    if (user.emailVerified !== undefined && !['0', '1'].includes(user.emailVerified))
      problems.push(`user:${userId} has emailVerified ${user.emailVerified}, expected 0 or 1`);
    if (user.email === undefined) continue;
    const indexed = emails.get(user.email)?.userId;
    if (indexed === undefined) problems.push(`I1 user:${userId} has no email index (email:${user.email})`);
    else if (indexed !== userId)
      problems.push(`I1 user:${userId} has email ${user.email}, but its index points at ${indexed}`);
  }

  // I3 and I4.
  const refreshOwners = new Map<string, string>();
  for (const [userId, { records, pttl }] of sessionSets) {
    if (!users.has(userId)) problems.push(`I3 sessions:${userId} exists, but user ${userId} does not`);
    let latest = 0;
    for (const [sessionId, text] of Object.entries(records)) {
      const record = parseRecord(text);
      if (!record) {
        problems.push(`sessions:${userId} holds a session ${sessionId} that is not a JSON object`);
        continue;
      }
      const expiresAt = Number(record.expiresAt);
      if (expiresAt <= now) {
        checked.deadSessions += 1;
        continue;
      }
      checked.sessions += 1;
      latest = Math.max(latest, expiresAt);
      const missing = SESSION_FIELDS.filter((field) => record[field] === undefined || record[field] === '');
      if (missing.length > 0)
        problems.push(`I3 sessions:${userId} session ${sessionId} lacks ${missing.join(', ')}`);
      if (record.id !== undefined && record.id !== sessionId)
        problems.push(`I3 sessions:${userId} files session ${String(record.id)} under ${sessionId}`);
      if (
        record.spent !== undefined &&
        !Array.isArray(record.spent) &&
        !(record.spent && typeof record.spent === 'object')
      )
        problems.push(`I3 sessions:${userId} session ${sessionId} has no list of spent tokens`);
      const hash = String(record.refreshHash ?? '');
      const owner = refreshOwners.get(hash);
      // Named in sorted order: HGETALL's order is Redis's to choose, and a report should not depend on it.
      if (hash && owner)
        problems.push(`I3 sessions ${[owner, sessionId].sort().join(' and ')} share a refresh token hash`);
      refreshOwners.set(hash, sessionId);
    }
    if (latest > 0 && (pttl < 0 || now + pttl + TTL_SLACK_MS < latest))
      problems.push(`I4 sessions:${userId} expires before its latest session`);
  }

  // I5.
  for (const [userId, { records, pttl }] of linkSets) {
    const user = users.get(userId);
    if (!user) problems.push(`I5 links:${userId} exists, but user ${userId} does not`);
    let latest = 0;
    for (const [purpose, text] of Object.entries(records)) {
      const link = parseRecord(text);
      if (!LINK_NAMES.includes(purpose) || !link || LINK_FIELDS.some((field) => !link[field])) {
        problems.push(`I5 links:${userId} holds a malformed ${purpose} link`);
        continue;
      }
      const expiresAt = Number(link.expiresAt);
      if (expiresAt <= now) continue;
      checked.links += 1;
      latest = Math.max(latest, expiresAt);
      // A verify link names the address awaiting proof: the user's, or a pending change's new one.
      if (purpose === 'verify' && user && link.email !== user.email && link.email !== user.pendingEmail)
        problems.push(`I5 links:${userId} holds a verify link for another address than the user's`);
    }
    if (latest > 0 && (pttl < 0 || now + pttl + TTL_SLACK_MS < latest))
      problems.push(`I5 links:${userId} expires before its latest link`);
  }

  // I6.
  for (const { kind, userId } of userBound) {
    if (!users.has(userId)) problems.push(`I6 ${kind}:${userId} exists, but user ${userId} does not`);
  }

  // O1 and O3.
  for (const [userId, records] of identitySets) {
    if (!users.has(userId)) problems.push(`O1 identities:${userId} exists, but user ${userId} does not`);
    for (const [identityId, text] of Object.entries(records)) {
      const record = parseRecord(text);
      if (!record || record.id !== identityId || !record.provider || !record.subject) {
        problems.push(`O1 identities:${userId} holds a malformed identity ${identityId}`);
        continue;
      }
      checked.identities += 1;
      const indexed = indexes.get(String(record.provider))?.[String(record.subject)];
      if (indexed !== userId)
        problems.push(
          `O1 identities:${userId} holds ${identityId}, but identity-index:${String(record.provider)} points at ${indexed ?? 'nobody'}`,
        );
    }
  }
  for (const [provider, subjects] of indexes) {
    for (const [subject, userId] of Object.entries(subjects)) {
      const owned = Object.values(identitySets.get(userId) ?? {})
        .map(parseRecord)
        .filter((r) => r?.provider === provider && r.subject === subject);
      if (owned.length !== 1)
        problems.push(
          `O1 identity-index:${provider} points ${subject} at ${userId}, which holds ${owned.length} such identities`,
        );
    }
  }
  for (const [userId, user] of users) {
    // A proved mailbox is a way in too (a sign-in mail, a reset): an account made by email has only it.
    if (user.passwordHash !== '' || user.emailVerified === '1') continue;
    if (Object.keys(identitySets.get(userId) ?? {}).length === 0 && !passkeyOwners.has(userId))
      problems.push(`O3 user:${userId} has no password, no identity and no passkey`);
  }

  return { checked, problems };
}
