// `npm start`'s development keys (dev/dev-keys.ts): made once, kept in a file only their owner can
// read, and the same ones on every later start — so a persistent REDIS_URL keeps working.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateDevKeys } from '../../dev/dev-keys';
import { localEnvironment } from '../../dev/offline';
import { parseConfig } from '../../lib/config';

let scratch: string;
let path: string;
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'dev-keys-'));
  path = join(scratch, '.dev/keys.json');
});
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

const mode = (file: string) => statSync(file).mode & 0o777;

test('the first start makes the keys and keeps them in a 0600 file; the next start reuses them', async () => {
  // Act
  const first = await loadOrCreateDevKeys(path, 'EdDSA');
  const second = await loadOrCreateDevKeys(path, 'EdDSA');

  // Assess
  expect(first.created).toBe(true);
  expect(second).toEqual({ keys: first.keys, created: false });
  expect(JSON.parse(first.keys.JWT_PRIVATE_KEY)).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
  expect(first.keys.TOTP_ENCRYPTION_KEY).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(mode(path)).toBe(0o600);
  expect(mode(join(scratch, '.dev'))).toBe(0o700);
  // The configuration takes them as they are.
  const config = parseConfig({
    UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
    UPSTASH_REDIS_REST_TOKEN: 'unused',
    ...first.keys,
  });
  expect(config.jwt.algorithm).toBe('EdDSA');
});

test('another JWT_ALGORITHM adds its key and keeps the others (and the TOTP key)', async () => {
  const eddsa = await loadOrCreateDevKeys(path, 'EdDSA');

  // Act
  const es256 = await loadOrCreateDevKeys(path, 'ES256');
  const back = await loadOrCreateDevKeys(path, 'EdDSA');

  // Assess
  expect(es256.created).toBe(true);
  expect(JSON.parse(es256.keys.JWT_PRIVATE_KEY)).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
  expect(es256.keys.TOTP_ENCRYPTION_KEY).toBe(eddsa.keys.TOTP_ENCRYPTION_KEY);
  expect(back).toEqual({ keys: eddsa.keys, created: false });
  expect(mode(path)).toBe(0o600);
});

test('a file that holds no keys is an error, and is left as it was', async () => {
  await loadOrCreateDevKeys(path, 'EdDSA');
  writeFileSync(path, '{"not": "keys"}');

  await expect(loadOrCreateDevKeys(path, 'EdDSA')).rejects.toThrow(
    /does not hold npm start's development keys/,
  );
  expect(readFileSync(path, 'utf8')).toBe('{"not": "keys"}');
});

test('the functions get the kept keys, unless the environment sets its own', async () => {
  const { keys } = await loadOrCreateDevKeys(path, 'EdDSA');
  const local = { datastore: null, demoPort: 5173, keys };

  // Act
  const kept = await localEnvironment({}, local);
  const own = await localEnvironment({ TOTP_ENCRYPTION_KEY: 'B'.repeat(43) }, local);

  // Assess
  expect([kept.JWT_PRIVATE_KEY, kept.TOTP_ENCRYPTION_KEY]).toEqual([
    keys.JWT_PRIVATE_KEY,
    keys.TOTP_ENCRYPTION_KEY,
  ]);
  expect([own.JWT_PRIVATE_KEY, own.TOTP_ENCRYPTION_KEY]).toEqual([keys.JWT_PRIVATE_KEY, 'B'.repeat(43)]);
});
