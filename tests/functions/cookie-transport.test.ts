// The cookie transport through whole handlers (README "Cookie transport for browser apps"): the
// refresh token only in an httpOnly `__Host-` cookie, refresh by cookie alone, the CSRF gate,
// log-out clearing it, and Bearer clients in the same run seeing no change.
import type { HttpHandler } from '../../lib/http';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts';
import { type EventInput, httpEvent, lambdaContext, testServices } from '../support/app';
import { restClient } from '../support/datastore';
import { createHandlers } from '../support/handlers';

const APP = 'http://localhost:5173';
const OTHER_APP = 'https://admin.example';
let clock = Date.now();
const GRACE_MS = 10_000;
const services = testServices({ CORS_ALLOWED_ORIGINS: `${APP},${OTHER_APP}` }, { now: () => clock });
const h = createHandlers(services);
const redis = restClient({ automaticDeserialization: false });
const REFRESH_TTL = services.config.refreshTokenTtlSeconds;
const COOKIE =
  /^__Host-refresh=(usr_[\w-]{22}\.ses_[\w-]{22}\.[\w-]{43}); HttpOnly; Secure; SameSite=Strict; Path=\/; Max-Age=(\d+)$/;
const CLEARED = '__Host-refresh=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0';

interface Answer {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: asserted on by the tests
  body: any;
}

