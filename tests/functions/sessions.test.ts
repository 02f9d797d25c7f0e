import { randomBytes } from 'node:crypto';
import * as changePassword from '../../functions/change-password';
import * as getProfile from '../../functions/get-profile';
import * as listSessions from '../../functions/list-sessions';
import * as login from '../../functions/login';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import * as revokeAllSessions from '../../functions/revoke-all-sessions';
import * as revokeSession from '../../functions/revoke-session';
import { logIn, PASSWORD, type Session, signUp } from '../support/accounts';
import { invoke, type Response, testServices } from '../support/app';

// A clock of our own, so listed times are exact; Redis TTLs still run on real time.
const START = Date.parse('2031-03-04T05:06:07.000Z');
let clock = START;
const services = testServices({}, { now: () => clock });
const h = {
  register: register.createHandler(services),
  login: login.createHandler(services),
  me: getProfile.createHandler(services),
  list: listSessions.createHandler(services),
  revoke: revokeSession.createHandler(services),
  revokeAll: revokeAllSessions.createHandler(services),
  password: changePassword.createHandler(services),
  refresh: refreshSession.createHandler(services),
};

const NEW_PASSWORD = 'an even longer passphrase';
const REFRESH_TTL_MS = 2_592_000 * 1000;

const iso = (ms: number) => new Date(ms).toISOString();

const me = (token: string) => invoke(h.me, { method: 'GET', path: '/users/me', token });
const list = (token: string) => invoke(h.list, { method: 'GET', path: '/sessions', token });
const revoke = (token: string, id: string) =>
  invoke(h.revoke, { method: 'DELETE', path: `/sessions/${id}`, token, pathParameters: { id } });
const refresh = (refreshToken: string) =>
  invoke(h.refresh, { method: 'POST', path: '/sessions/refresh', body: { refreshToken } });
const ids = (res: Response): string[] => res.body.sessions.map((s: { id: string }) => s.id).sort();

const expectUnauthorized = (res: Response) => {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('unauthorized');
};

const expectNotFound = (res: Response) => {
  expect(res.status).toBe(404);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.body).toEqual({
    type: 'urn:account-service:problem:not_found',
    title: 'Not found',
    status: 404,
    detail: expect.any(String),
    code: 'not_found',
    requestId: expect.any(String),
  });
};

beforeEach(() => {
  clock = START;
});

describe('GET /sessions', () => {
  test('lists my sessions, newest use first, only the current one marked, never a token', async () => {
    // Prepare: three sessions, one second apart, from three clients
    const { email, session: a } = await signUp(h.register, { userAgent: 'Agent A' });
    clock += 1000;
    const b = await logIn(h.login, email, { userAgent: 'Agent B' });
    clock += 1000;
    const c = await logIn(h.login, email, { userAgent: '' });
    clock += 1000;

    // Act
    const res = await list(b.accessToken);

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      sessions: [
        // Listing is a read: it writes the current session's lastUsedAt only when that is older
        // than SESSION_TOUCH_SECONDS (60 s; tests/functions/session-touch.test.ts), so B stays where it was.
        {
          id: c.sessionId,
          createdAt: iso(START + 2000),
          lastUsedAt: iso(START + 2000),
          expiresAt: iso(START + 2000 + REFRESH_TTL_MS),
          userAgent: null,
          current: false,
        },
        {
          id: b.sessionId,
          createdAt: iso(START + 1000),
          lastUsedAt: iso(START + 1000),
          expiresAt: iso(START + 1000 + REFRESH_TTL_MS),
          userAgent: 'Agent B',
          current: true,
        },
        {
          id: a.sessionId,
          createdAt: iso(START),
          lastUsedAt: iso(START),
          expiresAt: iso(START + REFRESH_TTL_MS),
          userAgent: 'Agent A',
          current: false,
        },
      ],
    });
    const text = JSON.stringify(res.body);
    for (const s of [a, b, c]) {
      expect(text).not.toContain(s.refreshToken);
      expect(text).not.toContain(s.accessToken);
    }
    expect(text).not.toMatch(/hash|token/i);
  });

  test('a refresh moves lastUsedAt and expiresAt of that session', async () => {
    const { session } = await signUp(h.register);
    clock += 60_000;
    const next: Session = (await refresh(session.refreshToken)).body.session;

    const res = await list(next.accessToken);

    expect(res.body.sessions).toEqual([
      {
        id: session.sessionId,
        createdAt: iso(START),
        lastUsedAt: iso(START + 60_000),
        expiresAt: iso(START + 60_000 + REFRESH_TTL_MS),
        userAgent: 'jest',
        current: true,
      },
    ]);
  });

  test("another user's sessions never show up", async () => {
    const mine = await signUp(h.register);
    const theirs = await signUp(h.register);

    expect(ids(await list(mine.session.accessToken))).toEqual([mine.session.sessionId]);
    expect(ids(await list(theirs.session.accessToken))).toEqual([theirs.session.sessionId]);
  });

  test('a long User-Agent is stored cut to 256 characters', async () => {
    const { session } = await signUp(h.register, { userAgent: 'x'.repeat(1000) });
    const res = await list(session.accessToken);
    expect(res.body.sessions[0].userAgent).toBe('x'.repeat(256));
  });

  test('without a token → 401 with WWW-Authenticate: Bearer', async () => {
    const res = await invoke(h.list, { method: 'GET', path: '/sessions' });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body.code).toBe('unauthorized');
  });
});

