// The refresh cookie and the cookie transport's pure parts (lib/cookies/): how the cookie is
// written and read, the CSRF gate, and the route table's opt-in.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import {
  clearedRefreshCookie,
  MAX_COOKIE_HEADER_CHARS,
  readRefreshCookie,
  refreshCookie,
} from '../../lib/cookies/session-cookie';
import { cookieTransport, credentialedOrigins } from '../../lib/cookies/transport';
import { AppError } from '../../lib/errors';
import * as resources from '../../lib/resources';
import { type Route, ROUTES as TABLE } from '../../lib/routes';
import { newRefreshToken } from '../../lib/tokens';

const TOKEN = newRefreshToken('usr_AAAAAAAAAAAAAAAAAAAAAA', 'ses_BBBBBBBBBBBBBBBBBBBBBB');

const event = (headers: Record<string, string>, extra: Partial<APIGatewayProxyEventV2> = {}) =>
  ({ headers, ...extra }) as APIGatewayProxyEventV2;

/** The code of what `run` throws, or `ok`. */
function outcome(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

describe('the __Host-refresh cookie', () => {
  test('is written with exactly the attributes the README gives it, and deleted with Max-Age=0', () => {
    expect(refreshCookie(TOKEN, 2_592_000)).toBe(
      `__Host-refresh=${TOKEN}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=2592000`,
    );
    expect(clearedRefreshCookie()).toBe(
      '__Host-refresh=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0',
    );
  });

  test.each([
    ['the only cookie', `__Host-refresh=${TOKEN}`],
    ['among others', `theme=dark; __Host-refresh=${TOKEN}; _ga=GA1.2.3`],
    ['with spaces around', `  __Host-refresh=${TOKEN}  ;x=1`],
  ])('is read from the Cookie header: %s', (_, cookie) => {
    expect(readRefreshCookie(event({ cookie }))).toBe(TOKEN);
  });

  test("is read from API Gateway's payload 2.0 `cookies` when there is no header", () => {
    expect(readRefreshCookie(event({}, { cookies: ['a=b', `__Host-refresh=${TOKEN}`] }))).toBe(TOKEN);
  });

  test.each([
    ['no Cookie header', undefined],
    ['other cookies only', 'theme=dark; refresh=x'],
    ['an empty value', '__Host-refresh='],
    ['a name without =', '__Host-refresh'],
    ['a quoted value', `__Host-refresh="${TOKEN}"`],
    ['a value that is not a refresh token', '__Host-refresh=hello'],
    ['an access token', '__Host-refresh=eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln'],
    ['a token with a tail', `__Host-refresh=${TOKEN}x`],
    ['an oversized value', `__Host-refresh=${TOKEN}${'A'.repeat(5000)}`],
    ['an oversized header', `pad=${'x'.repeat(MAX_COOKIE_HEADER_CHARS)}; __Host-refresh=${TOKEN}`],
    ['two refresh cookies', `__Host-refresh=${TOKEN}; __Host-refresh=${TOKEN}`],
    ['two, differently cased', `__Host-refresh=${TOKEN}; __host-REFRESH=${TOKEN}`],
    ['control characters', `__Host-refresh=${TOKEN}\u0000`],
  ])('is refused (401 invalid_refresh_token) with %s', (_, cookie) => {
    const headers: Record<string, string> = cookie === undefined ? {} : { cookie };
    expect(outcome(() => readRefreshCookie(event(headers)))).toBe('invalid_refresh_token');
  });

  test('any Cookie header at all gives the token or 401, never anything else', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 60 }),
            fc.constantFrom('__Host-refresh=', `__Host-refresh=${TOKEN}`, '=', ';', '"'),
            fc.string({ unit: 'binary', maxLength: 40 }),
          ),
          { maxLength: 12 },
        ),
        (parts) => {
          expect(['ok', 'invalid_refresh_token']).toContain(
            outcome(() => readRefreshCookie(event({ cookie: parts.join('') }))),
          );
        },
      ),
    );
  });
});

