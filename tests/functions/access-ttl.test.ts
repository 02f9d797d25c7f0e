import { randomBytes } from 'node:crypto';
import * as getProfile from '../../functions/get-profile';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import { invoke, testServices } from '../support/app';

// Real clock on purpose: this is the end-to-end check that the lifetime is honoured.
const services = testServices({ ACCESS_TOKEN_TTL_SECONDS: '2' });
const h = {
  register: register.createHandler(services),
  me: getProfile.createHandler(services),
  refresh: refreshSession.createHandler(services),
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const me = (token: string) => invoke(h.me, { method: 'GET', path: '/users/me', token });

test('ACCESS_TOKEN_TTL_SECONDS=2: the token works, is refused once expired, and a refresh brings a working one', async () => {
  // Prepare
  const reg = await invoke(h.register, {
    method: 'POST',
    path: '/users',
    body: {
      name: 'Short Lived',
      email: `ttl.${randomBytes(6).toString('hex')}@example.com`,
      password: 'correct horse battery staple',
    },
  });
  expect(reg.status).toBe(201);
  expect(reg.body.session.expiresIn).toBe(2);
  const { accessToken, refreshToken } = reg.body.session;
  expect((await me(accessToken)).status).toBe(200);

  // Act: wait the lifetime out
  await sleep(2500);
  const expired = await me(accessToken);

  // Assess
  expect(expired.status).toBe(401);
  expect(expired.body.code).toBe('unauthorized');
  expect(expired.headers['www-authenticate']).toBe('Bearer error="invalid_token"');

  const refreshed = await invoke(h.refresh, {
    method: 'POST',
    path: '/sessions/refresh',
    body: { refreshToken },
  });
  expect(refreshed.status).toBe(200);
  expect(refreshed.body.session.expiresIn).toBe(2);
  expect(refreshed.body.session.sessionId).toBe(reg.body.session.sessionId);
  const again = await me(refreshed.body.session.accessToken);
  expect(again.status).toBe(200);
  expect(again.body.user).toEqual(reg.body.user);
});
