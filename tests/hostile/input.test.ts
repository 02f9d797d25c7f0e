// Hostile input, property-based: whatever a client sends — random JSON, wrong types, huge strings,
// deep nesting, prototype keys, invalid UTF-8, odd and duplicate headers, wrong content types,
// random Authorization values, forged JWTs — the real handlers answer a 4xx problem+json with a
// code from lib/errors.ts, never a 5xx, and the stored data does not change at all.
//
// "No change" is checked after every run against a snapshot of every key and value under this
// file's KEY_PREFIX (session `lastUsedAt` masked: a request that reaches the session check with a
// real token touches it, which is bookkeeping, not a change of state). Bodies the schema accepts
// are filtered out where they would legitimately write (register, log in, a name change).

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { base64url, type CryptoKey, decodeProtectedHeader, importJWK, type JWK, SignJWT } from 'jose';
import { verifyData } from '../../dev/verify-data';
import { ERROR_CODES } from '../../lib/errors';
import type { HttpEvent, HttpHandler } from '../../lib/http';
import { EmailSignInBody, LoginBody, RegisterBody, UpdateProfileBody } from '../../lib/validation';
import { type Account, PASSWORD, signUp } from '../support/accounts';
import { httpEvent, invoke, lambdaContext, testServices } from '../support/app';
import { restClient } from '../support/datastore';
import { createHandlers } from '../support/handlers';

jest.setTimeout(60_000);

const services = testServices({ CORS_ALLOWED_ORIGINS: 'http://app.example' });
const prefix = services.config.keyPrefix;
const redis = restClient({ automaticDeserialization: false });
const h = createHandlers(services);

/** Every client-visible code of the registry (lib/errors.ts), with its status; the 4xx ones are the allowed answers. */
const CODES = new Map<string, number>(
  Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]),
);
const CLIENT_ERRORS = new Map([...CODES].filter(([, status]) => status < 500));

const NUM_RUNS = Number(process.env.HOSTILE_NUM_RUNS ?? 150);

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

async function call(
  handler: HttpHandler,
  event: HttpEvent,
  context: Context = lambdaContext(),
): Promise<Answer> {
  const result = await handler(event, context);
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  return { status: result.statusCode ?? 200, headers, text: result.body ?? '' };
}

/**
 * The property every answer here must have: a 4xx problem+json whose code lib/errors.ts defines
 * with that very status, the problem members README "API" lists, and no echo of the token sent.
 */
