import { randomBytes } from 'node:crypto';
import { invoke, testServices } from '../support/app';
import { createHandlers } from '../support/handlers';

// A wrong *current* password counts towards the same per-account back-off as a failed log-in, so
// an access token (stolen, or left on a shared screen) cannot be used to guess the password.
let clock = Date.now();
const h = createHandlers(testServices({}, { now: () => clock }));
const PASSWORD = 'correct horse battery staple';
const WRONG = 'definitely not the password';

const changePassword = (token: string, currentPassword: string) =>
  invoke(h.password, {
    method: 'PUT',
    path: '/users/me/password',
    token,
    body: { currentPassword, newPassword: 'another long passphrase' },
  });

test('5 wrong current passwords lock the account: the 6th try, log-in too, get 429 until it runs out', async () => {
  // Prepare
  const email = `backoff.${randomBytes(5).toString('hex')}@example.com`;
  const reg = await invoke(h.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'B', email, password: PASSWORD },
  });
  const token = reg.body.session.accessToken;

  // Act & assess
  for (let n = 1; n <= 5; n++) expect((await changePassword(token, WRONG)).status).toBe(403);
  const locked = await changePassword(token, PASSWORD);
  expect(locked.status).toBe(429);
  expect(locked.body.code).toBe('rate_limited');
  expect(locked.headers['retry-after']).toBe('1');
  const login = await invoke(h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email, password: PASSWORD },
  });
  expect(login.status).toBe(429);
  const deletion = await invoke(h.remove, {
    method: 'DELETE',
    path: '/users/me',
    token,
    body: { password: PASSWORD },
  });
  expect(deletion.status).toBe(429);

  // Once the lock has run out, the right password works and clears the count.
  clock += 1000;
  expect((await changePassword(token, PASSWORD)).status).toBe(204);
  expect((await changePassword(token, WRONG)).status).toBe(403);
  expect((await changePassword(token, 'another long passphrase')).status).toBe(204);
});
