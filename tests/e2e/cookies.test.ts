// The cookie transport over HTTP: the built bundles under serverless offline. What the handler
// tests cannot see: the Set-Cookie header as it leaves the server, the Cookie header as a client
// sends it (hapi must not refuse a malformed one before the function runs), CORS preflight for
// the opt-in header, and every answer checked against the served OpenAPI document.
import type { Offline } from '../../dev/offline';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { startTestApi } from '../support/offline';
import { OpenApiCheck } from '../support/openapi-check';

const APP = 'http://localhost:5173';
let api: Offline;
let check: OpenApiCheck;

beforeAll(async () => {
  api = await startTestApi('e2e-cookies', { CORS_ALLOWED_ORIGINS: APP });
  check = new OpenApiCheck(await (await fetch(`${api.url}/openapi.json`)).json());
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

/** One request; the answer is checked against the document (`template` names its operation). */
async function call(
  path: string,
  template: string,
  { method = 'POST', body, raw, token, headers = {} }: Call = {},
) {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await response.text();
  check.expectDocumented(method, template, { status: response.status, headers: response.headers, text });
  return {
    status: response.status,
    headers: response.headers,
    setCookies: response.headers.getSetCookie(),
    body: text ? JSON.parse(text) : undefined,
  };
}

/** A Set-Cookie header's name, value and attributes (names lowercased). */
function parseSetCookie(header: string) {
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
  const equals = pair.indexOf('=');
  return {
    name: pair.slice(0, equals),
    value: pair.slice(equals + 1),
    attributes: Object.fromEntries(
      attributes.map((attribute) => {
        const [key = '', value = true] = attribute.split('=');
        return [key.toLowerCase(), value];
      }),
    ),
  };
}

const browser = (cookie?: string) => ({
  'session-transport': 'cookie',
  origin: APP,
  ...(cookie ? { cookie: `__Host-refresh=${cookie}` } : {}),
});

/** The refresh cookie an answer sets, its attributes checked. */
function refreshCookieOf(answer: { setCookies: string[] }): string {
  expect(answer.setCookies).toHaveLength(1);
  const cookie = parseSetCookie(answer.setCookies[0] as string);
  expect(cookie.name).toBe('__Host-refresh');
  expect(cookie.attributes).toMatchObject({
    httponly: true,
    secure: true,
    samesite: 'Strict',
    path: '/',
    'max-age': '2592000',
  });
  expect(cookie.attributes.domain).toBeUndefined();
  return cookie.value;
}

test('register, refresh by cookie, replay, log out: over HTTP, as the document says', async () => {
  // Register in cookie mode.
  const email = uniqueEmail('e2e-cookie');
  const registered = await call('/users', '/users', {
    body: { name: 'Cookie Ada', email, password: PASSWORD },
    headers: browser(),
  });
  expect(registered.status).toBe(201);
  const first = refreshCookieOf(registered);
  expect(registered.body.session.refreshToken).toBeUndefined();
  expect(registered.headers.get('access-control-allow-credentials')).toBe('true');
  expect(registered.headers.get('access-control-allow-origin')).toBe(APP);

  // Refresh by the cookie alone.
  const refreshed = await call('/sessions/refresh', '/sessions/refresh', { headers: browser(first) });
  expect(refreshed.status).toBe(200);
  const second = refreshCookieOf(refreshed);
  expect(second).not.toBe(first);
  expect(JSON.stringify(refreshed.body)).not.toContain(second);

  // From another origin: refused, and nothing rotated.
  const evil = await call('/sessions/refresh', '/sessions/refresh', {
    headers: { ...browser(second), origin: 'http://evil.test' },
  });
  expect([evil.status, evil.body.code, evil.setCookies]).toEqual([403, 'origin_not_allowed', []]);
  const plain = await call('/sessions/refresh', '/sessions/refresh', {
    raw: '{}',
    headers: { ...browser(second), 'content-type': 'text/plain' },
  });
  expect([plain.status, plain.body.code]).toEqual([403, 'origin_not_allowed']);

  // Use the latest, then replay the first: theft, the session dies.
  const third = refreshCookieOf(
    await call('/sessions/refresh', '/sessions/refresh', { headers: browser(second) }),
  );
  const replay = await call('/sessions/refresh', '/sessions/refresh', { headers: browser(first) });
  expect([replay.status, replay.body.code, replay.setCookies]).toEqual([401, 'invalid_refresh_token', []]);
  const afterTheft = await call('/sessions/refresh', '/sessions/refresh', { headers: browser(third) });
  expect(afterTheft.status).toBe(401);

  // A new log-in, then log-out clears the cookie.
  const login = await call('/sessions', '/sessions', {
    body: { email, password: PASSWORD },
    headers: browser(),
  });
  expect(login.status).toBe(200);
  refreshCookieOf(login);
  const logout = await call('/sessions/current', '/sessions/current', {
    method: 'DELETE',
    token: login.body.session.accessToken,
    headers: browser(),
  });
  expect(logout.status).toBe(204);
  expect(logout.setCookies).toHaveLength(1);
  const cleared = parseSetCookie(logout.setCookies[0] as string);
  expect([cleared.name, cleared.value, cleared.attributes['max-age']]).toEqual(['__Host-refresh', '', '0']);
  expect(cleared.attributes).toMatchObject({ httponly: true, secure: true, path: '/' });
}, 60_000);

test.each([
  ['a malformed header', '__Host-refresh="unterminated; =; ;;a'],
  ['non-ASCII bytes', '__Host-refresh=éÿ'],
  ['an oversized cookie', `__Host-refresh=${'A'.repeat(6000)}`],
  ['two refresh cookies', '__Host-refresh=a; __Host-refresh=b'],
])('%s: 401 invalid_refresh_token from the function, not an error page', async (_, cookie) => {
  const answer = await call('/sessions/refresh', '/sessions/refresh', {
    headers: { 'session-transport': 'cookie', origin: APP, cookie },
  });
  expect([answer.status, answer.body.code]).toEqual([401, 'invalid_refresh_token']);
  expect(answer.headers.get('content-type')).toBe('application/problem+json');
});

test('CORS preflight: the app may send Session-Transport with credentials; another origin gets nothing', async () => {
  const preflight = (origin: string) =>
    fetch(`${api.url}/sessions/refresh`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,session-transport',
      },
    });
  const allowed = await preflight(APP);
  expect(allowed.status).toBeLessThan(300);
  expect(allowed.headers.get('access-control-allow-origin')).toBe(APP);
  expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
  expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('session-transport');
  const refused = await preflight('http://evil.test');
  expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  expect(refused.headers.get('access-control-allow-credentials')).toBeNull();
});

test('a Bearer client in the same run: tokens in the body, no Set-Cookie', async () => {
  const email = uniqueEmail('e2e-bearer');
  const registered = await call('/users', '/users', {
    body: { name: 'Bearer Bob', email, password: PASSWORD },
  });
  expect(registered.status).toBe(201);
  expect(registered.setCookies).toEqual([]);
  const refreshed = await call('/sessions/refresh', '/sessions/refresh', {
    body: { refreshToken: registered.body.session.refreshToken },
  });
  expect(refreshed.status).toBe(200);
  expect(refreshed.setCookies).toEqual([]);
  expect(typeof refreshed.body.session.refreshToken).toBe('string');
});