describe('DELETE /sessions/{id}', () => {
  test('revokes another session of mine: its access and refresh tokens die, mine lives', async () => {
    // Prepare
    const { email, session: a } = await signUp(h.register);
    const b = await logIn(h.login, email);
    const c = await logIn(h.login, email);

    // Act
    const res = await revoke(a.accessToken, b.sessionId);

    // Assess
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expectUnauthorized(await me(b.accessToken));
    expect((await refresh(b.refreshToken)).status).toBe(401);
    expect((await me(a.accessToken)).status).toBe(200);
    expect((await me(c.accessToken)).status).toBe(200);
    expect(ids(await list(a.accessToken))).toEqual([a.sessionId, c.sessionId].sort());
  });

  test('a foreign session id → 404 not_found, and that session stays alive', async () => {
    // Prepare
    const mine = await signUp(h.register);
    const theirs = await signUp(h.register);

    // Act
    const res = await revoke(mine.session.accessToken, theirs.session.sessionId);

    // Assess
    expectNotFound(res);
    expect((await me(theirs.session.accessToken)).status).toBe(200);
    expect(ids(await list(theirs.session.accessToken))).toEqual([theirs.session.sessionId]);
    expect((await refresh(theirs.session.refreshToken)).status).toBe(200);
  });

  test.each([
    ['not an id at all', 'nope'],
    ['too short', 'ses_abc'],
    ['a user id', `usr_${randomBytes(16).toString('base64url')}`],
    ['a well-formed id nobody has', `ses_${randomBytes(16).toString('base64url')}`],
    ['encoded path tricks', '..%2Fcurrent'],
  ])('%s → 404 not_found', async (_, id) => {
    const { session } = await signUp(h.register);
    expectNotFound(await revoke(session.accessToken, id));
    expect((await me(session.accessToken)).status).toBe(200);
  });

  test('an already revoked session → 404', async () => {
    const { email, session: a } = await signUp(h.register);
    const b = await logIn(h.login, email);
    expect((await revoke(a.accessToken, b.sessionId)).status).toBe(204);

    expectNotFound(await revoke(a.accessToken, b.sessionId));
  });

  test('my own current session by id: revoked like a log-out', async () => {
    const { session } = await signUp(h.register);
    expect((await revoke(session.accessToken, session.sessionId)).status).toBe(204);
    expectUnauthorized(await me(session.accessToken));
  });

  test('without a token → 401, before the id is looked at', async () => {
    const res = await invoke(h.revoke, {
      method: 'DELETE',
      path: '/sessions/nope',
      pathParameters: { id: 'nope' },
    });
    expect(res.status).toBe(401);
  });
});

describe('DELETE /sessions', () => {
  test('revokes every session of mine, the current one included, and nobody else’s', async () => {
    // Prepare
    const { email, session: a } = await signUp(h.register);
    const b = await logIn(h.login, email);
    const c = await logIn(h.login, email);
    const stranger = await signUp(h.register);

    // Act
    const res = await invoke(h.revokeAll, { method: 'DELETE', path: '/sessions', token: a.accessToken });

    // Assess
    expect(res.status).toBe(204);
    for (const s of [a, b, c]) {
      expectUnauthorized(await me(s.accessToken));
      expect((await refresh(s.refreshToken)).status).toBe(401);
    }
    expectUnauthorized(await list(a.accessToken));
    expect((await me(stranger.session.accessToken)).status).toBe(200);
    // The account itself survives: logging in again works.
    expect((await me((await logIn(h.login, email)).accessToken)).status).toBe(200);
  });
});

describe('PUT /users/me/password and sessions', () => {
  test('revokes every other session, keeps the current one (and its refresh token)', async () => {
    // Prepare
    const { email, session: a } = await signUp(h.register);
    const b = await logIn(h.login, email);
    const c = await logIn(h.login, email);

    // Act
    const res = await invoke(h.password, {
      method: 'PUT',
      path: '/users/me/password',
      token: b.accessToken,
      body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
    });

    // Assess
    expect(res.status).toBe(204);
    expect((await me(b.accessToken)).status).toBe(200);
    expect(ids(await list(b.accessToken))).toEqual([b.sessionId]);
    for (const s of [a, c]) {
      expectUnauthorized(await me(s.accessToken));
      expect((await refresh(s.refreshToken)).status).toBe(401);
    }
    expect((await refresh(b.refreshToken)).status).toBe(200);
    const old = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    expect(old.status).toBe(401);
    await logIn(h.login, email, { password: NEW_PASSWORD });
  });

  test('a wrong current password → 403 and no session is touched', async () => {
    const { email, session: a } = await signUp(h.register);
    const b = await logIn(h.login, email);

    const res = await invoke(h.password, {
      method: 'PUT',
      path: '/users/me/password',
      token: a.accessToken,
      body: { currentPassword: 'not my password at all', newPassword: NEW_PASSWORD },
    });

    expect(res.status).toBe(403);
    expect(res.body.code).toBe('current_password_incorrect');
    expect((await me(b.accessToken)).status).toBe(200);
    expect(ids(await list(a.accessToken))).toEqual([a.sessionId, b.sessionId].sort());
  });
});
