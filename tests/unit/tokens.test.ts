import { createHmac, generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, type JWK, SignJWT } from 'jose';
import type { Config, Ed25519Jwk, SigningJwk } from '../../lib/config';
import {
  createTokenService,
  hashRefreshToken,
  newId,
  newRefreshToken,
  refreshTokenSession,
} from '../../lib/tokens';
import { SessionId } from '../../lib/validation';

const newKeyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateJwk: privateKey.export({ format: 'jwk' }) as Ed25519Jwk,
    publicJwk: publicKey.export({ format: 'jwk' }) as Ed25519Jwk,
  };
};

const current = newKeyPair();
const T0 = Date.parse('2030-01-01T00:00:00Z');
const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'account-api';
const caller = { userId: 'usr_AAAAAAAAAAAAAAAAAAAAAA', sessionId: 'ses_BBBBBBBBBBBBBBBBBBBBBB' };

/** A settable clock (epoch ms) shared by issuer and verifier. */
const clock = { now: T0 };

/** A token service as the composition root builds it, with overrides of the JWT settings. */
function tokenService(jwt: Partial<Config['jwt']> = {}, accessTokenTtlSeconds = 900) {
  return createTokenService(
    {
      algorithm: 'EdDSA',
      privateKey: current.privateJwk,
      previousPublicKeys: [],
      issuer: ISSUER,
      audience: AUDIENCE,
      ...jwt,
    },
    { accessTokenTtlSeconds, refreshTokenTtlSeconds: 2_592_000 },
    () => clock.now,
  );
}

const service = tokenService();
const kidOf = (jwk: Ed25519Jwk) => calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs `claims` with the current private key, any header: for tokens the service must refuse. */
async function signWithCurrentKey(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const key = await importJWK({ ...current.privateJwk, alg: 'EdDSA' }, 'EdDSA');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: await kidOf(current.privateJwk), ...header })
    .sign(key);
}

/** The claims the service itself would put in a token issued at T0. */
const validClaims = (overrides: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: caller.userId,
  sid: caller.sessionId,
  jti: 'jti-1',
  iat: T0 / 1000,
  exp: T0 / 1000 + 900,
  ...overrides,
});

beforeEach(() => {
  clock.now = T0;
});

describe('issue and verify', () => {
  test('round trip: the claims come back', async () => {
    // Act
    const { accessToken, expiresIn } = await service.issueAccessToken(caller);

    // Assess
    expect(expiresIn).toBe(900);
    await expect(service.verifyAccessToken(accessToken)).resolves.toEqual(caller);
  });

  test('the header: EdDSA, typ at+jwt, the key id (RFC 7638 thumbprint when the JWK has none)', async () => {
    // Act
    const { accessToken } = await service.issueAccessToken(caller);

    // Assess
    expect(decodeProtectedHeader(accessToken)).toEqual({
      alg: 'EdDSA',
      typ: 'at+jwt',
      kid: await kidOf(current.privateJwk),
    });
  });

  test('a kid in the configured JWK is used as is', async () => {
    // Prepare
    const named = tokenService({ privateKey: { ...current.privateJwk, kid: '2030-01' } });

    // Act
    const { accessToken } = await named.issueAccessToken(caller);

    // Assess
    expect(decodeProtectedHeader(accessToken).kid).toBe('2030-01');
    await expect(named.verifyAccessToken(accessToken)).resolves.toEqual(caller);
  });

  test('the claims: iss, aud, sub, sid, jti, iat, exp — and nothing else', async () => {
    // Act
    const { accessToken } = await service.issueAccessToken(caller);

    // Assess
    expect(decodeJwt(accessToken)).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: caller.userId,
      sid: caller.sessionId,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{16,}$/),
      iat: T0 / 1000,
      exp: T0 / 1000 + 900,
    });
  });

  test('every token has its own jti', async () => {
    const [a, b] = await Promise.all([service.issueAccessToken(caller), service.issueAccessToken(caller)]);
    expect(decodeJwt(a.accessToken).jti).not.toBe(decodeJwt(b.accessToken).jti);
  });

  test('the lifetime follows ACCESS_TOKEN_TTL_SECONDS', async () => {
    // Act
    const { accessToken, expiresIn } = await tokenService({}, 60).issueAccessToken(caller);

    // Assess
    expect(expiresIn).toBe(60);
    expect(decodeJwt(accessToken).exp).toBe(T0 / 1000 + 60);
  });

  test('issueSession: the Session resource (README "API")', async () => {
    // Act
    const session = await service.issueSession(caller.userId, caller.sessionId, 'refresh-token', {
      method: 'password',
    });

    // Assess
    expect(session).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshToken: 'refresh-token',
      refreshExpiresIn: 2_592_000,
      sessionId: caller.sessionId,
    });
    await expect(service.verifyAccessToken(session.accessToken)).resolves.toEqual(caller);
  });
});

