import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { HttpHandler } from '../../lib/http';
import { type EventInput, httpEvent, lambdaContext, testServices } from '../support/app';
import { restClient } from '../support/datastore';
import { createHandlers } from '../support/handlers';

/** Every log line the service writes, captured from the logger's console (DEBUG and up). */
const logLines: string[] = [];
const logger = new Logger({ serviceName: 'account-service', logLevel: 'DEBUG' });
const capture = (...parts: unknown[]) => {
  logLines.push(parts.map(String).join(' '));
};
// The Powertools logger writes through its own Console instance; replace it to read what it writes.
(logger as unknown as { console: Record<string, typeof capture> }).console = {
  log: capture,
  info: capture,
  debug: capture,
  warn: capture,
  error: capture,
  trace: capture,
};

const APP = 'http://app.example';
const services = testServices({ LOG_LEVEL: 'DEBUG', CORS_ALLOWED_ORIGINS: APP }, { logger });
const h = createHandlers(services);
const redis = restClient({ automaticDeserialization: false });

const PASSWORD = 'Correct Horse Battery Staple 1';
const NEW_PASSWORD = 'Tr0ub4dor & a much longer tail';
const email = `secrets.${randomBytes(6).toString('hex')}@example.com`;

/** Endpoints whose `session` object is where tokens belong. */
type Kind = 'issues-tokens' | 'other';
interface Exchange {
  label: string;
  kind: Kind;
  status: number;
  headers: Record<string, string>;
  /** Payload 2.0's Set-Cookie list: where a cookie-mode refresh token belongs. */
  cookies: string[];
  text: string;
}
const exchanges: Exchange[] = [];
const refreshTokens = new Set<string>();
const accessTokens = new Set<string>();
const storedHashes = new Set<string>();

/** Calls a handler, records the raw response, and remembers any tokens it hands out. */
async function send(label: string, handler: HttpHandler, input: EventInput, kind: Kind = 'other') {
  const result = await handler(httpEvent(input), lambdaContext());
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const text = result.body ?? '';
  const cookies = result.cookies ?? [];
  exchanges.push({ label, kind, status: result.statusCode ?? 200, headers, cookies, text });
  const body = text === '' ? undefined : JSON.parse(text);
  if (body?.session?.refreshToken) refreshTokens.add(body.session.refreshToken);
  for (const cookie of cookies) {
    const token = /^__Host-refresh=([^;]+);/.exec(cookie)?.[1];
    if (token) refreshTokens.add(token);
  }
  if (body?.session?.accessToken) accessTokens.add(body.session.accessToken);
  return { status: result.statusCode ?? 200, body };
}

async function rememberHash(userId: string) {
  const hash = await redis.hget<string>(`${prefix()}user:${userId}`, 'passwordHash');
  if (hash) storedHashes.add(hash);
}
const prefix = () => services.config.keyPrefix;

