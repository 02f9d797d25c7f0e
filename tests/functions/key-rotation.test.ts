import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import { generateSigningKey, type SigningKey } from '../../dev/signing-key';
import * as getProfile from '../../functions/get-profile';
import * as jwks from '../../functions/jwks';
import * as register from '../../functions/register';
import type { Services } from '../../lib/services';
import { PASSWORD } from '../support/accounts';
import { invoke, type Response, testServices } from '../support/app';
import { uniquePrefix } from '../support/datastore';
import { testAlgorithm } from '../support/signing-keys';

// The run's algorithm (JWT_ALGORITHM; CI runs this project with EdDSA and with RS256).
const ALG = testAlgorithm();
// One key prefix for every deployment in this file: a rotation changes keys, not data.
const KEY_PREFIX = uniquePrefix(__filename);
const deployment = (privateKey: SigningKey, previous: SigningKey[] = []): Services =>
  testServices({
    KEY_PREFIX,
    JWT_PRIVATE_KEY: JSON.stringify(privateKey.privateJwk),
    JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify(previous.map((key) => key.publicJwk)),
  });

const me = (services: Services, token: string) =>
  invoke(getProfile.createHandler(services), { method: 'GET', path: '/users/me', token });

const expectInvalidToken = (res: Response) => {
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('unauthorized');
  expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
};

let oldKey: SigningKey;
let newKey: SigningKey;
let unknownKey: SigningKey;
let before: Services; // signs with the old key
let after: Services; // signs with the new key, still accepts the old one
let oldToken: string;
let session: { userId: string; sessionId: string };

beforeAll(async () => {
  [oldKey, newKey, unknownKey] = await Promise.all([
    generateSigningKey(ALG),
    generateSigningKey(ALG),
    generateSigningKey(ALG),
  ]);
  before = deployment(oldKey);
  after = deployment(newKey, [oldKey]);
  const res = await invoke(register.createHandler(before), {
    method: 'POST',
    path: '/users',
    body: {
      name: 'Key Rotator',
      email: `keys.${randomBytes(6).toString('hex')}@example.com`,
      password: PASSWORD,
    },
  });
  expect(res.status).toBe(201);
  oldToken = res.body.session.accessToken;
  session = { userId: res.body.user.id, sessionId: res.body.session.sessionId };
});

describe('signing-key rotation', () => {
  test('tokens carry the kid of the key that signed them', async () => {
    expect(decodeProtectedHeader(oldToken)).toEqual({ alg: ALG, typ: 'at+jwt', kid: oldKey.kid });
    const { accessToken } = await after.tokens.issueAccessToken(session);
    expect(decodeProtectedHeader(accessToken)).toEqual({ alg: ALG, typ: 'at+jwt', kid: newKey.kid });
  });

  test('a token signed with the previous key still authenticates after the rotation', async () => {
    const res = await me(after, oldToken);
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(session.userId);
  });

  test('a token signed with the new key authenticates', async () => {
    const { accessToken } = await after.tokens.issueAccessToken(session);
    expect((await me(after, accessToken)).status).toBe(200);
  });

  test('a token signed with an unknown key → 401, although its session is alive', async () => {
    const { accessToken } = await deployment(unknownKey).tokens.issueAccessToken(session);
    expectInvalidToken(await me(after, accessToken));
  });

  test('an unknown key cannot borrow a trusted kid', async () => {
    // Prepare: a token claiming the current kid, signed with another key
    const forged = await new SignJWT({ sid: session.sessionId })
      .setProtectedHeader({ alg: ALG, typ: 'at+jwt', kid: newKey.kid })
      .setIssuer(after.config.jwt.issuer)
      .setAudience(after.config.jwt.audience)
      .setSubject(session.userId)
      .setJti(randomBytes(12).toString('base64url'))
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(await importJWK(unknownKey.privateJwk, ALG));

    // Act & assess
    expectInvalidToken(await me(after, forged));
  });

  test('once the old key is retired from JWT_PREVIOUS_PUBLIC_KEYS, its tokens → 401', async () => {
    expectInvalidToken(await me(deployment(newKey), oldToken));
  });
});

describe('GET /.well-known/jwks.json', () => {
  test('publishes the current and the previous public key with their kids, no private members, cacheable', async () => {
    // Act
    const res = await invoke(jwks.createHandler(after), { method: 'GET', path: '/.well-known/jwks.json' });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
    expect(Number(/max-age=(\d+)/.exec(res.headers['cache-control'] ?? '')?.[1])).toBeGreaterThan(0);
    expect(res.body).toEqual({
      keys: [newKey.publicJwk, oldKey.publicJwk],
    });
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('"d"');
    expect(text).not.toContain(String(newKey.privateJwk.d));
    expect(text).not.toContain(String(oldKey.privateJwk.d));
  });

  test('a relying party can verify old and new tokens with the published set alone', async () => {
    // Prepare
    const res = await invoke(jwks.createHandler(after), { method: 'GET', path: '/.well-known/jwks.json' });
    const keySet = createLocalJWKSet(res.body);
    const { accessToken: newToken } = await after.tokens.issueAccessToken(session);
    const options = {
      algorithms: [ALG],
      typ: 'at+jwt',
      issuer: after.config.jwt.issuer,
      audience: after.config.jwt.audience,
    };

    // Act & assess
    for (const token of [oldToken, newToken]) {
      const { payload } = await jwtVerify(token, keySet, options);
      expect(payload).toMatchObject({ sub: session.userId, sid: session.sessionId });
    }
    const { accessToken: stranger } = await deployment(unknownKey).tokens.issueAccessToken(session);
    await expect(jwtVerify(stranger, keySet, options)).rejects.toThrow();
  });

  test('the same key listed twice is published once', async () => {
    const res = await invoke(jwks.createHandler(deployment(newKey, [newKey, oldKey, oldKey])), {
      method: 'GET',
      path: '/.well-known/jwks.json',
    });
    expect(res.body.keys.map((key: { kid: string }) => key.kid)).toEqual([newKey.kid, oldKey.kid]);
  });
});