describe('expiry (injected clock)', () => {
  test.each([
    ['issued', 0, true],
    ['one second before expiry', 899_000, true],
    ['at expiry', 900_000, false],
    ['an hour later', 3_600_000, false],
  ])('%s → valid: %s', async (_, elapsedMs, valid) => {
    // Prepare
    const { accessToken } = await service.issueAccessToken(caller);
    clock.now = T0 + elapsedMs;

    // Act
    const claims = await service.verifyAccessToken(accessToken);

    // Assess
    expect(claims).toEqual(valid ? caller : null);
  });
});

describe('verification refuses (null)', () => {
  test.each<[string, () => Promise<string>]>([
    ['nbf in the future', () => signWithCurrentKey(validClaims({ nbf: T0 / 1000 + 60 }))],
    [
      'exp in the past',
      () => signWithCurrentKey(validClaims({ iat: T0 / 1000 - 1000, exp: T0 / 1000 - 100 })),
    ],
    ['a wrong issuer', () => signWithCurrentKey(validClaims({ iss: 'https://evil.example.com' }))],
    ['no issuer', () => signWithCurrentKey(validClaims({ iss: undefined }))],
    ['a wrong audience', () => signWithCurrentKey(validClaims({ aud: 'another-api' }))],
    ['no audience', () => signWithCurrentKey(validClaims({ aud: undefined }))],
    ['no sid', () => signWithCurrentKey(validClaims({ sid: undefined }))],
    ['no sub', () => signWithCurrentKey(validClaims({ sub: undefined }))],
    ['no jti', () => signWithCurrentKey(validClaims({ jti: undefined }))],
    ['no exp', () => signWithCurrentKey(validClaims({ exp: undefined }))],
    ['a numeric sid', () => signWithCurrentKey(validClaims({ sid: 42 }))],
    ['typ JWT', () => signWithCurrentKey(validClaims(), { typ: 'JWT' })],
    ['no typ', () => signWithCurrentKey(validClaims(), { typ: undefined })],
    ['typ of an ID token', () => signWithCurrentKey(validClaims(), { typ: 'id_token+jwt' })],
    ['no kid', () => signWithCurrentKey(validClaims(), { kid: undefined })],
    ['an unknown kid', () => signWithCurrentKey(validClaims(), { kid: 'someone-else' })],
    [
      'alg none (hand-crafted, no signature)',
      async () =>
        `${b64({ alg: 'none', typ: 'at+jwt', kid: await kidOf(current.privateJwk) })}.${b64(validClaims())}.`,
    ],
    [
      'HS256 keyed with the public key bytes (algorithm confusion)',
      async () => {
        const header = b64({ alg: 'HS256', typ: 'at+jwt', kid: await kidOf(current.privateJwk) });
        const input = `${header}.${b64(validClaims())}`;
        const secret = Buffer.from(current.publicJwk.x, 'base64url');
        return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      },
    ],
    [
      'HS256 signed by jose with a shared secret',
      async () =>
        new SignJWT(validClaims())
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: await kidOf(current.privateJwk) })
          .sign(new TextEncoder().encode('a shared secret of enough length!!')),
    ],
    [
      'an unknown Ed25519 key claiming our kid',
      async () => {
        const stranger = newKeyPair();
        const key = await importJWK({ ...stranger.privateJwk, alg: 'EdDSA' }, 'EdDSA');
        return new SignJWT(validClaims())
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: await kidOf(current.privateJwk) })
          .sign(key);
      },
    ],
    [
      'an unknown Ed25519 key with its own kid',
      async () => {
        const stranger = newKeyPair();
        return tokenService({ privateKey: stranger.privateJwk })
          .issueAccessToken(caller)
          .then((t) => t.accessToken);
      },
    ],
    [
      'a tampered payload (sub changed, signature kept)',
      async () => {
        const [header, , signature] = (await service.issueAccessToken(caller)).accessToken.split('.');
        const payload = b64(validClaims({ sub: 'usr_CCCCCCCCCCCCCCCCCCCCCC' }));
        return `${header}.${payload}.${signature}`;
      },
    ],
    [
      'a tampered header (kid changed)',
      async () => {
        const [, payload, signature] = (await service.issueAccessToken(caller)).accessToken.split('.');
        return `${b64({ alg: 'EdDSA', typ: 'at+jwt', kid: 'x' })}.${payload}.${signature}`;
      },
    ],
    ['a truncated signature', async () => (await service.issueAccessToken(caller)).accessToken.slice(0, -4)],
    ['an empty string', async () => ''],
    ['garbage', async () => 'not a token'],
    ['three empty parts', async () => '..'],
    ['a JWE-shaped string', async () => 'a.b.c.d.e'],
  ])('%s', async (_, makeToken) => {
    // Prepare
    const token = await makeToken();

    // Act
    const claims = await service.verifyAccessToken(token);

    // Assess
    expect(claims).toBeNull();
  });

  test.each([
    ['issuer', { issuer: 'https://other-issuer.example.com' }],
    ['audience', { audience: 'other-audience' }],
  ])('a token from a service with another %s, same key', async (_, jwt) => {
    // Prepare
    const { accessToken } = await tokenService(jwt).issueAccessToken(caller);

    // Act & assess
    await expect(service.verifyAccessToken(accessToken)).resolves.toBeNull();
  });

  test('the control: the same hand-signed claims with the right header verify', async () => {
    // Guards the table above: each refusal is due to its one difference.
    await expect(service.verifyAccessToken(await signWithCurrentKey(validClaims()))).resolves.toEqual(caller);
  });
});