function expectClientProblem(answer: Answer, sent: { authorization?: string } = {}): string {
  const context = `${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status < 400 || answer.status > 499) throw new Error(`not a 4xx: ${context}`);
  if (answer.headers['content-type'] !== 'application/problem+json')
    throw new Error(`not problem+json: ${context}`);
  if (answer.headers['x-content-type-options'] !== 'nosniff') throw new Error(`no nosniff: ${context}`);
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  const code = String(body.code);
  if (CLIENT_ERRORS.get(code) !== answer.status) throw new Error(`unknown code or wrong status: ${context}`);
  expect(body).toMatchObject({
    type: `urn:account-service:problem:${code}`,
    title: expect.any(String),
    status: answer.status,
    detail: expect.any(String),
    code,
    requestId: expect.any(String),
  });
  if (code === 'unauthorized' && !answer.headers['www-authenticate']?.startsWith('Bearer'))
    throw new Error(`401 without WWW-Authenticate: Bearer: ${context}`);
  if (sent.authorization && sent.authorization.length >= 16 && answer.text.includes(sent.authorization))
    throw new Error(`the Authorization value was echoed: ${context}`);
  return code;
}

// ---------------------------------------------------------------------------------------------
// State: every key and value under the prefix.

// One round trip: SCAN, TYPE and the value of every key under the prefix, inside one script.
const DUMP = `
local out = {}
local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    local t = redis.call('TYPE', key)
    if type(t) == 'table' then t = t.ok end
    local value = ''
    if t == 'hash' then value = redis.call('HGETALL', key)
    elseif t == 'set' then value = redis.call('SMEMBERS', key)
    elseif t == 'string' then value = redis.call('GET', key) end
    table.insert(out, { key, t, value })
  end
until cursor == '0'
return cjson.encode(out)
`;

/** Every key under the prefix with its type and value, as one comparable string. */
async function snapshot(): Promise<string> {
  const dumped = JSON.parse(String(await redis.eval(DUMP, [], [`${prefix}*`]))) as
    | [string, string, unknown][]
    | object;
  const rows = Array.isArray(dumped) ? dumped : [];
  return [...new Map(rows.map((row) => [row[0], row])).values()]
    .map(([key, type, value]) => {
      let shown = value;
      if (type === 'hash' && Array.isArray(value)) {
        const pairs: string[][] = [];
        for (let j = 0; j < value.length; j += 2) pairs.push([String(value[j]), String(value[j + 1])]);
        // A session record's lastUsedAt is bookkeeping (see above): masked inside the JSON too.
        const masked = (text: string) =>
          text.startsWith('{') ? text.replace(/"lastUsedAt":"\d+"/, '') : text;
        shown = pairs
          .filter(([field]) => field !== 'lastUsedAt')
          .map(([f, v]) => [f, masked(v as string)])
          .sort();
      } else if (Array.isArray(value)) shown = [...value].map(String).sort();
      return `${key} ${type} ${JSON.stringify(shown)}`;
    })
    .sort()
    .join('\n');
}

let baseline = '';
// Rate-limit windows expire by themselves: such a key may vanish, but no new one may appear.
const isRateLimit = (line: string) => line.startsWith(`${prefix}rate-limit:`);
// A log-in attempt, or a re-entered password (a body that reaches the password check with a
// genuine token), is counted up front on its back-off by design: those counters may appear and grow.
const isBackoff = (line: string) =>
  line.startsWith(`${prefix}login-failures:`) || line.startsWith(`${prefix}reauth-failures:`);
const expectUnchanged = async () => {
  const now = await snapshot();
  if (now === baseline) return;
  const before = baseline.split('\n');
  const after = now.split('\n');
  const kept = (lines: string[]) => lines.filter((line) => !isRateLimit(line) && !isBackoff(line)).join('\n');
  // A limiter key may expire mid-snapshot (listed, then gone: type `none`); only a new one counts.
  const newLimits = after.filter(
    (line) => isRateLimit(line) && !line.includes(' none ') && !before.includes(line),
  );
  if (kept(before) !== kept(after) || newLimits.length > 0)
    throw new Error(`state changed:\n--- before\n${baseline}\n--- after\n${now}`);
};

// ---------------------------------------------------------------------------------------------
// Two real users; A's token is the "valid token" body endpoints are probed with.

let alice: Account;
let bob: Account;

beforeAll(async () => {
  alice = await signUp(h.register, { tag: 'hostile.alice' });
  bob = await signUp(h.register, { tag: 'hostile.bob' });
  baseline = await snapshot();
  // The snapshot sees the data it guards.
  expect(baseline).toContain(`${prefix}user:${alice.id} hash`);
  expect(baseline).toContain(`${services.keys.sessions(bob.id)} hash`);
});

afterAll(async () => {
  // The last word: besides "nothing changed", the data still satisfies every invariant.
  const report = await verifyData(redis, prefix);
  expect(report.problems).toEqual([]);
  expect(report.checked.users).toBe(2);
});

// ---------------------------------------------------------------------------------------------
// Endpoints.

interface BodyEndpoint {
  name: string;
  handler: () => HttpHandler;
  method: string;
  path: string;
  auth: boolean;
  fields: string[];
  /** A body the schema accepts — with a genuine token, it would act. */
  validBody: string;
  /** True when a body this predicate accepts would legitimately write: such bodies are skipped. */
  writes?: (body: unknown) => boolean;
}

const schemaAccepts = (schema: { safeParse(input: unknown): { success: boolean } }) => (body: unknown) =>
  schema.safeParse(body).success;

/** Whether a parsed body has `field` set to `value` (the last of duplicate keys, as the API reads it). */
const carries = (field: string, value: string) => (body: unknown) =>
  typeof body === 'object' && body !== null && (body as Record<string, unknown>)[field] === value;

const BODY_ENDPOINTS: BodyEndpoint[] = [
  {
    name: 'POST /users',
    handler: () => h.register,
    method: 'POST',
    path: '/users',
    auth: false,
    fields: ['name', 'email', 'password'],
    validBody: JSON.stringify({ name: 'N', email: 'n@example.com', password: PASSWORD }),
    writes: schemaAccepts(RegisterBody),
  },
  {
    name: 'POST /sessions',
    handler: () => h.login,
    method: 'POST',
    path: '/sessions',
    auth: false,
    fields: ['email', 'password'],
    validBody: JSON.stringify({ email: 'n@example.com', password: PASSWORD }),
    // Every accepted log-in attempt is counted (back-off), even a failed one.
    writes: schemaAccepts(LoginBody),
  },
  {
    name: 'POST /sessions/email',
    handler: () => h.requestEmailSignIn,
    method: 'POST',
    path: '/sessions/email',
    auth: false,
    fields: ['email'],
    validBody: JSON.stringify({ email: 'n@example.com' }),
    // An accepted request is counted on the per-IP limit and queues a mail (202).
    writes: schemaAccepts(EmailSignInBody),
  },
  {
    name: 'POST /sessions/email/confirm',
    handler: () => h.confirmEmailSignIn,
    method: 'POST',
    path: '/sessions/email/confirm',
    auth: false,
    fields: ['token', 'email', 'code'],
    // No sign-in mail is live here: every body is refused, and nothing is counted or stored.
    validBody: JSON.stringify({ email: 'n@example.com', code: '123456' }),
  },
  {
    name: 'POST /sessions/refresh',
    handler: () => h.refreshSession,
    method: 'POST',
    path: '/sessions/refresh',
    auth: false,
    fields: ['refreshToken'],
    validBody: JSON.stringify({ refreshToken: 'x'.repeat(43) }),
  },
  {
    name: 'PATCH /users/me',
    handler: () => h.updateProfile,
    method: 'PATCH',
    path: '/users/me',
    auth: true,
    fields: ['name', 'email', 'currentPassword'],
    validBody: JSON.stringify({ name: 'Renamed', email: 'moved@example.com', currentPassword: PASSWORD }),
    writes: schemaAccepts(UpdateProfileBody),
  },
  {
    name: 'PUT /users/me/password',
    handler: () => h.changePassword,
    method: 'PUT',
    path: '/users/me/password',
    auth: true,
    fields: ['currentPassword', 'newPassword'],
    validBody: JSON.stringify({ currentPassword: PASSWORD, newPassword: 'another long passphrase' }),
    // The right current password and any new one the rules accept would really change it.
    writes: carries('currentPassword', PASSWORD),
  },
  {
    name: 'DELETE /users/me',
    handler: () => h.deleteAccount,
    method: 'DELETE',
    path: '/users/me',
    auth: true,
    fields: ['password'],
    validBody: JSON.stringify({ password: PASSWORD }),
    // The right password really deletes the account.
    writes: carries('password', PASSWORD),
  },
];

interface TokenEndpoint {
  name: string;
  validBody?: string;
  handler: () => HttpHandler;
  method: string;
  path: string;
  pathParameters?: Record<string, string>;
}

const TOKEN_ENDPOINTS: TokenEndpoint[] = [
  { name: 'GET /users/me', handler: () => h.getProfile, method: 'GET', path: '/users/me' },
  { name: 'GET /sessions', handler: () => h.listSessions, method: 'GET', path: '/sessions' },
  { name: 'DELETE /sessions/current', handler: () => h.logout, method: 'DELETE', path: '/sessions/current' },
  {
    name: 'DELETE /sessions/{id}',
    handler: () => h.revokeSession,
    method: 'DELETE',
    path: '/sessions/x',
    pathParameters: { id: `ses_${'A'.repeat(22)}` },
  },
  { name: 'DELETE /sessions', handler: () => h.revokeAllSessions, method: 'DELETE', path: '/sessions' },
  ...BODY_ENDPOINTS.filter((e) => e.auth),
];

/** An event for `endpoint` with a raw body and exactly these headers (no defaults added). */
function rawEvent(
  endpoint: { method: string; path: string; pathParameters?: Record<string, string> },
  options: { body?: string; isBase64Encoded?: boolean; headers: Record<string, string> },
): HttpEvent {
  const event = httpEvent({
    method: endpoint.method,
    path: endpoint.path,
    pathParameters: endpoint.pathParameters,
  });
  event.headers = options.headers;
  event.body = options.body;
  event.isBase64Encoded = options.isBase64Encoded ?? false;
  return event;
}

const authHeader = (endpoint: { auth?: boolean }): Record<string, string> =>
  endpoint.auth === false ? {} : { authorization: `Bearer ${alice.token}` };

// ---------------------------------------------------------------------------------------------
// Arbitraries.

/** Strings that hurt: huge, control characters, lone surrogates, astral, NUL, homoglyphs. */
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc
    .tuple(
      fc.constantFrom('a', 'é', '😀', '\u0000', '\ud800', '\u202e', 'Ａ', ' '),
      fc.integer({ min: 0, max: 20_000 }),
    )
    .map(([unit, n]) => unit.repeat(n)),
  fc.constantFrom(
    '',
    ' ',
    'null',
    '__proto__',
    'constructor',
    '{"a":1}',
    'a@b',
    'a@example.com\u0000',
    PASSWORD,
  ),
);

/** Any JSON value, including awkward numbers and nesting. */
const anyJson = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  nastyString,
  fc.constantFrom(0, -0, 1e308, -1, 1.5, Number.MAX_SAFE_INTEGER + 2, true, false, null),
);

/** JSON text of an object with these entries, in order — keeps duplicate and `__proto__` keys as sent. */
const objectText = (entries: [string, string][]) =>
  `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`).join(',')}}`;

/** Object bodies built from the endpoint's own field names, wrong types, and prototype keys. */
const structuredBody = (fields: string[]) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...fields) },
          {
            weight: 2,
            arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'passwordHash'),
          },
          { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
        ),
        fc.oneof(
          anyJson.map((v) => JSON.stringify(v) ?? 'null'),
          fc.constant('{"__proto__":{"admin":true}}'),
        ),
      ),
      { maxLength: 6 },
    )
    .map(objectText);

