import type { Redis } from '@upstash/redis';

/**
 * Checks the data invariants `lib/scripts.ts` documents (I1–I4) over every key under a prefix.
 *
 *   I1  email:<e> = id  ⇔  user:<id> exists with email = e
 *   I2  session:<sid> ⇒ its user exists and sid ∈ user-sessions:<userId>
 *   I3  a live refresh:<h> = sid ⇒ session:<sid>.refreshHash = h (spent tokens hold "!" .. sid .. ":" .. rotatedAt)
 *   I4  session:* and refresh:* always carry a TTL, and a live refresh token never outlives its session
 *
 * Decisions, beyond the list above:
 * - A user-sessions member whose session is gone is *stale*, not a problem: sessions expire on
 *   their own (I4) and nothing can remove the id from the set at that moment; LIST_SESSIONS prunes
 *   them later. They are counted (`staleSessionRefs`). A member naming a session of *another* user
 *   is a problem, and so is a user-sessions set whose user is gone (account deletion removes it).
 * - A session whose current refresh token (refreshHash) has no live `refresh:` key is a problem:
 *   every script writes or rotates the two together, with the same TTL.
 * - Spent refresh tokens ("!" .. sid) may outlive a revoked session (they are kept for theft
 *   detection until their TTL); they only need a TTL.
 * - login-failures:* must carry a TTL too (the back-off forgets); rate-limit:* keys belong to
 *   @upstash/ratelimit and are only counted. Keys of any other shape are counted as `other`.
 *
 * Problems name keys without the prefix (`user:usr_…`), one line each.
 *
 * Read-only: SCAN, then TYPE/PTTL and one read per key, in pipelines. On a prefix that is being
 * written to, a key can change between those reads, so run it on quiescent data (after a suite,
 * or against a deployment between requests) and re-check before acting on a report.
 * Works with either setting of the client's `automaticDeserialization`.
 */
export interface DataReport {
  checked: {
    keys: number;
    users: number;
    emails: number;
    sessions: number;
    userSessionSets: number;
    /** user-sessions members whose session has expired on its own: allowed, pruned later. */
    staleSessionRefs: number;
    liveRefreshTokens: number;
    spentRefreshTokens: number;
    loginFailures: number;
    rateLimits: number;
    /** Keys of a shape this checker does not know. */
    other: number;
    /** Keys that disappeared between the scan and the reads (expired or deleted meanwhile). */
    vanished: number;
  };
  problems: string[];
}

type Kind = 'user' | 'email' | 'session' | 'user-sessions' | 'refresh' | 'login-failures' | 'rate-limit';

const KINDS: Kind[] = [
  'user-sessions',
  'user',
  'email',
  'session',
  'refresh',
  'login-failures',
  'rate-limit',
];
const EXPECTED_TYPE: Record<Kind, string> = {
  user: 'hash',
  email: 'string',
  session: 'hash',
  'user-sessions': 'set',
  refresh: 'string',
  'login-failures': 'hash',
  'rate-limit': '',
};
const USER_FIELDS = ['id', 'name', 'email', 'passwordHash', 'createdAt', 'updatedAt'];
const SESSION_FIELDS = ['id', 'userId', 'createdAt', 'lastUsedAt', 'expiresAt', 'refreshHash'];
const BATCH = 250;
// PTTLs of keys set together in one script are read a few milliseconds apart.
const TTL_SLACK_MS = 1_000;

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

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(text) : []);

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

/**
 * Scans every key under `prefix` and reports each broken invariant as one line of text, with
 * counts of what was checked. An empty `problems` list means the data is consistent.
 */
