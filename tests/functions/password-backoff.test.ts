import { PASSWORD, signUp } from '../support/accounts';
import { invoke, testServices } from '../support/app';
import { createHandlers } from '../support/handlers';

// A re-entered password (`currentPassword`, `password`) is counted up front, atomically with the
// lock check, on the user's own re-authentication back-off (docs/security.md): an access token
// (stolen, or left on a shared screen) cannot run guesses past the lock, nor lock its owner out of
// log-in.
let clock = Date.now();
const services = testServices({}, { now: () => clock });
const h = createHandlers(services);
const WRONG = 'definitely not the password';

const changePassword = (token: string, currentPassword: string) =>
  invoke(h.changePassword, {
    method: 'PUT',
    path: '/users/me/password',
    token,
    body: { currentPassword, newPassword: 'another long passphrase' },
  });

test('5 wrong current passwords lock re-authentication: the 6th try gets 429 until it runs out; log-in is untouched', async () => {
  // Prepare
  const { email, token } = await signUp(h.register, { tag: 'backoff' });

  // Act & assess
  for (let n = 1; n <= 5; n++) expect((await changePassword(token, WRONG)).status).toBe(403);
  const locked = await changePassword(token, PASSWORD);
  expect(locked.status).toBe(429);
  expect(locked.body.code).toBe('rate_limited');
  expect(locked.headers['retry-after']).toBe('1');
  const deletion = await invoke(h.deleteAccount, {
    method: 'DELETE',
    path: '/users/me',
    token,
    body: { password: PASSWORD },
  });
  expect(deletion.status).toBe(429);
  // The owner, elsewhere, still logs in: the guesser's counter is not log-in's.
  const login = await invoke(h.login, {
    method: 'POST',
    path: '/sessions',
    body: { email, password: PASSWORD },
  });
  expect(login.status).toBe(200);

  // Once the lock has run out, the right password works and clears the count.
  clock += 1000;
  expect((await changePassword(token, PASSWORD)).status).toBe(204);
  expect((await changePassword(token, WRONG)).status).toBe(403);
  expect((await changePassword(token, 'another long passphrase')).status).toBe(204);
});

test('20 parallel wrong current passwords with one token: at most 5 reach Argon2, the rest get 429', async () => {
  // Prepare
  const { token } = await signUp(h.register, { tag: 'backoff' });

  // Act
  const answers = await Promise.all(Array.from({ length: 20 }, () => changePassword(token, WRONG)));

  // Assess: a 403 is a guess that reached Argon2 and failed; a 429 was refused before any hash.
  const statuses = answers.map((a) => a.status);
  const reachedArgon2 = statuses.filter((status) => status === 403).length;
  expect(reachedArgon2).toBeLessThanOrEqual(5);
  expect(statuses.filter((status) => status === 429)).toHaveLength(20 - reachedArgon2);
});

test('PATCH /users/me with currentPassword and a new name is throttled the same way (no free Argon2)', async () => {
  const { token } = await signUp(h.register, { tag: 'backoff' });
  const rename = (currentPassword: string) =>
    invoke(h.updateProfile, {
      method: 'PATCH',
      path: '/users/me',
      token,
      body: { name: 'Renamed', currentPassword },
    });
  const answers = await Promise.all(Array.from({ length: 12 }, () => rename(WRONG)));
  expect(answers.filter((a) => a.status === 403).length).toBeLessThanOrEqual(5);
  expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(7);
});