/** Deeply nested arrays/objects, at the top or under a real field name. */
const deepBody = (fields: string[]) =>
  fc
    .record({
      depth: fc.integer({ min: 1, max: 9_000 }),
      kind: fc.constantFrom('array', 'object'),
      field: fc.option(fc.constantFrom(...fields), { nil: undefined }),
    })
    .map(({ depth, kind, field }) => {
      const open = kind === 'array' ? '[' : '{"a":';
      const close = kind === 'array' ? ']' : '}';
      const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
      return field === undefined ? nested : objectText([[field, nested]]);
    });

/** The endpoint's own fields, all strings: the right shape, so it gets past the schema more often. */
const rightShape = (fields: string[]) =>
  fc
    .tuple(...fields.map(() => fc.option(fc.oneof(nastyString, fc.string({ minLength: 1, maxLength: 30 })))))
    .map((values) =>
      objectText(
        fields.flatMap((field, i): [string, string][] =>
          values[i] === null || values[i] === undefined ? [] : [[field, JSON.stringify(values[i])]],
        ),
      ),
    );

/** Text bodies: random JSON, structured near-misses, nesting, and text that is not JSON at all. */
const bodyText = (fields: string[]) =>
  fc.oneof(
    rightShape(fields),
    anyJson.map((v) => JSON.stringify(v) ?? 'null'),
    structuredBody(fields),
    deepBody(fields),
    fc.string({ maxLength: 60 }),
    fc.constantFrom('{', '{"a":}', "{'a':1}", '{"a":1}{"b":2}', 'NaN', '\ufeff{}', '[,]', '{"a":1,}'),
  );

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON; Charset="UTF-8"',
  'application/merge-patch+json',
  'application/json; charset=latin1',
  'application/json; charset=',
  'application/json;;;',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonp',
  'application/json, text/plain',
  '',
  ' ',
  '*/*',
];

