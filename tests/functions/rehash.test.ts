import { randomBytes } from 'node:crypto';
import { PASSWORD } from '../support/accounts';
import { invoke, testServices } from '../support/app';
import { restClient } from '../support/datastore';
import { createHandlers } from '../support/handlers';

// README "Configuration": hashes with older parameters are re-hashed at the next log-in.
const KEY_PREFIX = `test:rehash:${randomBytes(6).toString('hex')}:`;
const before = createHandlers(testServices({ KEY_PREFIX, ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }));
const after = createHandlers(testServices({ KEY_PREFIX, ARGON2_MEMORY_KIB: '2048', ARGON2_TIME_COST: '2' }));
const redis = restClient({ automaticDeserialization: false });

const storedHash = (userId: string) => redis.hget<string>(`${KEY_PREFIX}user:${userId}`, 'passwordHash');

test('a log-in with new Argon2 parameters re-hashes the password; a failed one does not', async () => {
  // Prepare: an account hashed with the old parameters
  const email = `rehash.${randomBytes(4).toString('hex')}@example.com`;
  const reg = await invoke(before.register, {
    method: 'POST',
    path: '/users',
    body: { name: 'R', email, password: PASSWORD },
  });
  const userId = reg.body.user.id;
  expect(await storedHash(userId)).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);

  // Act & assess: a wrong password changes nothing
  const wrong = await invoke(after.login, {
    method: 'POST',
    path: '/sessions',
    body: { email, password: 'not the password at all' },
  });
  expect(wrong.status).toBe(401);
  expect(await storedHash(userId)).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);

  // the right one upgrades the hash, and the password still works with it
  expect(
    (await invoke(after.login, { method: 'POST', path: '/sessions', body: { email, password: PASSWORD } }))
      .status,
  ).toBe(200);
  expect(await storedHash(userId)).toMatch(/^\$argon2id\$v=19\$m=2048,t=2,p=1\$/);
  expect(
    (await invoke(after.login, { method: 'POST', path: '/sessions', body: { email, password: PASSWORD } }))
      .status,
  ).toBe(200);
});