/** Invokes a handler; the answer with its `cookies` (payload 2.0's Set-Cookie list) and raw text. */
async function call(
  handler: HttpHandler,
  input: EventInput,
  extra: { cookies?: string[] } = {},
): Promise<Answer> {
  const result = await handler({ ...httpEvent(input), ...extra }, lambdaContext());
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const text = result.body ?? '';
  return {
    status: result.statusCode ?? 200,
    headers,
    cookies: result.cookies ?? [],
    text,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

/** The headers of a cookie-mode request from the app (a browser's credentialed fetch). */
const fromApp = (cookie?: string, origin = APP): Record<string, string> => ({
  'session-transport': 'cookie',
  origin,
  ...(cookie ? { cookie: `theme=dark; __Host-refresh=${cookie}` } : {}),
});

/** The token a `Set-Cookie` value hands out, checking its attributes exactly. */
function cookieToken(answer: Answer): string {
  expect(answer.cookies).toHaveLength(1);
  const match = COOKIE.exec(answer.cookies[0] as string);
  expect(match).not.toBeNull();
  expect(Number(match?.[2])).toBe(REFRESH_TTL);
  return match?.[1] as string;
}

const logIn = (email: string, headers: Record<string, string>) =>
  call(h.login, { method: 'POST', path: '/sessions', body: { email, password: PASSWORD }, headers });

const refreshByCookie = (cookie: string | undefined, headers: Record<string, string> = {}, body?: unknown) =>
  call(h.refreshSession, {
    method: 'POST',
    path: '/sessions/refresh',
    headers: { ...fromApp(cookie), ...headers },
    body,
  });

/** Every key and value of the user's sessions record, to see that nothing changed. */
const sessionsRecord = (userId: string) => redis.hgetall(services.keys.sessions(userId));

const SESSION_MEMBERS = ['accessToken', 'expiresIn', 'refreshExpiresIn', 'sessionId', 'tokenType'];

describe('cookie mode', () => {
  test('log-in: the refresh token only in the cookie, with its exact attributes; the body has none', async () => {
    // Prepare
    const { email } = await signUp(h.register, { tag: 'cookie-login' });

    // Act
    const answer = await logIn(email, fromApp());

    // Assess
    expect(answer.status).toBe(200);
    const token = cookieToken(answer);
    expect(Object.keys(answer.body.session).sort()).toEqual(SESSION_MEMBERS);
    expect(answer.body.session.refreshExpiresIn).toBe(REFRESH_TTL);
    expect(token.split('.')[1]).toBe(answer.body.session.sessionId);
    expect(answer.text).not.toContain(token);
    expect(JSON.stringify(answer.headers)).not.toContain(token);
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect(answer.headers['access-control-allow-origin']).toBe(APP);
    expect(answer.headers['access-control-allow-credentials']).toBe('true');
    expect(answer.headers.vary).toMatch(/(^|, )Origin($|,)/);
    expect(answer.headers['cache-control']).toBe('no-store');
  });

  test('register: 201 with the cookie and Location, no refresh token in the body', async () => {
    const answer = await call(h.register, {
      method: 'POST',
      path: '/users',
      body: { name: 'Cookie User', email: uniqueEmail('cookie-register'), password: PASSWORD },
      headers: fromApp(undefined, OTHER_APP),
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.location).toBe('/users/me');
    cookieToken(answer);
    expect(Object.keys(answer.body.session).sort()).toEqual(SESSION_MEMBERS);
  });

  test('refresh by the cookie alone (no body, or {}): 200, a new cookie, the access token works', async () => {
    // Prepare
    const { email } = await signUp(h.register, { tag: 'cookie-refresh' });
    const first = cookieToken(await logIn(email, fromApp()));

    // Act
    const second = await refreshByCookie(first);
    const secondToken = cookieToken(second);
    const third = await refreshByCookie(secondToken, { 'content-type': 'application/json' }, {});

    // Assess
    expect(second.status).toBe(200);
    expect(Object.keys(second.body)).toEqual(['session']);
    expect(Object.keys(second.body.session).sort()).toEqual(SESSION_MEMBERS);
    expect(secondToken).not.toBe(first);
    expect(second.text).not.toContain(secondToken);
    expect(third.status).toBe(200);
    expect(cookieToken(third)).not.toBe(secondToken);
    const me = await call(h.getProfile, {
      method: 'GET',
      path: '/users/me',
      token: third.body.session.accessToken,
    });
    expect(me.status).toBe(200);
  });

  test('the old cookie again after its successor was used: 401, and the session is revoked', async () => {
    // Prepare
    const { email } = await signUp(h.register, { tag: 'cookie-theft' });
    const login = await logIn(email, fromApp());
    const stolen = cookieToken(login);
    const successor = cookieToken(await refreshByCookie(stolen));
    const latest = await refreshByCookie(successor);
    expect(latest.status).toBe(200);

    // Act
    const replay = await refreshByCookie(stolen);

    // Assess
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('invalid_refresh_token');
    expect(replay.cookies).toEqual([]);
    expect((await refreshByCookie(cookieToken(latest))).status).toBe(401);
    const me = await call(h.getProfile, {
      method: 'GET',
      path: '/users/me',
      token: latest.body.session.accessToken,
    });
    expect(me.status).toBe(401);
  });

  test('a spent cookie replayed after the grace window revokes the session too', async () => {
    const { email } = await signUp(h.register, { tag: 'cookie-late' });
    const first = cookieToken(await logIn(email, fromApp()));
    const next = cookieToken(await refreshByCookie(first));
    clock += GRACE_MS + 1000;
    expect((await refreshByCookie(first)).status).toBe(401);
    expect((await refreshByCookie(next)).status).toBe(401);
  });

  test('two tabs refreshing with one cookie at once: one rotates, the other gets 401, nothing is revoked', async () => {
    // Prepare
    const { email } = await signUp(h.register, { tag: 'cookie-tabs' });
    const shared = cookieToken(await logIn(email, fromApp()));

    // Act
    const answers = await Promise.all([refreshByCookie(shared), refreshByCookie(shared)]);

    // Assess
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
    const winner = answers.find((a) => a.status === 200) as Answer;
    const loser = answers.find((a) => a.status === 401) as Answer;
    expect(loser.cookies).toEqual([]);
    // The browser now holds the winner's cookie: the losing tab's retry uses it.
    const retry = await refreshByCookie(cookieToken(winner));
    expect(retry.status).toBe(200);
    const me = await call(h.getProfile, {
      method: 'GET',
      path: '/users/me',
      token: winner.body.session.accessToken,
    });
    expect(me.status).toBe(200);
  });

  describe('the CSRF gate: 403 origin_not_allowed, nothing rotates, nothing is set', () => {
    test.each([
      ['no Origin', (headers: Record<string, string>) => ({ ...headers, origin: undefined })],
      [
        'Origin: http://evil.test',
        (headers: Record<string, string>) => ({ ...headers, origin: 'http://evil.test' }),
      ],
      ['Origin: null', (headers: Record<string, string>) => ({ ...headers, origin: 'null' })],
      [
        'a text/plain body (what a form sends)',
        (headers: Record<string, string>) => ({ ...headers, 'content-type': 'text/plain' }),
      ],
    ])('refresh by cookie with %s', async (_, change) => {
      // Prepare
      const account = await signUp(h.register, { tag: 'cookie-csrf' });
      const cookie = cookieToken(await logIn(account.email, fromApp()));
      const before = await sessionsRecord(account.id);
      const headers = Object.fromEntries(
        Object.entries(change(fromApp(cookie))).filter(([, value]) => value !== undefined),
      ) as Record<string, string>;

      // Act
      const answer = await call(h.refreshSession, {
        method: 'POST',
        path: '/sessions/refresh',
        headers,
        ...(headers['content-type'] ? { rawBody: '{}' } : {}),
      });

      // Assess
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({
        type: 'urn:account-service:problem:origin_not_allowed',
        title: 'Origin not allowed',
        status: 403,
        detail: expect.any(String),
        code: 'origin_not_allowed',
        requestId: expect.any(String),
      });
      expect(answer.cookies).toEqual([]);
      // Credentials are allowed to the app's own origin only, whatever the outcome.
      expect(answer.headers['access-control-allow-credentials']).toBe(
        headers.origin === APP ? 'true' : undefined,
      );
      expect(await sessionsRecord(account.id)).toEqual(before);
      // The cookie was not spent: the app still refreshes with it.
      expect((await refreshByCookie(cookie)).status).toBe(200);
    });

    test('log-in, log-out and deletion from another origin are refused before they act', async () => {
      const account = await signUp(h.register, { tag: 'cookie-csrf-other' });
      const evil = fromApp(undefined, 'http://evil.test');
      const login = await logIn(account.email, evil);
      expect([login.status, login.body.code, login.cookies]).toEqual([403, 'origin_not_allowed', []]);
      const logout = await call(h.logout, {
        method: 'DELETE',
        path: '/sessions/current',
        token: account.token,
        headers: evil,
      });
      expect([logout.status, logout.cookies]).toEqual([403, []]);
      const remove = await call(h.deleteAccount, {
        method: 'DELETE',
        path: '/users/me',
        token: account.token,
        body: { password: PASSWORD },
        headers: evil,
      });
      expect(remove.status).toBe(403);
      expect(
        (await call(h.getProfile, { method: 'GET', path: '/users/me', token: account.token })).status,
      ).toBe(200);
    });
  });

  describe('bad cookies: 401 invalid_refresh_token, never a 5xx, nothing set', () => {
    test.each([
      ['no cookie at all', undefined],
      ['an empty value', '__Host-refresh='],
      ['garbage', '__Host-refresh=%%%; x'],
      [
        'a made-up token of the right shape',
        `__Host-refresh=usr_${'A'.repeat(22)}.ses_${'B'.repeat(22)}.${'C'.repeat(43)}`,
      ],
      ['an oversized cookie', `__Host-refresh=${'A'.repeat(6000)}`],
      ['an oversized header', `a=${'b'.repeat(9000)}`],
    ])('%s', async (_, cookie) => {
      const answer = await call(h.refreshSession, {
        method: 'POST',
        path: '/sessions/refresh',
        headers: { 'session-transport': 'cookie', origin: APP, ...(cookie ? { cookie } : {}) },
      });
      expect([answer.status, answer.body.code, answer.cookies]).toEqual([401, 'invalid_refresh_token', []]);
    });

    test('two refresh cookies in one header are refused, even when one is good', async () => {
      const { email } = await signUp(h.register, { tag: 'cookie-two' });
      const good = cookieToken(await logIn(email, fromApp()));
      const answer = await call(h.refreshSession, {
        method: 'POST',
        path: '/sessions/refresh',
        headers: { ...fromApp(), cookie: `__Host-refresh=${good}; __Host-refresh=${good}` },
      });
      expect([answer.status, answer.body.code]).toEqual([401, 'invalid_refresh_token']);
      expect((await refreshByCookie(good)).status).toBe(200);
    });

    test('a refresh token in the body of a cookie-mode refresh is refused (400)', async () => {
      const { email } = await signUp(h.register, { tag: 'cookie-body' });
      const good = cookieToken(await logIn(email, fromApp()));
      const answer = await refreshByCookie(good, {}, { refreshToken: good });
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        { field: 'refreshToken', message: expect.stringContaining('cookie') },
      ]);
    });

    test("API Gateway's `cookies` list (no Cookie header) is read the same way", async () => {
      const { email } = await signUp(h.register, { tag: 'cookie-aws' });
      const good = cookieToken(await logIn(email, fromApp()));
      const answer = await call(
        h.refreshSession,
        { method: 'POST', path: '/sessions/refresh', headers: fromApp() },
        { cookies: ['theme=dark', `__Host-refresh=${good}`] },
      );
      expect(answer.status).toBe(200);
      cookieToken(answer);
    });
  });

  test.each([
    ['log-out', 'logout', 'DELETE', '/sessions/current'],
    ['log-out everywhere', 'revokeAllSessions', 'DELETE', '/sessions'],
  ] as const)('%s clears the cookie (Max-Age=0) and the session is gone', async (_, name, method, path) => {
    const { email } = await signUp(h.register, { tag: `cookie-${name}` });
    const login = await logIn(email, fromApp());
    const cookie = cookieToken(login);
    const answer = await call(h[name], {
      method,
      path,
      token: login.body.session.accessToken,
      headers: fromApp(),
    });
    expect(answer.status).toBe(204);
    expect(answer.cookies).toEqual([CLEARED]);
    expect((await refreshByCookie(cookie)).status).toBe(401);
  });

  test('account deletion clears the cookie', async () => {
    const account = await signUp(h.register, { tag: 'cookie-delete' });
    const answer = await call(h.deleteAccount, {
      method: 'DELETE',
      path: '/users/me',
      token: account.token,
      body: { password: PASSWORD },
      headers: fromApp(),
    });
    expect(answer.status).toBe(204);
    expect(answer.cookies).toEqual([CLEARED]);
  });

  test('a failed log-out sets nothing', async () => {
    const answer = await call(h.logout, {
      method: 'DELETE',
      path: '/sessions/current',
      token: 'x.y.z',
      headers: fromApp(),
    });
    expect([answer.status, answer.cookies]).toEqual([401, []]);
  });
});

describe('Bearer clients in the same run see no change', () => {
  test('log-in, refresh and log-out as before: tokens in the body, no cookie, a stray cookie ignored', async () => {
    // Prepare: a browser that also holds a cookie session, and a Bearer client of the same account.
    const { email } = await signUp(h.register, { tag: 'bearer' });
    const cookie = cookieToken(await logIn(email, fromApp()));

    // Act
    const login = await logIn(email, { origin: APP });
    const refreshed = await call(h.refreshSession, {
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: login.body.session.refreshToken },
      headers: { origin: APP, cookie: `__Host-refresh=${cookie}` },
    });
    const logout = await call(h.logout, {
      method: 'DELETE',
      path: '/sessions/current',
      token: refreshed.body.session.accessToken,
    });

    // Assess
    expect(login.status).toBe(200);
    expect(login.cookies).toEqual([]);
    expect(Object.keys(login.body.session).sort()).toEqual([...SESSION_MEMBERS, 'refreshToken'].sort());
    expect(refreshed.status).toBe(200);
    expect(refreshed.cookies).toEqual([]);
    expect(refreshed.body.session.sessionId).toBe(login.body.session.sessionId);
    expect(typeof refreshed.body.session.refreshToken).toBe('string');
    expect([logout.status, logout.cookies]).toEqual([204, []]);
    // The browser's cookie session was untouched by all of it.
    expect((await refreshByCookie(cookie)).status).toBe(200);
  });

  test('without an Origin header at all, no CORS headers and no cookie', async () => {
    const { email } = await signUp(h.register, { tag: 'bearer-plain' });
    const login = await logIn(email, {});
    expect(login.status).toBe(200);
    expect(login.cookies).toEqual([]);
    expect(login.headers['access-control-allow-origin']).toBeUndefined();
    expect(login.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('credentialed CORS', () => {
  test.each([
    [APP, 'true'],
    [OTHER_APP, 'true'],
    ['http://evil.test', undefined],
  ])(
    'Origin %s → Access-Control-Allow-Credentials %s, Vary: Origin, on success and error',
    async (origin, allowed) => {
      const ok = await call(h.jwks, { method: 'GET', path: '/.well-known/jwks.json', headers: { origin } });
      const error = await call(h.getProfile, { method: 'GET', path: '/users/me', headers: { origin } });
      for (const answer of [ok, error]) {
        expect(answer.headers['access-control-allow-credentials']).toBe(allowed);
        expect(answer.headers.vary).toMatch(/(^|, )Origin($|,)/);
      }
    },
  );

  test('with CORS_ALLOWED_ORIGINS=* nobody gets credentials, and cookie mode is refused', async () => {
    const open = createHandlers(testServices({ CORS_ALLOWED_ORIGINS: '*' }));
    const jwks = await call(open.jwks, {
      method: 'GET',
      path: '/.well-known/jwks.json',
      headers: { origin: APP },
    });
    expect(jwks.headers['access-control-allow-origin']).toBe('*');
    expect(jwks.headers['access-control-allow-credentials']).toBeUndefined();
    const login = await call(open.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: uniqueEmail('star'), password: PASSWORD },
      headers: fromApp(),
    });
    expect([login.status, login.body.code]).toEqual([403, 'origin_not_allowed']);
  });

  test('with no CORS origins at all, nothing changes: no Vary, no credentials', async () => {
    const none = createHandlers(testServices({ CORS_ALLOWED_ORIGINS: '' }));
    const jwks = await call(none.jwks, {
      method: 'GET',
      path: '/.well-known/jwks.json',
      headers: { origin: APP },
    });
    expect(jwks.headers['access-control-allow-credentials']).toBeUndefined();
    expect(jwks.headers.vary).toBeUndefined();
  });
});