const oddHeaders = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'origin',
      'x-forwarded-for',
      'content-length',
      'transfer-encoding',
      'host',
      'cookie',
      '__proto__',
    ),
    fc.string({ minLength: 1, maxLength: 20 }),
  ),
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom('http://app.example', 'null', '-1', '1.2.3.4, 5.6.7.8'),
  ),
  { maxKeys: 4 },
);

// ---------------------------------------------------------------------------------------------
// Properties over bodies.

describe.each(BODY_ENDPOINTS.map((e) => [e.name, e] as const))('%s, hostile bodies', (_, endpoint) => {
  test('any text body, any content type, odd headers → 4xx problem, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        bodyText(endpoint.fields),
        fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES.slice(0, 4)) },
          { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
        ),
        fc.constantFrom('content-type', 'Content-Type', 'CONTENT-TYPE'),
        oddHeaders,
        async (body, contentType, contentTypeName, extra) => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            parsed = undefined;
          }
          fc.pre(!endpoint.writes?.(parsed));
          const headers = { ...extra, [contentTypeName]: contentType, ...authHeader(endpoint) };
          const answer = await call(endpoint.handler(), rawEvent(endpoint, { body, headers }));
          expectClientProblem(answer);
          await expectUnchanged();
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  test('invalid UTF-8 and random bytes (base64 bodies) → 4xx problem, nothing stored', async () => {
    const invalidSequences = fc.constantFrom(
      [0xc3, 0x28],
      [0xed, 0xa0, 0x80],
      [0xc0, 0xaf],
      [0xff],
      [0xf8, 0x88, 0x80, 0x80, 0x80],
      [0xe2, 0x82],
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
          fc
            .tuple(fc.constantFrom(...endpoint.fields), invalidSequences)
            .map(([field, bad]) =>
              Buffer.concat([Buffer.from(`{"${field}":"x`), Buffer.from(bad), Buffer.from('y"}')]),
            ),
        ),
        fc.constantFrom('application/json', 'application/json; charset=utf-8'),
        async (bytes, contentType) => {
          const headers = { 'content-type': contentType, ...authHeader(endpoint) };
          const body = bytes.toString('base64');
          const answer = await call(
            endpoint.handler(),
            rawEvent(endpoint, { body, isBase64Encoded: true, headers }),
          );
          const code = expectClientProblem(answer);
          // Bytes that are not UTF-8 never reach the schema.
          if (!isUtf8(bytes)) expect(code).toBe('malformed_json');
          await expectUnchanged();
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

const isUtf8 = (bytes: Buffer): boolean => {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
};

// ---------------------------------------------------------------------------------------------
// Properties over tokens.

/** Authorization values that are never a valid bearer token. */
const randomAuthorization = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 80 }).map((s) => `Bearer ${s}`),
  fc
    .array(fc.base64String({ minLength: 4, maxLength: 60 }), { minLength: 3, maxLength: 3 })
    .map((parts) => `Bearer ${parts.map((p) => p.replace(/[+/=]/g, '_')).join('.')}`),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'bearer',
    'Basic dXNlcjpwYXNz',
    'Bearer a.b',
    'Bearer a.b.c.d',
    'Bearer ...',
  ),
  // Duplicate headers reach Lambda comma-joined: never first-wins.
  fc.constant('').map(() => `Bearer ${alice.token}, Bearer ${bob.token}`),
  fc.constant('').map(() => `Bearer ${alice.token},Bearer ${alice.token}`),
  fc.constant('').map(() => `Bearer ${alice.token} extra`),
  fc.constant('').map(() => `Token ${alice.token}`),
  fc.constant('').map(() => alice.token),
);