describe('key rotation', () => {
  const previous = newKeyPair();
  const rotated = newKeyPair();

  test('a token signed with the previous key verifies once that key is in JWT_PREVIOUS_PUBLIC_KEYS', async () => {
    // Prepare
    const before = tokenService({ privateKey: previous.privateJwk });
    const after = tokenService({ privateKey: rotated.privateJwk, previousPublicKeys: [previous.publicJwk] });
    const { accessToken } = await before.issueAccessToken(caller);

    // Act & assess
    await expect(after.verifyAccessToken(accessToken)).resolves.toEqual(caller);
    await expect(
      after.verifyAccessToken((await after.issueAccessToken(caller)).accessToken),
    ).resolves.toEqual(caller);
  });

  test('once the previous key is dropped, its tokens are refused', async () => {
    // Prepare
    const { accessToken } = await tokenService({ privateKey: previous.privateJwk }).issueAccessToken(caller);
    const dropped = tokenService({ privateKey: rotated.privateJwk, previousPublicKeys: [] });

    // Act & assess
    await expect(dropped.verifyAccessToken(accessToken)).resolves.toBeNull();
  });

  test('the JWKS publishes the current and previous public keys only, never "d"', async () => {
    // Prepare: a previous key pasted by mistake as a private JWK must still publish without "d"
    const after = tokenService({ privateKey: rotated.privateJwk, previousPublicKeys: [previous.privateJwk] });

    // Act
    const jwks = await after.jwks();

    // Assess
    const publicMember = (jwk: Ed25519Jwk): JWK => ({ kty: 'OKP', crv: 'Ed25519', x: jwk.x });
    expect(jwks).toEqual({
      keys: [
        { ...publicMember(rotated.publicJwk), kid: await kidOf(rotated.publicJwk), alg: 'EdDSA', use: 'sig' },
        {
          ...publicMember(previous.publicJwk),
          kid: await kidOf(previous.publicJwk),
          alg: 'EdDSA',
          use: 'sig',
        },
      ],
    });
    expect(JSON.stringify(jwks)).not.toContain(rotated.privateJwk.d);
    expect(JSON.stringify(jwks)).not.toContain(previous.privateJwk.d);
  });

  test('the kid in the token header is the kid the JWKS publishes', async () => {
    // Act
    const { accessToken } = await service.issueAccessToken(caller);
    const jwks = await service.jwks();

    // Assess
    expect(jwks.keys.map((key) => key.kid)).toEqual([decodeProtectedHeader(accessToken).kid]);
  });

  test('a key listed twice (current also in the previous list) is published once', async () => {
    // Prepare
    const twice = tokenService({ previousPublicKeys: [current.publicJwk] });

    // Act & assess
    expect((await twice.jwks()).keys).toHaveLength(1);
  });
});