beforeAll(async () => {
  const reg = await send(
    'register',
    h.register,
    { method: 'POST', path: '/users', body: { name: 'Secret Keeper', email, password: PASSWORD } },
    'issues-tokens',
  );
  expect(reg.status).toBe(201);
  const userId: string = reg.body.user.id;
  await rememberHash(userId);
  const first = reg.body.session;

  // Register: the error cases
  await send('register again', h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'X', email, password: PASSWORD },
  });
  await send('register with password = email', h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'X', email: `x.${email}`, password: `x.${email}` },
  });
  await send('register with an extra field', h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'X', email: `y.${email}`, password: PASSWORD, passwordConfirmation: PASSWORD },
  });
  await send('register with a too-long password', h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'X', email: `z.${email}`, password: `${PASSWORD}${'!'.repeat(300)}` },
  });
  await send('register as text/plain', h.register, {
    method: 'POST',
    path: '/users',
    rawBody: JSON.stringify({ name: 'X', email, password: PASSWORD }),
    headers: { 'content-type': 'text/plain' },
  });
  await send('register with broken JSON', h.register, {
    method: 'POST',
    path: '/users',
    rawBody: `{"password":"${PASSWORD}"`,
    headers: { 'content-type': 'application/json' },
  });
  await send('register oversized', h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'X', email, password: PASSWORD, pad: 'x'.repeat(17_000) },
  });

  // Log in: wrong, unknown, right (twice)
  await send('login with a wrong password', h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email, password: NEW_PASSWORD },
  });
  await send('login with an unknown email', h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email: `nobody.${email}`, password: PASSWORD },
  });
  await send('login with the password as the email', h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email: PASSWORD, password: PASSWORD },
  });
  const second = (
    await send(
      'login',
      h.login,
      { method: 'POST', path: '/sessions', body: { email, password: PASSWORD } },
      'issues-tokens',
    )
  ).body.session;
  const third = (
    await send(
      'login again',
      h.login,
      { method: 'POST', path: '/sessions', body: { email, password: PASSWORD } },
      'issues-tokens',
    )
  ).body.session;

  // Refresh: rotate, then replay the spent token (theft detection revokes that session)
  const rotated = await send(
    'refresh',
    h.refreshSession,
    { method: 'POST', path: '/sessions/refresh', body: { refreshToken: second.refreshToken } },
    'issues-tokens',
  );
  expect(rotated.status).toBe(200);
  await send('refresh with a spent token', h.refreshSession, {
    method: 'POST',
    path: '/sessions/refresh',
    body: { refreshToken: second.refreshToken },
  });
  await send('refresh with an unknown token', h.refreshSession, {
    method: 'POST',
    path: '/sessions/refresh',
    body: { refreshToken: 'x'.repeat(43) },
  });
  await send('refresh with an access token', h.refreshSession, {
    method: 'POST',
    path: '/sessions/refresh',
    body: { refreshToken: first.accessToken.slice(0, 500) },
  });
  await send('refresh with an extra field', h.refreshSession, {
    method: 'POST',
    path: '/sessions/refresh',
    body: { refreshToken: third.refreshToken, password: PASSWORD },
  });

  // Cookie mode: the refresh token travels in Set-Cookie only.
  const browser = { 'session-transport': 'cookie', origin: APP };
  const cookieLogin = await send(
    'cookie login',
    h.login,
    { method: 'POST', path: '/sessions', body: { email, password: PASSWORD }, headers: browser },
    'issues-tokens',
  );
  const cookieOf = (label: string) =>
    /^__Host-refresh=([^;]+);/.exec(exchanges.find((e) => e.label === label)?.cookies[0] ?? '')?.[1] ?? '';
  await send('cookie refresh from another origin', h.refreshSession, {
    method: 'POST',
    path: '/sessions/refresh',
    headers: { ...browser, origin: 'http://evil.test', cookie: `__Host-refresh=${cookieOf('cookie login')}` },
  });
  await send(
    'cookie refresh',
    h.refreshSession,
    {
      method: 'POST',
      path: '/sessions/refresh',
      headers: { ...browser, cookie: `__Host-refresh=${cookieOf('cookie login')}` },
    },
    'issues-tokens',
  );
  await send('cookie refresh with a spent cookie', h.refreshSession, {
    method: 'POST',
    path: '/sessions/refresh',
    headers: { ...browser, cookie: `__Host-refresh=${cookieOf('cookie login')}` },
  });
  await send('cookie logout', h.logout, {
    method: 'DELETE',
    path: '/sessions/current',
    token: cookieLogin.body.session.accessToken,
    headers: browser,
  });

  const token: string = first.accessToken;
  await send('me', h.getProfile, { method: 'GET', path: '/users/me', token });
  await send('me with a refresh token as bearer', h.getProfile, {
    method: 'GET',
    path: '/users/me',
    token: third.refreshToken,
  });
  await send('rename', h.updateProfile, {
    method: 'PATCH',
    path: '/users/me',
    token,
    body: { name: 'Secret Keeper II' },
  });
  await send('email change with a wrong password', h.updateProfile, {
    method: 'PATCH',
    path: '/users/me',
    token,
    body: { email: `new.${email}`, currentPassword: NEW_PASSWORD },
  });
  await send('email change with passwordHash', h.updateProfile, {
    method: 'PATCH',
    path: '/users/me',
    token,
    body: { name: 'X', passwordHash: PASSWORD },
  });
  await send('email change', h.updateProfile, {
    method: 'PATCH',
    path: '/users/me',
    token,
    body: { email: `new.${email}`, currentPassword: PASSWORD },
  });

  await send('password change with a wrong current password', h.changePassword, {
    method: 'PUT',
    path: '/users/me/password',
    token,
    body: { currentPassword: NEW_PASSWORD, newPassword: NEW_PASSWORD },
  });
  await send('password change to a common password', h.changePassword, {
    method: 'PUT',
    path: '/users/me/password',
    token,
    body: { currentPassword: PASSWORD, newPassword: 'qwerty123456' },
  });
  await send('password change', h.changePassword, {
    method: 'PUT',
    path: '/users/me/password',
    token,
    body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
  });
  await rememberHash(userId);
  await send('login with the old password', h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email: `new.${email}`, password: PASSWORD },
  });
  const fourth = (
    await send(
      'login with the new password',
      h.login,
      { method: 'POST', path: '/sessions', body: { email: `new.${email}`, password: NEW_PASSWORD } },
      'issues-tokens',
    )
  ).body.session;

  await send('sessions', h.listSessions, { method: 'GET', path: '/sessions', token });
  await send('revoke an unknown session', h.revokeSession, {
    method: 'DELETE',
    path: '/sessions/ses_AAAAAAAAAAAAAAAAAAAAAA',
    token,
    pathParameters: { id: 'ses_AAAAAAAAAAAAAAAAAAAAAA' },
  });
  await send('revoke a session', h.revokeSession, {
    method: 'DELETE',
    path: `/sessions/${fourth.sessionId}`,
    token,
    pathParameters: { id: fourth.sessionId },
  });
  await send('jwks', h.jwks, { method: 'GET', path: '/.well-known/jwks.json' });
  await send('unknown path', h.notFound, { method: 'GET', path: `/users/${PASSWORD}` });
  await send('wrong method', h.notFound, { method: 'GET', path: '/users/me/password' });

  await send('delete with a wrong password', h.deleteAccount, {
    method: 'DELETE',
    path: '/users/me',
    token,
    body: { password: NEW_PASSWORD.toUpperCase() },
  });
  await send('delete', h.deleteAccount, {
    method: 'DELETE',
    path: '/users/me',
    token,
    body: { password: NEW_PASSWORD },
  });
  await send('me after delete', h.getProfile, { method: 'GET', path: '/users/me', token });
  await send('logout after delete', h.logout, { method: 'DELETE', path: '/sessions/current', token });
  await send('revoke all after delete', h.revokeAllSessions, { method: 'DELETE', path: '/sessions', token });
  await send('login after delete', h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email: `new.${email}`, password: NEW_PASSWORD },
  });
});