describe.each(TOKEN_ENDPOINTS.map((e) => [e.name, e] as const))('%s, hostile tokens', (_, endpoint) => {
  test('random Authorization values → 401 unauthorized, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(
        randomAuthorization,
        fc.constantFrom('authorization', 'Authorization', 'AUTHORIZATION'),
        async (authorization, name) => {
          const headers = { [name]: authorization, 'content-type': 'application/json' };
          const answer = await call(endpoint.handler(), rawEvent(endpoint, { body: '{}', headers }));
          expect(expectClientProblem(answer, { authorization })).toBe('unauthorized');
          await expectUnchanged();
        },
      ),
      { numRuns: Math.ceil(NUM_RUNS / 2) },
    );
  });
});

// Forged JWTs: every way a token can be wrong while still looking like a JWT.
const FORGERIES = [
  'alg none',
  'alg none, signature kept',
  'HS256 keyed with the public key',
  'altered claims, signature kept',
  'altered header, signature kept',
  'signed by another key, same kid',
  'unknown kid',
  'no kid',
  'typ JWT',
  'no typ',
  'expired',
  'not yet valid',
  'wrong issuer',
  'wrong audience',
  'no sid',
  'sid not a string',
  'no jti',
  'no exp',
  'random sub and sid, validly signed',
  "alice's sub with bob's sid, validly signed",
  'a session id of the right shape that does not exist, validly signed',
] as const;
type Forgery = (typeof FORGERIES)[number];