describe('the CSRF gate of cookie-mode requests', () => {
  const origins = ['https://app.example', 'http://localhost:5173/'];
  const refresh = cookieTransport('refresh', origins);
  const gate = (headers: Record<string, string>, body?: string) =>
    outcome(() => refresh(event({ 'session-transport': 'cookie', ...headers }, { body })));

  test('lets a listed origin through, with no body or a JSON one', () => {
    expect(gate({ origin: 'https://app.example' })).toBe('ok');
    expect(gate({ origin: 'http://localhost:5173', 'content-type': 'application/json' }, '{}')).toBe('ok');
    expect(
      gate({ origin: 'https://app.example', 'content-type': 'application/json; charset=utf-8' }, '{}'),
    ).toBe('ok');
  });

  test.each([
    ['no Origin', {}, undefined],
    ['another origin', { origin: 'http://evil.test' }, undefined],
    ['a look-alike origin', { origin: 'https://app.example.evil.test' }, undefined],
    ['a listed origin on another port', { origin: 'https://app.example:8443' }, undefined],
    ['the opaque origin', { origin: 'null' }, undefined],
    ['a text/plain body', { origin: 'https://app.example', 'content-type': 'text/plain' }, '{}'],
    [
      'a form body',
      { origin: 'https://app.example', 'content-type': 'application/x-www-form-urlencoded' },
      'a=b',
    ],
    ['a body without a type', { origin: 'https://app.example' }, '{}'],
  ])('refuses %s (403 origin_not_allowed)', (_, headers, body) => {
    expect(gate(headers as Record<string, string>, body)).toBe('origin_not_allowed');
  });

  test('never lets anyone use the cookie through `*`', () => {
    expect(credentialedOrigins(['*'])).toEqual(new Set());
    const open = cookieTransport('refresh', ['*']);
    expect(outcome(() => open(event({ 'session-transport': 'cookie', origin: 'https://app.example' })))).toBe(
      'origin_not_allowed',
    );
  });

  test('is not asked of requests that did not opt in (Bearer clients)', () => {
    expect(refresh(event({}))).toBeNull();
    expect(refresh(event({ origin: 'http://evil.test', 'session-transport': 'body' }))).toBeNull();
  });

  test('`Session-Transport` is read without regard to case or spaces', () => {
    expect(refresh(event({ 'session-transport': ' Cookie ', origin: 'https://app.example' }))).not.toBeNull();
  });
});

describe('the route table opts session routes in', () => {
  const ROUTES: readonly Route[] = TABLE;
  /** Whether a response schema has a `session` member (lib/resources.ts). */
  const answersSession = (name: string | undefined): boolean =>
    name !== undefined &&
    'session' in ((resources as Record<string, { def?: { shape?: object } }>)[name]?.def?.shape ?? {});

  test('every route whose answer can carry a session takes part as `issue` or `refresh`', () => {
    const sessionRoutes = ROUTES.filter((route) => answersSession(route.response));
    expect(sessionRoutes.length).toBeGreaterThanOrEqual(6);
    for (const route of sessionRoutes)
      expect([route.fn, route.sessionCookie]).toEqual([route.fn, expect.stringMatching(/^(issue|refresh)$/)]);
    const issuing = ROUTES.filter(
      (route) => route.sessionCookie === 'issue' || route.sessionCookie === 'refresh',
    );
    expect(issuing.map((route) => route.fn).sort()).toEqual(sessionRoutes.map((route) => route.fn).sort());
  });

  test('the routes that end sessions clear the cookie', () => {
    expect(
      ROUTES.filter((route) => route.sessionCookie === 'clear')
        .map((route) => `${route.method} ${route.path}`)
        .sort(),
    ).toEqual(['DELETE /sessions', 'DELETE /sessions/current', 'DELETE /users/me']);
  });
});