export async function verifyData(redis: Redis, prefix: string): Promise<DataReport> {
  const checked: DataReport['checked'] = {
    keys: 0,
    users: 0,
    emails: 0,
    sessions: 0,
    userSessionSets: 0,
    staleSessionRefs: 0,
    liveRefreshTokens: 0,
    spentRefreshTokens: 0,
    loginFailures: 0,
    rateLimits: 0,
    other: 0,
    vanished: 0,
  };
  const problems: string[] = [];
  const keys = await scanKeys(redis, prefix);
  checked.keys = keys.length;

  const users = new Map<string, Record<string, string>>();
  const emails = new Map<string, string>();
  const sessions = new Map<string, { fields: Record<string, string>; pttl: number }>();
  const userSessions = new Map<string, string[]>();
  const refreshTokens = new Map<string, { value: string; pttl: number }>();

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
    switch (entry.kind) {
      case 'user':
        users.set(entry.id, asHash(entry.value));
        break;
      case 'email':
        emails.set(entry.id, text(entry.value));
        break;
      case 'session':
        sessions.set(entry.id, { fields: asHash(entry.value), pttl: entry.pttl });
        break;
      case 'user-sessions':
        userSessions.set(entry.id, asList(entry.value));
        break;
      case 'refresh':
        refreshTokens.set(entry.id, { value: text(entry.value), pttl: entry.pttl });
        break;
      case 'login-failures':
        checked.loginFailures += 1;
        if (entry.pttl < 0) problems.push(`I4 login-failures:${entry.id}: login-failure counter has no TTL`);
        break;
      case 'rate-limit':
        checked.rateLimits += 1;
        break;
    }
  }
  checked.users = users.size;
  checked.emails = emails.size;
  checked.sessions = sessions.size;
  checked.userSessionSets = userSessions.size;

  // I1, both directions.
  for (const [email, userId] of emails) {
    const user = users.get(userId);
    if (!user) problems.push(`I1 email:${email} points at user ${userId}, which does not exist`);
    else if (user.email !== email)
      problems.push(`I1 email:${email} points at user ${userId}, whose email is ${user.email ?? '(none)'}`);
  }
  for (const [userId, user] of users) {
    const missing = USER_FIELDS.filter((field) => user[field] === undefined || user[field] === '');
    if (missing.length > 0) problems.push(`user:${userId} lacks ${missing.join(', ')}`);
    if (user.id !== undefined && user.id !== userId) problems.push(`user:${userId} holds id ${user.id}`);
    if (user.email === undefined) continue;
    const indexed = emails.get(user.email);
    if (indexed === undefined) problems.push(`I1 user:${userId} has no email index (email:${user.email})`);
    else if (indexed !== userId)
      problems.push(`I1 user:${userId} has email ${user.email}, but its index points at ${indexed}`);
  }

  // I2, I3 (session side) and I4 for sessions.
  for (const [sessionId, { fields, pttl }] of sessions) {
    const missing = SESSION_FIELDS.filter((field) => fields[field] === undefined || fields[field] === '');
    if (missing.length > 0) problems.push(`session:${sessionId} lacks ${missing.join(', ')}`);
    if (fields.id !== undefined && fields.id !== sessionId)
      problems.push(`session:${sessionId} holds id ${fields.id}`);
    if (pttl < 0) problems.push(`I4 session:${sessionId} has no TTL`);
    const userId = fields.userId;
    if (userId === undefined) continue;
    if (!users.has(userId))
      problems.push(`I2 session:${sessionId} belongs to user ${userId}, which does not exist`);
    if (!userSessions.get(userId)?.includes(sessionId))
      problems.push(`I2 session:${sessionId} is missing from user-sessions:${userId}`);
    const hash = fields.refreshHash;
    if (hash !== undefined) {
      const token = refreshTokens.get(hash);
      if (token === undefined || token.value !== sessionId)
        problems.push(`I3 session:${sessionId} has no live refresh token (refresh:${hash})`);
      else if (pttl >= 0 && token.pttl > pttl + TTL_SLACK_MS)
        problems.push(`I4 refresh:${hash} outlives its session ${sessionId}`);
    }
  }

  // user-sessions: members must be the user's sessions; members of expired sessions are stale.
  for (const [userId, members] of userSessions) {
    if (!users.has(userId)) problems.push(`I2 user-sessions:${userId} exists, but user ${userId} does not`);
    for (const sessionId of members) {
      const session = sessions.get(sessionId);
      if (session === undefined) checked.staleSessionRefs += 1;
      else if (session.fields.userId !== userId)
        problems.push(
          `I2 user-sessions:${userId} lists session ${sessionId} of user ${session.fields.userId ?? '(none)'}`,
        );
    }
  }

  // I3 (token side) and I4 for refresh tokens.
  for (const [hash, { value, pttl }] of refreshTokens) {
    if (pttl < 0) problems.push(`I4 refresh:${hash} has no TTL`);
    if (value.startsWith('!')) {
      checked.spentRefreshTokens += 1;
      continue;
    }
    checked.liveRefreshTokens += 1;
    const session = sessions.get(value);
    if (session === undefined)
      problems.push(`I3 refresh:${hash} points at session ${value}, which does not exist`);
    else if (session.fields.refreshHash !== hash)
      problems.push(`I3 refresh:${hash} points at session ${value}, whose refresh hash is another`);
  }

  return { checked, problems };
}