let signingKey: CryptoKey;
let kid: string;

async function sign(
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  key: CryptoKey | Uint8Array = signingKey,
): Promise<string> {
  const { iss, aud } = { iss: services.config.jwt.issuer, aud: services.config.jwt.audience };
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss,
    aud,
    sub: alice.id,
    sid: alice.session.sessionId,
    jti: 'j',
    iat: now,
    exp: now + 600,
    ...claims,
  };
  for (const [k, v] of Object.entries(payload))
    if (v === undefined) delete payload[k as keyof typeof payload];
  const protectedHeader = { alg: 'EdDSA', typ: 'at+jwt', kid, ...header };
  for (const [k, v] of Object.entries(protectedHeader))
    if (v === undefined) delete protectedHeader[k as keyof typeof protectedHeader];
  return new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(key);
}

const segment = (value: unknown) => base64url.encode(JSON.stringify(value));

async function forge(kind: Forgery, noise: string): Promise<string> {
  const [header, payload, signature] = alice.token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  switch (kind) {
    case 'alg none':
      return `${segment({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`;
    case 'alg none, signature kept':
      return `${segment({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.${signature}`;
    case 'HS256 keyed with the public key': {
      const x = (services.config.jwt.privateKey as JWK).x as string;
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
        .sign(new TextEncoder().encode(x));
    }
    case 'altered claims, signature kept':
      return `${header}.${segment({ ...claims, sub: bob.id, sid: bob.session.sessionId, n: noise })}.${signature}`;
    case 'altered header, signature kept':
      return `${segment({ alg: 'EdDSA', typ: 'at+jwt', kid, n: noise })}.${payload}.${signature}`;
    case 'signed by another key, same kid': {
      const other = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }) as JWK;
      return sign({}, {}, (await importJWK({ ...other, alg: 'EdDSA' }, 'EdDSA')) as CryptoKey);
    }
    case 'unknown kid':
      return sign({}, { kid: noise || 'other' });
    case 'no kid':
      return sign({}, { kid: undefined });
    case 'typ JWT':
      return sign({}, { typ: 'JWT' });
    case 'no typ':
      return sign({}, { typ: undefined });
    case 'expired':
      return sign({ iat: now - 7_200, exp: now - 3_600 });
    case 'not yet valid':
      return sign({ nbf: now + 3_600 });
    case 'wrong issuer':
      return sign({ iss: `${services.config.jwt.issuer}${noise || 'x'}` });
    case 'wrong audience':
      return sign({ aud: `${services.config.jwt.audience}${noise || 'x'}` });
    case 'no sid':
      return sign({ sid: undefined });
    case 'sid not a string':
      return sign({ sid: { $ne: null } });
    case 'no jti':
      return sign({ jti: undefined });
    case 'no exp':
      return sign({ exp: undefined });
    case 'random sub and sid, validly signed':
      return sign({ sub: noise, sid: `${noise}:*` });
    case "alice's sub with bob's sid, validly signed":
      return sign({ sid: bob.session.sessionId });
    case 'a session id of the right shape that does not exist, validly signed':
      return sign({ sid: `ses_${randomBytes(16).toString('base64url')}` });
  }
}

