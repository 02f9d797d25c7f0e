// End to end over HTTP: the built bundles under serverless offline, started here, against the
// run's local datastore. This is exactly what `npm start` serves and `serverless deploy` ships.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { buildOpenApiDocument } from '../../build/openapi';
import { SoftAuthenticator } from '../../dev/soft-authenticator';
import { totpCode } from '../../lib/mfa/totp';
import { ROUTES } from '../../lib/routes';
import { PASSWORD } from '../support/accounts';
import { mailedLinkToken } from '../support/mail';
import { startTestApi } from '../support/offline';
import { OpenApiCheck } from '../support/openapi-check';

const _root = join(__dirname, '../..');
let api: Awaited<ReturnType<typeof startTestApi>>;

beforeAll(async () => {
  // (the bundles were built once for the whole run by tests/support/global-setup.ts)
  api = await startTestApi('e2e', { CORS_ALLOWED_ORIGINS: 'http://app.example' });
}, 90_000);

afterAll(async () => {
  await api?.stop();
});

// The OpenAPI document as the API serves it; responses below are checked against its schemas.
// biome-ignore lint/suspicious/noExplicitAny: a JSON document, walked by path
let openapi: any;
const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
beforeAll(async () => {
  openapi = await (await fetch(`${api.url}/openapi.json`)).json();
  check = new OpenApiCheck(openapi);
  ajv.addSchema({ $id: 'openapi.json', components: { schemas: openapi.components.schemas } });
});

interface Call {
  method?: string;
  body?: unknown;
  raw?: string;
  token?: string;
  headers?: Record<string, string>;
}

// Every response of this suite is checked against the served document, as a validating proxy
// would: a documented status, media type, body and required headers (tests/support/openapi-check.ts).
let check: OpenApiCheck;
const undocumented: string[] = [];

/** The document's path template a concrete path falls under (static routes first, as API Gateway). */
const templateOf = (path: string): string => {
  const bare = path.split('?')[0] ?? path;
  const templates = [...new Set(ROUTES.map((route) => route.path))];
  const matches = (template: string) => {
    const a = template.split('/');
    const b = bare.split('/');
    return (
      a.length === b.length && a.every((part, i) => (part.startsWith('{') ? b[i] !== '' : part === b[i]))
    );
  };
  return templates.find((t) => t === bare) ?? templates.find((t) => t.includes('{') && matches(t)) ?? bare;
};