/** What a response shows a client: its headers and body, minus the `session` object where tokens belong. */
function visible(exchange: Exchange): string {
  const body = exchange.text === '' ? undefined : JSON.parse(exchange.text);
  if (exchange.kind === 'issues-tokens' && body?.session) {
    const { accessToken: _a, refreshToken: _r, ...rest } = body.session;
    body.session = rest;
  }
  return JSON.stringify({ headers: exchange.headers, body });
}

describe('no response ever carries a secret', () => {
  test('the flow ran: every step recorded, each kind of outcome seen', () => {
    expect(exchanges.length).toBeGreaterThan(40);
    expect(new Set(exchanges.map((e) => e.status))).toEqual(
      new Set([200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415]),
    );
    expect(storedHashes.size).toBe(2);
    // Five from bodies, two from Set-Cookie (the cookie log-in and the cookie refresh).
    expect(refreshTokens.size).toBe(7);
  });

  test.each([
    ['the password', () => [PASSWORD]],
    ['the new password', () => [NEW_PASSWORD]],
    ['an Argon2 hash prefix', () => ['$argon2', 'argon2id']],
    [
      'a stored hash (or its digest)',
      () => [...storedHashes].flatMap((hash) => [hash, hash.split('$').pop() ?? hash]),
    ],
    ['a refresh token (outside its session object)', () => [...refreshTokens]],
    ['an access token (outside its session object)', () => [...accessTokens]],
  ])('%s', (_, secrets) => {
    // Prepare
    const needles = secrets();
    expect(needles.length).toBeGreaterThan(0);

    // Act
    const leaks = exchanges.flatMap((exchange) =>
      needles
        .filter((needle) => visible(exchange).toLowerCase().includes(needle.toLowerCase()))
        .map(() => exchange.label),
    );

    // Assess
    expect(leaks).toEqual([]);
  });

  test('tokens appear only in the session object of register, login and refresh', () => {
    // Prepare
    const carriers = exchanges.filter(
      (e) => e.text.includes('"refreshToken"') || e.text.includes('"accessToken"'),
    );

    // Assess
    expect(carriers.map((e) => e.label)).toEqual([
      'register',
      'login',
      'login again',
      'refresh',
      'cookie login',
      'cookie refresh',
      'login with the new password',
    ]);
    for (const carrier of carriers) {
      const body = JSON.parse(carrier.text);
      const members = carrier.label === 'register' ? ['session', 'user'] : ['deviceToken', 'session', 'user'];
      expect(Object.keys(body).sort()).toEqual(carrier.label.endsWith('refresh') ? ['session'] : members);
    }
  });

  test('cookie-mode answers carry the refresh token in Set-Cookie only: not in the body, not in a header', () => {
    const cookieAnswers = exchanges.filter((e) => e.cookies.length > 0);
    expect(cookieAnswers.map((e) => e.label)).toEqual(['cookie login', 'cookie refresh', 'cookie logout']);
    for (const answer of cookieAnswers) {
      const token = /^__Host-refresh=([^;]*);/.exec(answer.cookies[0] as string)?.[1] as string;
      expect(answer.text.includes('refreshToken')).toBe(false);
      if (token) expect(JSON.stringify({ headers: answer.headers, text: answer.text })).not.toContain(token);
    }
    // Only cookie-mode answers set a cookie, and no answer sets one as a plain header.
    expect(exchanges.filter((e) => 'set-cookie' in e.headers).map((e) => e.label)).toEqual([]);
  });

  test('no response has a passwordHash or refreshHash member, at any depth', () => {
    // Prepare: every object key of every body (an error may *name* an unknown field, as a string value)
    const keysOf = (value: unknown): string[] =>
      value !== null && typeof value === 'object'
        ? Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)])
        : [];

    // Act
    const offenders = exchanges.filter((e) => {
      const keys = keysOf(e.text === '' ? undefined : JSON.parse(e.text));
      return keys.includes('passwordHash') || keys.includes('refreshHash');
    });

    // Assess
    expect(offenders.map((e) => e.label)).toEqual([]);
  });

  test('no user object ever has more than the seven public members', () => {
    for (const exchange of exchanges) {
      const body = exchange.text === '' ? undefined : JSON.parse(exchange.text);
      if (body?.user)
        expect(Object.keys(body.user).sort()).toEqual([
          'createdAt',
          'email',
          'emailVerified',
          'id',
          'name',
          'pendingEmail',
          'updatedAt',
        ]);
    }
  });
});

describe('no log line ever carries a secret', () => {
  test('the logger wrote audit lines (so there was something to check)', () => {
    expect(logLines.some((line) => line.includes('"audit"'))).toBe(true);
    expect(logLines.some((line) => line.includes('"registered"'))).toBe(true);
    expect(logLines.some((line) => line.includes('"password_changed"'))).toBe(true);
  });

  test.each([
    ['the passwords', () => [PASSWORD, NEW_PASSWORD]],
    ['hashes', () => ['$argon2', ...storedHashes]],
    ['tokens', () => [...refreshTokens, ...accessTokens]],
    ['the email', () => [email]],
  ])('%s', (_, secrets) => {
    // Act
    const leaks = logLines.filter((line) =>
      secrets().some((secret) => line.toLowerCase().includes(secret.toLowerCase())),
    );

    // Assess
    expect(leaks).toEqual([]);
  });
});
