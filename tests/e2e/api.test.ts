// End to end over HTTP: the built bundles under serverless offline, started here, against the
// run's local datastore. This is exactly what `npm start` serves and `serverless deploy` ships.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Offline, startOffline } from '../../dev/offline';
import { newSigningKey } from '../support/app';

const root = join(__dirname, '../..');
let api: Offline;

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'esbuild.config.mjs'), 'functions'], { cwd: root });
  api = await startOffline({
    root,
    env: {
      UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL as string,
      UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN as string,
      JWT_PRIVATE_KEY: newSigningKey(),
      KEY_PREFIX: `e2e:${randomBytes(6).toString('hex')}:`,
      CORS_ALLOWED_ORIGINS: 'http://app.example',
      LOG_LEVEL: 'ERROR',
    },
  });
}, 90_000);

afterAll(async () => {
  await api?.stop();
});

interface Call {
  method?: string;
  body?: unknown;
  raw?: string;
  token?: string;
  headers?: Record<string, string>;
}

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
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const PASSWORD = 'correct horse battery staple';

test('register → me → rename → logout → 401 → login → delete → login 401 → re-register', async () => {
  const email = `e2e.${randomBytes(4).toString('hex')}@example.com`;
  const reg = await call('/users', { method: 'POST', body: { name: 'Ada', email, password: PASSWORD } });
  expect(reg.status).toBe(201);
  expect(reg.headers.get('location')).toBe('/users/me');
  const token = reg.body.session.accessToken;

  const me = await call('/users/me', { token });
  expect(me.status).toBe(200);
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
  expect(renamed.body.user.name).toBe('Ada King');

  expect((await call('/sessions/current', { method: 'DELETE', token })).status).toBe(204);
  const gone = await call('/users/me', { token });
  expect(gone.status).toBe(401);
  expect(gone.headers.get('content-type')).toBe('application/problem+json');
  expect(gone.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');

  const login = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect(login.status).toBe(200);
  const token2 = login.body.session.accessToken;

  expect(
    (await call('/users/me', { method: 'DELETE', token: token2, body: { password: PASSWORD } })).status,
  ).toBe(204);
  expect((await call('/users/me', { token: token2 })).status).toBe(401);
  const refused = await call('/sessions', { method: 'POST', body: { email, password: PASSWORD } });
  expect(refused.status).toBe(401);
  expect(refused.body.code).toBe('invalid_credentials');

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
])('register with %s → %i %s', async (_, input, status, code) => {
  const response = await call('/users', { method: 'POST', ...(input as Call) });
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  expect(response.body.code).toBe(code);
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
  expect(jwks.body.keys).toEqual([
    { kty: 'OKP', crv: 'Ed25519', x: expect.any(String), kid: expect.any(String), alg: 'EdDSA', use: 'sig' },
  ]);
});
