import { randomBytes } from 'node:crypto';
import * as getProfile from '../../functions/get-profile';
import * as listSessions from '../../functions/list-sessions';
import * as login from '../../functions/login';
import * as logout from '../../functions/logout';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import { PASSWORD, signUp } from '../support/accounts';
import { invoke, type Response, testServices } from '../support/app';

// An injected clock, so the reuse grace window (REFRESH_REUSE_GRACE_SECONDS, 10 s) can be stepped over.
let clock = Date.now();
const GRACE_MS = 10_000;
const services = testServices({}, { now: () => clock });
const h = {
  register: register.createHandler(services),
  login: login.createHandler(services),
  logout: logout.createHandler(services),
  me: getProfile.createHandler(services),
  sessions: listSessions.createHandler(services),
  refresh: refreshSession.createHandler(services),
};

interface Session {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

const refresh = (refreshToken: unknown) =>
  invoke(h.refresh, { method: 'POST', path: '/sessions/refresh', body: { refreshToken } });
const me = (token: string) => invoke(h.me, { method: 'GET', path: '/users/me', token });

const expectInvalidRefreshToken = (res: Response) => {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.body).toEqual({
    type: 'urn:account-service:problem:invalid_refresh_token',
    title: 'Invalid refresh token',
    status: 401,
    detail: 'The refresh token is invalid, expired or spent.',
    code: 'invalid_refresh_token',
    requestId: expect.any(String),
  });
};

const expectUnauthorized = (res: Response) => {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('unauthorized');
  expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
};

