import { calculateJwkThumbprint, decodeProtectedHeader } from 'jose';
import { localEnvironment } from '../../dev/offline';
import { generateSigningKey } from '../../dev/signing-key';
import { parseConfig } from '../../lib/config';
import { createServices } from '../../lib/services';

// No datastore is contacted: the unit project runs without one, so any URL and token will do.
const configWith = (env: Record<string, string>) =>
  parseConfig({
    UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
    UPSTASH_REDIS_REST_TOKEN: 'unused',
    ...process.env,
    ...env,
  });
/** The token service exactly as the composition root builds it from this environment. */
const tokensWith = (env: Record<string, string>) => createServices(configWith(env)).tokens;

describe('generateSigningKey (npm run keygen)', () => {
  test('prints a private JWK with a thumbprint kid and a public JWK without private members', async () => {
    // Act
    const { kid, privateJwk, publicJwk } = await generateSigningKey();

    // Assess
    expect(kid).toBe(await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: String(publicJwk.x) }));
    expect(privateJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      d: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      kid,
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: privateJwk.x, kid, alg: 'EdDSA', use: 'sig' });
  });

  test('two calls give two different keys', async () => {
    const [a, b] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    expect(a.kid).not.toBe(b.kid);
    expect(a.privateJwk.d).not.toBe(b.privateJwk.d);
  });

  test('the private JWK is a valid JWT_PRIVATE_KEY and signs tokens the service verifies, under its kid', async () => {
    // Prepare
    const { kid, privateJwk } = await generateSigningKey();
    const tokens = tokensWith({ JWT_PRIVATE_KEY: JSON.stringify(privateJwk) });

    // Act
    const { accessToken } = await tokens.issueAccessToken({ userId: 'usr_a', sessionId: 'ses_a' });

    // Assess
    expect(decodeProtectedHeader(accessToken)).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid });
    expect(await tokens.verifyAccessToken(accessToken)).toEqual({ userId: 'usr_a', sessionId: 'ses_a' });
    expect(await tokens.jwks()).toEqual({
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: privateJwk.x, kid, alg: 'EdDSA', use: 'sig' }],
    });
  });

  test('the public JWK is a valid JWT_PREVIOUS_PUBLIC_KEYS entry: tokens of the old key still verify after rotation', async () => {
    // Prepare
    const old = await generateSigningKey();
    const next = await generateSigningKey();
    const before = tokensWith({ JWT_PRIVATE_KEY: JSON.stringify(old.privateJwk) });
    const after = tokensWith({
      JWT_PRIVATE_KEY: JSON.stringify(next.privateJwk),
      JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([old.publicJwk]),
    });
    const { accessToken } = await before.issueAccessToken({ userId: 'usr_b', sessionId: 'ses_b' });

    // Act & assess
    expect(await after.verifyAccessToken(accessToken)).toEqual({ userId: 'usr_b', sessionId: 'ses_b' });
    expect((await after.jwks()).keys.map((key) => key.kid)).toEqual([next.kid, old.kid]);
  });

  test('the public JWK alone is refused as JWT_PRIVATE_KEY', async () => {
    const { publicJwk } = await generateSigningKey();
    expect(() => configWith({ JWT_PRIVATE_KEY: JSON.stringify(publicJwk) })).toThrow(
      /JWT_PRIVATE_KEY .*private/,
    );
  });
});

describe.each(['RS256', 'ES256'] as const)('generateSigningKey(%s) (npm run keygen -- --alg)', (alg) => {
  test('makes a JWT_PRIVATE_KEY for JWT_ALGORITHM=%s that signs tokens the service verifies and publishes', async () => {
    // Prepare
    const { kid, privateJwk, publicJwk } = await generateSigningKey(alg);
    const tokens = tokensWith({ JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: JSON.stringify(privateJwk) });

    // Act
    const { accessToken } = await tokens.issueAccessToken({ userId: 'usr_a', sessionId: 'ses_a' });

    // Assess
    expect(decodeProtectedHeader(accessToken)).toEqual({ alg, typ: 'at+jwt', kid });
    expect(await tokens.verifyAccessToken(accessToken)).toEqual({ userId: 'usr_a', sessionId: 'ses_a' });
    expect(await tokens.jwks()).toEqual({ keys: [publicJwk] });
    expect(publicJwk).toMatchObject({ kid, alg, use: 'sig' });
    expect(publicJwk.d).toBeUndefined();
    expect(kid).toBe(await calculateJwkThumbprint(publicJwk));
  });

  test('its key is refused under the default JWT_ALGORITHM (EdDSA), naming the keygen to run', async () => {
    const { privateJwk } = await generateSigningKey(alg);
    expect(() => configWith({ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: JSON.stringify(privateJwk) })).toThrow(
      /JWT_PRIVATE_KEY is an? .* key .*which signs .*, but JWT_ALGORITHM is EdDSA: make a key with `npm run keygen -- --alg EdDSA`/,
    );
  });
});

describe('npm start makes a development key of JWT_ALGORITHM’s kind', () => {
  test.each([
    [undefined, 'OKP'],
    ['RS256', 'RSA'],
    ['ES256', 'EC'],
  ])('JWT_ALGORITHM=%s → a %s key the configuration accepts', async (alg, kty) => {
    // Act
    const env = await localEnvironment(alg ? { JWT_ALGORITHM: alg } : {}, {
      datastore: null,
      demoPort: 5173,
    });

    // Assess
    expect(JSON.parse(env.JWT_PRIVATE_KEY as string)).toMatchObject({ kty });
    expect(configWith({ ...env, ...(alg ? { JWT_ALGORITHM: alg } : {}) }).jwt.algorithm).toBe(alg ?? 'EdDSA');
  });

  test('API_URL is where it serves the API', async () => {
    const env = await localEnvironment(
      {},
      { datastore: null, demoPort: 5173, apiUrl: 'http://localhost:3999' },
    );
    expect(env.API_URL).toBe('http://localhost:3999');
  });
});