async function call(path: string, { method = 'GET', body, raw, token, headers = {} }: Call = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await response.text();
  if (method !== 'OPTIONS')
    undocumented.push(
      ...check.problems(method, templateOf(path), {
        status: response.status,
        headers: response.headers,
        text,
      }),
    );
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/**
 * Asserts that a response is one the OpenAPI document gives for this operation: a documented
 * status, the documented media type, and a body valid against the documented schema.
 */
function expectDocumented(
  path: string,
  method: string,
  response: { status: number; headers: Headers; body: unknown },
): void {
  const operation = openapi.paths[path]?.[method.toLowerCase()];
  let documented = operation?.responses?.[String(response.status)];
  if (documented?.$ref) documented = openapi.components.responses[documented.$ref.split('/').pop()];
  expect({ operation: `${method} ${path}`, status: response.status, documented: !!documented }).toEqual({
    operation: `${method} ${path}`,
    status: response.status,
    documented: true,
  });
  if (!documented.content) {
    expect(response.body).toBeUndefined();
    return;
  }
  const type = (response.headers.get('content-type') ?? '').split(';')[0] as string;
  expect(Object.keys(documented.content)).toContain(type);
  // The document's `$ref`s are relative to the document, which ajv holds as `openapi.json`.
  const schema = JSON.stringify(documented.content[type].schema).replaceAll('"#/', '"openapi.json#/');
  const validate = ajv.compile(JSON.parse(schema));
  expect({ body: response.body, errors: validate(response.body) ? null : validate.errors }).toEqual({
    body: response.body,
    errors: null,
  });
}

test('register → me → rename → logout → 401 → login → delete → login 401 → re-register', async () => {
  const email = `e2e.${randomBytes(4).toString('hex')}@example.com`;
  const reg = await call('/users', { method: 'POST', body: { name: 'Ada', email, password: PASSWORD } });
  expect(reg.status).toBe(201);
  expect(reg.headers.get('location')).toBe('/users/me');
  expectDocumented('/users', 'POST', reg);
  const token = reg.body.session.accessToken;

  const me = await call('/users/me', { token });
  expect(me.status).toBe(200);
  expectDocumented('/users/me', 'GET', me);
  expect(me.body).toEqual({ user: reg.body.user });
  expect(me.headers.get('cache-control')).toBe('no-store');
  expect(me.headers.get('x-content-type-options')).toBe('nosniff');

  const renamed = await call('/users/me', {
    method: 'PATCH',
    token,
    raw: JSON.stringify({ name: 'Ada King' }),
    headers: { 'content-type': 'application/merge-patch+json' },
  });
  expect(renamed.status).toBe(200);
  expectDocumented('/users/me', 'PATCH', renamed);
  expect(renamed.body.user.name).toBe('Ada King');

  const sessions = await call('/sessions', { token });
  expectDocumented('/sessions', 'GET', sessions);
  expect(sessions.body.sessions).toHaveLength(1);

  const logout = await call('/sessions/current', { method: 'DELETE', token });
  expect(logout.status).toBe(204);
  expectDocumented('/sessions/current', 'DELETE', logout);
  const gone = await call('/users/me', { token });
  expect(gone.status).toBe(401);
  expectDocumented('/users/me', 'GET', gone);
  expect(gone.headers.get('content-type')).toBe('application/problem+json');
  expect(gone.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');

  const login = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect(login.status).toBe(200);
  expectDocumented('/sessions', 'POST', login);
  const refreshed = await call('/sessions/refresh', {
    method: 'POST',
    body: { refreshToken: login.body.session.refreshToken },
  });
  expectDocumented('/sessions/refresh', 'POST', refreshed);
  const token2 = login.body.session.accessToken;

  expect(
    (await call('/users/me', { method: 'DELETE', token: token2, body: { password: PASSWORD } })).status,
  ).toBe(204);
  expect((await call('/users/me', { token: token2 })).status).toBe(401);
  const refused = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect(refused.status).toBe(401);
  expect(refused.body.code).toBe('invalid_credentials');
  expectDocumented('/sessions', 'POST', refused);

  expect(
    (await call('/users', { method: 'POST', body: { name: 'Ada', email, password: PASSWORD } })).status,
  ).toBe(201);
});

test('a duplicate email is 409 email_taken', async () => {
  const email = `dup.${randomBytes(4).toString('hex')}@example.com`;
  expect(
    (await call('/users', { method: 'POST', body: { name: 'A', email, password: PASSWORD } })).status,
  ).toBe(201);
  const again = await call('/users', {
    method: 'POST',
    body: { name: 'B', email: email.toUpperCase(), password: PASSWORD },
  });
  expect(again.status).toBe(409);
  expectDocumented('/users', 'POST', again);
  expect(again.body).toEqual({
    type: 'urn:account-service:problem:email_taken',
    title: 'Email taken',
    status: 409,
    detail: 'An account with this email already exists.',
    code: 'email_taken',
    requestId: expect.any(String),
  });
});

test.each([
  [
    'wrong content type',
    { raw: '{}', headers: { 'content-type': 'text/plain' } },
    415,
    'unsupported_media_type',
  ],
  [
    'malformed JSON',
    { raw: '{"name":', headers: { 'content-type': 'application/json' } },
    400,
    'malformed_json',
  ],
  ['a JSON array', { body: [] }, 400, 'validation_failed'],
  [
    'an unknown field',
    { body: { name: 'A', email: 'a@example.com', password: PASSWORD, id: 'x' } },
    400,
    'validation_failed',
  ],
  ['a body over 16 KiB', { body: { name: 'x'.repeat(17_000) } }, 413, 'payload_too_large'],
  [
    // the bundled, gzipped common-password list at work (12+ characters, on the top-10,000 list)
    'a common password',
    { body: { name: 'A', email: 'common@example.com', password: '1q2w3e4r5t6y' } },
    400,
    'validation_failed',
  ],
])('register with %s', async (_, input, status, code) => {
  const response = await call('/users', { method: 'POST', ...(input as Call) });
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body.code).toBe(code);
  expectDocumented('/users', 'POST', response);
});

test('a validation problem names the offending fields, as documented', async () => {
  const response = await call('/users', {
    method: 'POST',
    body: { name: '', email: 'nope', password: PASSWORD },
  });
  expect(response.status).toBe(400);
  expectDocumented('/users', 'POST', response);
  expect(response.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'name']);
});