describe('POST /sessions/refresh', () => {
  test('rotates: a new pair for the same session, the new access token works, the old refresh token is spent', async () => {
    // Prepare
    const { session: first } = await signUp(h.register, { tag: 'refresh' });

    // Act
    const res = await refresh(first.refreshToken);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toEqual({
      session: {
        accessToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: expect.stringMatching(
          /^usr_[A-Za-z0-9_-]{22}\.ses_[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/,
        ),
        refreshExpiresIn: 2592000,
        sessionId: first.sessionId,
      },
    });
    const next: Session = res.body.session;
    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect(next.accessToken).not.toBe(first.accessToken);
    expect((await me(next.accessToken)).status).toBe(200);
    expectInvalidRefreshToken(await refresh(first.refreshToken));
  });

  test('a chain of rotations keeps working, each token good exactly once', async () => {
    const { session } = await signUp(h.register, { tag: 'refresh' });
    let current: Session = session;
    for (let i = 0; i < 5; i++) {
      const res = await refresh(current.refreshToken);
      expect(res.status).toBe(200);
      expect(res.body.session.sessionId).toBe(session.sessionId);
      current = res.body.session;
    }
    expect((await me(current.accessToken)).status).toBe(200);
  });

  test('reuse of a spent token revokes the whole session: the newest access and refresh tokens die too', async () => {
    // Prepare: rotate twice, so the newest pair is two steps away from the stolen token
    const { email, session: first } = await signUp(h.register, { tag: 'refresh' });
    const second: Session = (await refresh(first.refreshToken)).body.session;
    const third: Session = (await refresh(second.refreshToken)).body.session;
    const otherLogin = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    const other: Session = otherLogin.body.session;
    expect((await me(third.accessToken)).status).toBe(200);

    // Act: the thief (or the victim) presents a token that was rotated out, after the grace window
    clock += GRACE_MS + 1;
    const reuse = await refresh(first.refreshToken);

    // Assess
    expectInvalidRefreshToken(reuse);
    expectUnauthorized(await me(third.accessToken));
    expectUnauthorized(await me(second.accessToken));
    expectInvalidRefreshToken(await refresh(third.refreshToken));
    // Only the session the token belonged to: the user's other session is untouched.
    expect((await me(other.accessToken)).status).toBe(200);
    const listed = await invoke(h.sessions, { method: 'GET', path: '/sessions', token: other.accessToken });
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toEqual([other.sessionId]);
  });

  test('10 concurrent refreshes with one token: exactly one 200, the rest 401, and the race signs nobody out', async () => {
    // Prepare
    const { session } = await signUp(h.register, { tag: 'refresh' });

    // Act
    const results = await Promise.all(Array.from({ length: 10 }, () => refresh(session.refreshToken)));

    // Assess
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status !== 200);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(9);
    for (const loser of losers) expectInvalidRefreshToken(loser);
    // The losers presented a token rotated out moments ago: a client racing itself (two tabs),
    // not theft. Within the grace window nothing is revoked; the winner's pair keeps working.
    const winner: Session = winners[0]?.body.session;
    expect((await me(winner.accessToken)).status).toBe(200);
    const next = await refresh(winner.refreshToken);
    expect(next.status).toBe(200);

    // Past the window, the same spent token is theft: the session dies.
    clock += GRACE_MS + 1;
    expectInvalidRefreshToken(await refresh(session.refreshToken));
    expectUnauthorized(await me(next.body.session.accessToken));
  });

  test('with REFRESH_REUSE_GRACE_SECONDS=0 any reuse revokes at once', async () => {
    const strict = testServices({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    const reg = await invoke(register.createHandler(strict), {
      method: 'POST',
      path: '/users',
      body: {
        name: 'Strict',
        email: `strict.${randomBytes(6).toString('hex')}@example.com`,
        password: PASSWORD,
      },
    });
    const rotate = (token: string) =>
      invoke(refreshSession.createHandler(strict), {
        method: 'POST',
        path: '/sessions/refresh',
        body: { refreshToken: token },
      });
    const second = await rotate(reg.body.session.refreshToken);
    expect(second.status).toBe(200);

    expect((await rotate(reg.body.session.refreshToken)).status).toBe(401);

    const profile = await invoke(getProfile.createHandler(strict), {
      method: 'GET',
      path: '/users/me',
      token: second.body.session.accessToken,
    });
    expect(profile.status).toBe(401);
  });

  test.each([
    ['an unknown token of the right shape', randomBytes(32).toString('base64url')],
    ['garbage', 'not a token at all !!'],
    ['a single character', 'x'],
    ['an access token', 'eyJhbGciOiJFZERTQSJ9.e30.c2ln'],
  ])('%s → 401 invalid_refresh_token', async (_, token) => {
    expectInvalidRefreshToken(await refresh(token));
  });

  test('a refresh token of a session that logged out → 401', async () => {
    const { session } = await signUp(h.register, { tag: 'refresh' });
    expect(
      (await invoke(h.logout, { method: 'DELETE', path: '/sessions/current', token: session.accessToken }))
        .status,
    ).toBe(204);

    expectInvalidRefreshToken(await refresh(session.refreshToken));
  });

  test('a refresh token rotated out before log-out → 401 as well', async () => {
    const { session: first } = await signUp(h.register, { tag: 'refresh' });
    const second: Session = (await refresh(first.refreshToken)).body.session;
    await invoke(h.logout, { method: 'DELETE', path: '/sessions/current', token: second.accessToken });

    expectInvalidRefreshToken(await refresh(first.refreshToken));
    expectInvalidRefreshToken(await refresh(second.refreshToken));
  });

  test.each([
    ['missing refreshToken', {}, [{ field: 'refreshToken', message: 'is required' }]],
    [
      'an extra field',
      { refreshToken: 'abc', sessionId: 'ses_x' },
      [{ field: 'sessionId', message: 'is not allowed' }],
    ],
    ['a number', { refreshToken: 42 }, [{ field: 'refreshToken', message: expect.any(String) }]],
    ['an empty string', { refreshToken: '' }, [{ field: 'refreshToken', message: expect.any(String) }]],
    [
      'over 512 characters',
      { refreshToken: 'a'.repeat(513) },
      [{ field: 'refreshToken', message: expect.any(String) }],
    ],
    ['a JSON array', ['abc'], [{ field: '(body)', message: expect.any(String) }]],
  ])('body with %s → 400 validation_failed', async (_, body, errors) => {
    // Act
    const res = await invoke(h.refresh, { method: 'POST', path: '/sessions/refresh', body });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      type: 'urn:account-service:problem:validation_failed',
      title: 'Validation failed',
      status: 400,
      detail: expect.any(String),
      code: 'validation_failed',
      requestId: expect.any(String),
      errors,
    });
  });

  test('no body → 400 validation_failed; not JSON → 400 malformed_json', async () => {
    const empty = await invoke(h.refresh, { method: 'POST', path: '/sessions/refresh' });
    expect(empty.status).toBe(400);
    expect(empty.body.code).toBe('validation_failed');

    const broken = await invoke(h.refresh, {
      method: 'POST',
      path: '/sessions/refresh',
      rawBody: '{"refreshToken":',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('malformed_json');
  });
});