beforeAll(async () => {
  kid = decodeProtectedHeader(alice.token).kid as string;
  signingKey = (await importJWK(
    { ...(services.config.jwt.privateKey as JWK), alg: 'EdDSA' },
    'EdDSA',
  )) as CryptoKey;
  // The forging kit itself works: a token it signs without defects is accepted.
  const genuine = await sign({});
  expect((await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: genuine })).status).toBe(200);
  baseline = await snapshot();
});

test('forged JWTs on every authenticated endpoint → 401 unauthorized, nothing stored', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...FORGERIES),
      fc.constantFrom(...TOKEN_ENDPOINTS),
      fc.string({ maxLength: 24 }),
      async (kind, endpoint, noise) => {
        const token = await forge(kind, noise);
        const authorization = `Bearer ${token}`;
        // A body that would act with a genuine token: the forgery is the only defect.
        const headers = { authorization, 'content-type': 'application/json' };
        const body = endpoint.validBody ?? '{}';
        const answer = await call(endpoint.handler(), rawEvent(endpoint, { body, headers }));
        expect(expectClientProblem(answer, { authorization })).toBe('unauthorized');
        await expectUnchanged();
      },
    ),
    { numRuns: NUM_RUNS * 3 },
  );
});

// docs/decisions.md: the token is checked before the body is looked at, and a revoked token is 401 — also
// when the body is invalid (the session check must not wait for body validation).
test('a revoked token with an invalid body → 401 unauthorized, not 400', async () => {
  const token = await sign({ sid: `ses_${randomBytes(16).toString('base64url')}` });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const answer = await call(
    h.deleteAccount,
    rawEvent({ method: 'DELETE', path: '/users/me' }, { body: '{}', headers }),
  );
  expect(expectClientProblem(answer)).toBe('unauthorized');
});

// ---------------------------------------------------------------------------------------------
// Paths and path parameters.

test('DELETE /sessions/{id} with a real token and any id that is not one of mine → 404, nothing revoked', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc
          .base64String({ minLength: 22, maxLength: 24 })
          .map((s) => `ses_${s.replace(/[+/=]/g, '-').slice(0, 22)}`),
        fc.constant('').map(() => bob.session.sessionId),
        fc.constant('').map(() => `${alice.session.sessionId}/`),
        fc.constantFrom('__proto__', 'constructor', 'current', '*', '..%2F', 'ses_*'),
      ),
      async (id) => {
        fc.pre(id !== alice.session.sessionId);
        const event = rawEvent(
          { method: 'DELETE', path: `/sessions/${encodeURIComponent(id)}`, pathParameters: { id } },
          { headers: { authorization: `Bearer ${alice.token}` } },
        );
        expect(expectClientProblem(await call(h.revokeSession, event))).toBe('not_found');
        await expectUnchanged();
      },
    ),
    { numRuns: NUM_RUNS },
  );
});

test('the catch-all on any path and method → 404 or 405 problem', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.webPath(),
        fc.string({ maxLength: 60 }).map((s) => `/${s}`),
        fc.constantFrom(
          '/users/me',
          '/sessions/',
          '//',
          '/sessions/%00',
          '/.well-known/jwks.json/',
          '/__proto__',
        ),
      ),
      fc.constantFrom('GET', 'PUT', 'POST', 'PATCH', 'DELETE', 'HEAD', 'TRACE', 'FOO'),
      async (path, method) => {
        const event = rawEvent({ method, path }, { headers: {} });
        const code = expectClientProblem(await call(h.notFound, event));
        expect(['not_found', 'method_not_allowed']).toContain(code);
      },
    ),
    { numRuns: NUM_RUNS },
  );
  await expectUnchanged();
});