describe('refresh tokens and ids', () => {
  test('a refresh token names its session and carries 256 random bits as base64url', () => {
    // Prepare
    const userId = newId('usr');
    const sessionId = newId('ses');

    // Act
    const tokens = Array.from({ length: 50 }, () => newRefreshToken(userId, sessionId));

    // Assess
    for (const token of tokens) {
      const [user, session, secret] = token.split('.');
      expect([user, session]).toEqual([userId, sessionId]);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret as string, 'base64url')).toHaveLength(32);
      expect(refreshTokenSession(token)).toEqual({ userId, sessionId });
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  test.each([
    ['no selector', 'x'.repeat(43)],
    ['a short secret', `${newId('usr')}.${newId('ses')}.abc`],
    ['swapped ids', `${newId('ses')}.${newId('usr')}.${'x'.repeat(43)}`],
    ['a fourth part', `${newId('usr')}.${newId('ses')}.${'x'.repeat(43)}.y`],
    ['a key-like id', `usr_${'x'.repeat(21)}:.${newId('ses')}.${'x'.repeat(43)}`],
  ])('refreshTokenSession refuses %s', (_, token) => {
    expect(refreshTokenSession(token)).toBeNull();
  });

  test('the stored hash is deterministic, differs from the token, and differs between tokens', () => {
    // Prepare
    const token = newRefreshToken(newId('usr'), newId('ses'));
    const other = newRefreshToken(newId('usr'), newId('ses'));

    // Act
    const hash = hashRefreshToken(token);

    // Assess
    expect(hashRefreshToken(token)).toBe(hash);
    expect(hash).not.toBe(token);
    expect(hash).not.toContain(token);
    expect(hashRefreshToken(other)).not.toBe(hash);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test.each(['usr', 'ses'] as const)(
    'newId(%s): prefixed, 128 random bits, never numeric-looking',
    (prefix) => {
      // Act
      const ids = Array.from({ length: 50 }, () => newId(prefix));

      // Assess
      for (const id of ids) {
        expect(id).toMatch(new RegExp(`^${prefix}_[A-Za-z0-9_-]{22}$`));
        expect(Number.isNaN(Number(id))).toBe(true);
      }
      expect(new Set(ids).size).toBe(ids.length);
    },
  );

  test('a new session id passes the SessionId path check', () => {
    expect(SessionId.safeParse(newId('ses')).success).toBe(true);
  });
});

describe('algorithms pinned per key (JWT_ALGORITHM and previous keys of another kind)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaPrivate = rsa.privateKey.export({ format: 'jwk' }) as unknown as SigningJwk;
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecPublic = ec.publicKey.export({ format: 'jwk' }) as unknown as SigningJwk;
  const edPrevious = newKeyPair();
  // Signs with RS256; still accepts EdDSA and ES256 tokens of its previous keys.
  const mixed = tokenService({
    algorithm: 'RS256',
    privateKey: rsaPrivate,
    previousPublicKeys: [edPrevious.publicJwk, ecPublic],
  });

  test('tokens of the current RS256 key and of a previous EdDSA key verify', async () => {
    const { accessToken } = await mixed.issueAccessToken(caller);
    expect(decodeProtectedHeader(accessToken).alg).toBe('RS256');
    await expect(mixed.verifyAccessToken(accessToken)).resolves.toEqual(caller);
    const old = await tokenService({ privateKey: edPrevious.privateJwk }).issueAccessToken(caller);
    await expect(mixed.verifyAccessToken(old.accessToken)).resolves.toEqual(caller);
  });

  test('the JWKS publishes each key with its own alg', async () => {
    expect((await mixed.jwks()).keys.map((key) => [key.kty, key.alg, key.use])).toEqual([
      ['RSA', 'RS256', 'sig'],
      ['OKP', 'EdDSA', 'sig'],
      ['EC', 'ES256', 'sig'],
    ]);
  });

  test('a token whose alg is not the one of the key its kid names is refused', async () => {
    // An RS256 signature by the current key, under the kid of the previous EdDSA key
    const edKid = await kidOf(edPrevious.publicJwk);
    const forged = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: edKid })
      .sign(rsa.privateKey);
    await expect(mixed.verifyAccessToken(forged)).resolves.toBeNull();
    // The control: the same claims under the RSA key's own kid verify.
    const rsaKid = (await mixed.jwks()).keys[0]?.kid as string;
    const genuine = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: rsaKid })
      .sign(rsa.privateKey);
    await expect(mixed.verifyAccessToken(genuine)).resolves.toEqual(caller);
  });

  test('an algorithm no configured key has (PS256 with the RSA key) is refused', async () => {
    const rsaKid = (await mixed.jwks()).keys[0]?.kid as string;
    const token = await new SignJWT(validClaims())
      .setProtectedHeader({ alg: 'PS256', typ: 'at+jwt', kid: rsaKid })
      .sign(rsa.privateKey);
    await expect(mixed.verifyAccessToken(token)).resolves.toBeNull();
  });

  test('custom claims are added; the service’s own claims always win', async () => {
    const { accessToken } = await mixed.issueAccessToken(caller, { roles: ['admin'], sid: 'ses_forged' });
    expect(decodeJwt(accessToken)).toMatchObject({
      roles: ['admin'],
      sid: caller.sessionId,
      sub: caller.userId,
    });
  });
});
