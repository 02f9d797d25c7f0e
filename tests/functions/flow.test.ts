import * as changePassword from '../../functions/change-password';
import * as deleteAccount from '../../functions/delete-account';
import * as getProfile from '../../functions/get-profile';
import * as login from '../../functions/login';
import * as logout from '../../functions/logout';
import * as register from '../../functions/register';
import * as updateProfile from '../../functions/update-profile';
import { PASSWORD } from '../support/accounts';
import { invoke, testServices } from '../support/app';

const services = testServices();
const h = {
  register: register.createHandler(services),
  login: login.createHandler(services),
  logout: logout.createHandler(services),
  me: getProfile.createHandler(services),
  update: updateProfile.createHandler(services),
  password: changePassword.createHandler(services),
  remove: deleteAccount.createHandler(services),
};

describe('account lifecycle through the real handlers', () => {
  test('register → me → rename → logout → 401 → login → delete → login 401 → re-register', async () => {
    // Prepare
    const email = `Ada.${Date.now()}@Example.com`;

    // Act & assess, step by step
    const reg = await invoke(h.register, {
      method: 'POST',
      path: '/users',
      body: { name: ' Ada Lovelace ', email, password: PASSWORD },
    });
    expect(reg.status).toBe(201);
    expect(reg.headers.location).toBe('/users/me');
    expect(reg.headers['cache-control']).toBe('no-store');
    expect(reg.headers['x-content-type-options']).toBe('nosniff');
    expect(reg.body.user).toEqual({
      id: expect.stringMatching(/^usr_/),
      name: 'Ada Lovelace',
      email: email.toLowerCase(),
      emailVerified: false,
      pendingEmail: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(reg.body.session).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshToken: expect.any(String),
      refreshExpiresIn: 2592000,
      sessionId: expect.stringMatching(/^ses_/),
    });
    const token = reg.body.session.accessToken;

    const me = await invoke(h.me, { method: 'GET', path: '/users/me', token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ user: reg.body.user });

    const renamed = await invoke(h.update, {
      method: 'PATCH',
      path: '/users/me',
      token,
      body: { name: 'Ada King' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.user.name).toBe('Ada King');

    expect((await invoke(h.logout, { method: 'DELETE', path: '/sessions/current', token })).status).toBe(204);
    // A revoked token is refused before its body is looked at, even a bad body.
    const badBodyAfterLogout = await invoke(h.update, {
      method: 'PATCH',
      path: '/users/me',
      token,
      body: { id: 'x' },
    });
    expect(badBodyAfterLogout.status).toBe(401);
    const after = await invoke(h.me, { method: 'GET', path: '/users/me', token });
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('unauthorized');
    expect(after.headers['www-authenticate']).toBe('Bearer error="invalid_token"');

    const li = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    expect(li.status).toBe(200);
    expect(li.body.user.name).toBe('Ada King');
    const token2 = li.body.session.accessToken;

    const del = await invoke(h.remove, {
      method: 'DELETE',
      path: '/users/me',
      token: token2,
      body: { password: PASSWORD },
    });
    expect(del.status).toBe(204);
    expect((await invoke(h.me, { method: 'GET', path: '/users/me', token: token2 })).status).toBe(401);

    const li2 = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    expect(li2.status).toBe(401);
    expect(li2.body.code).toBe('invalid_credentials');

    const again = await invoke(h.register, {
      method: 'POST',
      path: '/users',
      body: { name: 'Ada', email, password: PASSWORD },
    });
    expect(again.status).toBe(201);
  });

  test('password change keeps the current session and revokes the others', async () => {
    const email = `grace.${Date.now()}@example.com`;
    const reg = await invoke(h.register, {
      method: 'POST',
      path: '/users',
      body: { name: 'Grace', email, password: PASSWORD },
    });
    const other = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email, password: PASSWORD },
    });
    const token = reg.body.session.accessToken;

    const changed = await invoke(h.password, {
      method: 'PUT',
      path: '/users/me/password',
      token,
      body: { currentPassword: PASSWORD, newPassword: 'a much better passphrase' },
    });

    expect(changed.status).toBe(204);
    expect((await invoke(h.me, { method: 'GET', path: '/users/me', token })).status).toBe(200);
    expect(
      (await invoke(h.me, { method: 'GET', path: '/users/me', token: other.body.session.accessToken }))
        .status,
    ).toBe(401);
  });
});