test('unknown path → 404, known path with another method → 405 with Allow', async () => {
  const missing = await call('/nothing/here');
  expect(missing.status).toBe(404);
  expect(missing.body.code).toBe('not_found');
  const wrong = await call('/users/me', { method: 'PUT' });
  expect(wrong.status).toBe(405);
  expect(wrong.body.code).toBe('method_not_allowed');
  expect(wrong.headers.get('allow')).toBe('GET, PATCH, DELETE');
});

test('CORS: preflight and responses name only the configured origin', async () => {
  const preflight = await fetch(`${api.url}/users`, {
    method: 'OPTIONS',
    headers: { origin: 'http://app.example', 'access-control-request-method': 'POST' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe('http://app.example');

  const refused = await fetch(`${api.url}/users`, {
    method: 'OPTIONS',
    headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
  });
  expect(refused.headers.get('access-control-allow-origin')).toBeNull();

  const allowed = await call('/.well-known/jwks.json', { headers: { origin: 'http://app.example' } });
  expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.example');
  // (serverless-offline echoes any Origin on non-preflight responses, unlike API Gateway; the
  // functions' own CORS middleware refuses other origins: see tests/functions/cors.test.ts.)
});

test('JWKS publishes the public key only, with a cache lifetime', async () => {
  const jwks = await call('/.well-known/jwks.json');
  expect(jwks.status).toBe(200);
  expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
  expectDocumented('/.well-known/jwks.json', 'GET', jwks);
  expect(jwks.body.keys).toEqual([
    { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' },
  ]);
});

test('GET /openapi.json serves the document generated from the source schemas, cacheable', async () => {
  const response = await call('/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json(;|$)/);
  expect(response.headers.get('cache-control')).toBe('public, max-age=300');
  expect(response.body).toEqual(buildOpenApiDocument());
});

test('second factors and passkeys over HTTP: every answer is one the document gives', async () => {
  const email = `e2e.mfa.${randomBytes(4).toString('hex')}@example.com`;
  const reg = await call('/users', { method: 'POST', body: { name: 'Ada', email, password: PASSWORD } });
  const token = reg.body.session.accessToken;
  expectDocumented('/users/me/security', 'GET', await call('/users/me/security', { token }));
  // Second factors and passkeys need a proved address: not yet …
  const unproved = await call('/users/me/totp', {
    method: 'POST',
    token,
    body: { currentPassword: PASSWORD },
  });
  expect(unproved.status).toBe(403);
  expectDocumented('/users/me/totp', 'POST', unproved);
  const unprovedPasskey = await call('/users/me/passkeys/options', { method: 'POST', token });
  expect(unprovedPasskey.body.code).toBe('email_not_verified');
  // … then proved with the mailed link.
  const proved = await call('/email-verification', {
    method: 'POST',
    body: { token: await mailedLinkToken(api.mailbox, email, 'verify-email') },
  });
  expect(proved.status).toBe(200);

  // TOTP on, then a log-in that needs it.
  const started = await call('/users/me/totp', {
    method: 'POST',
    token,
    body: { currentPassword: PASSWORD },
  });
  expectDocumented('/users/me/totp', 'POST', started);
  const confirmed = await call('/users/me/totp/confirm', {
    method: 'POST',
    token,
    body: { code: totpCode(started.body.secret, Date.now()) },
  });
  expect(confirmed.status).toBe(200);
  expectDocumented('/users/me/totp/confirm', 'POST', confirmed);
  const required = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect(required.status).toBe(403);
  expectDocumented('/sessions', 'POST', required);
  const wrong = await call('/sessions/mfa', {
    method: 'POST',
    body: { mfaToken: required.body.mfaToken, code: '000000' },
  });
  expect(wrong.status).toBe(401);
  expectDocumented('/sessions/mfa', 'POST', wrong);
  const second = await call('/sessions/mfa', {
    method: 'POST',
    body: { mfaToken: required.body.mfaToken, recoveryCode: confirmed.body.recoveryCodes[0] },
  });
  expect(second.status).toBe(200);
  expectDocumented('/sessions/mfa', 'POST', second);
  const renewed = await call('/users/me/recovery-codes', {
    method: 'POST',
    token,
    body: { currentPassword: PASSWORD, recoveryCode: confirmed.body.recoveryCodes[1] },
  });
  expect(renewed.status).toBe(200);
  expectDocumented('/users/me/recovery-codes', 'POST', renewed);

  // A passkey: registered, listed, used, deleted (the API's default relying party: APP_URL).
  const authenticator = new SoftAuthenticator();
  const origin = 'http://localhost:5173';
  const creation = await call('/users/me/passkeys/options', { method: 'POST', token });
  expectDocumented('/users/me/passkeys/options', 'POST', creation);
  const added = await call('/users/me/passkeys', {
    method: 'POST',
    token,
    body: { response: authenticator.register(creation.body.options, origin), name: 'e2e' },
  });
  expect(added.status).toBe(201);
  expectDocumented('/users/me/passkeys', 'POST', added);
  expectDocumented('/users/me/passkeys', 'GET', await call('/users/me/passkeys', { token }));
  const request = await call('/sessions/passkey/options', { method: 'POST' });
  expectDocumented('/sessions/passkey/options', 'POST', request);
  const viaPasskey = await call('/sessions/passkey', {
    method: 'POST',
    body: { response: authenticator.authenticate(request.body.options, origin) },
  });
  expect(viaPasskey.status).toBe(200);
  expectDocumented('/sessions/passkey', 'POST', viaPasskey);
  const replayed = await call('/sessions/passkey', {
    method: 'POST',
    body: { response: authenticator.authenticate(request.body.options, origin) },
  });
  expect(replayed.status).toBe(400);
  expectDocumented('/sessions/passkey', 'POST', replayed);
  const deleted = await call(`/users/me/passkeys/${authenticator.id}`, {
    method: 'DELETE',
    token,
    body: { currentPassword: PASSWORD },
  });
  expect(deleted.status).toBe(204);
  expectDocumented('/users/me/passkeys/{passkeyId}', 'DELETE', deleted);

  const off = await call('/users/me/totp', {
    method: 'DELETE',
    token,
    body: { currentPassword: PASSWORD, recoveryCode: renewed.body.recoveryCodes[0] },
  });
  expect(off.status).toBe(204);
  expectDocumented('/users/me/totp', 'DELETE', off);
});

test('passwordless email over HTTP: ask, read the mail, sign up with the code, then with a link', async () => {
  const email = `e2e.mail.${randomBytes(4).toString('hex')}@example.com`;
  /** The link token and code of the `count`-th sign-in mail to the address (the mail function runs asynchronously). */
  const mailed = async (count: number) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const mails = (await api.mailbox.mails()).filter(
        (m) => m.destination.to.includes(email) && m.body.text?.includes('/sign-in#token='),
      );
      const text = mails[count - 1]?.body.text;
      if (text)
        return {
          token: decodeURIComponent(/sign-in#token=([A-Za-z0-9_%.-]+)/.exec(text)?.[1] ?? ''),
          code: /code where you asked: (\d{6})/.exec(text)?.[1] ?? '',
        };
      if (Date.now() > deadline) throw new Error('no sign-in mail');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const asked = await call('/sessions/email', { method: 'POST', body: { email } });
  expect(asked.status).toBe(202);
  expectDocumented('/sessions/email', 'POST', asked);
  const first = await mailed(1);
  const wrong = await call('/sessions/email/confirm', {
    method: 'POST',
    body: { email, code: first.code === '000000' ? '000001' : '000000' },
  });
  expect(wrong.status).toBe(401);
  expectDocumented('/sessions/email/confirm', 'POST', wrong);
  const created = await call('/sessions/email/confirm', {
    method: 'POST',
    body: { email, code: first.code },
  });
  expect(created.status).toBe(200);
  expect(created.body.created).toBe(true);
  expectDocumented('/sessions/email/confirm', 'POST', created);
  const spent = await call('/sessions/email/confirm', { method: 'POST', body: { token: first.token } });
  expect(spent.status).toBe(400);
  expectDocumented('/sessions/email/confirm', 'POST', spent);

  await call('/sessions/email', { method: 'POST', body: { email } });
  const second = await mailed(2);
  const signedIn = await call('/sessions/email/confirm', { method: 'POST', body: { token: second.token } });
  expect(signedIn.status).toBe(200);
  expect(signedIn.body).toMatchObject({
    created: false,
    user: { id: created.body.user.id, emailVerified: true },
  });
  expectDocumented('/sessions/email/confirm', 'POST', signedIn);
});

test('every response of this suite is one the served OpenAPI document gives', () => {
  expect(check.checked).toBeGreaterThan(20);
  expect(undocumented).toEqual([]);
});
