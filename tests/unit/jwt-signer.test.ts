// The access token signer (lib/tokens.ts `signAccessToken`, node:crypto) against jose's `SignJWT`,
// which it replaces in the functions' bundles: for each algorithm and a seeded set of generated
// claims, the same header and claims, byte for byte, and the same token where the algorithm is
// deterministic (EdDSA, RS256); every token verifies with jose's `jwtVerify` and the public key.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { decodeJwt, jwtVerify, SignJWT } from 'jose';
import type { SigningAlgorithm } from '../../lib/config';
import { type AccessTokenContents, signAccessToken } from '../../lib/tokens';
import { seededRandom as random } from '../support/seeded-random';

const ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\u2028', 'é', '€', '😀', '<', '&', "'"];

function generated(seed: number) {
  const { int, pick } = random(seed);
  const text = () => Array.from({ length: int(12) }, () => pick(ALPHABET)).join('');
  const value = (depth: number): unknown => {
    switch (int(depth > 1 ? 5 : 7)) {
      case 0:
        return text();
      case 1:
        return int(2 ** 31) - 2 ** 30;
      case 2:
        return pick([true, false, null, 0.5, -0, 1e21]);
      case 3:
        return text().normalize('NFD');
      case 4:
        return int(3) === 0 ? [] : {};
      case 5:
        return Array.from({ length: int(4) }, () => value(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: int(4) }, () => [text(), value(depth + 1)]));
    }
  };
  // Custom claims as the hook leaves them: any JSON, the reserved names taken out.
  const extraClaims = Object.fromEntries(
    Array.from({ length: int(5) }, () => [
      pick(['role', 'tenant', 'x', 'é', '', '0', '__a']) + text(),
      value(0),
    ]),
  );
  const issuedAt = 1_700_000_000 + int(400_000_000);
  const contents = {
    kid: pick(['k1', 'kid-with-dash', text() || 'k']),
    issuer: pick(['https://auth.example.com', 'http://localhost:3000', '', text()]),
    audience: pick(['account-service', 'api://x', text()]),
    subject: `usr_${text()}`,
    sessionId: `ses_${text()}`,
    issuedAt,
    expiresAt: issuedAt + 1 + int(86_400),
  };
  return { contents, extraClaims };
}

const KEY_PAIRS: Record<SigningAlgorithm, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  EdDSA: () => generateKeyPairSync('ed25519'),
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
};

/** jose's token for the same contents, claims and jti, set in the order the service sets them. */
const joseToken = (
  contents: AccessTokenContents,
  extraClaims: Record<string, unknown>,
  jti: string,
  key: KeyObject,
) =>
  new SignJWT({ ...extraClaims, sid: contents.sessionId })
    .setProtectedHeader({ alg: contents.algorithm, typ: 'at+jwt', kid: contents.kid })
    .setIssuer(contents.issuer)
    .setAudience(contents.audience)
    .setSubject(contents.subject)
    .setJti(jti)
    .setIssuedAt(contents.issuedAt)
    .setExpirationTime(contents.expiresAt)
    .sign(key);

describe.each(['EdDSA', 'RS256', 'ES256'] as const)(
  '%s: signAccessToken makes what SignJWT makes',
  (algorithm) => {
    // Keys as lib/tokens.ts imports them: node:crypto KeyObjects from JWKs.
    const pair = KEY_PAIRS[algorithm]();
    const privateKey = createPrivateKey({ key: pair.privateKey.export({ format: 'jwk' }), format: 'jwk' });
    const publicKey = createPublicKey({ key: pair.publicKey.export({ format: 'jwk' }), format: 'jwk' });
    const cases = Array.from({ length: algorithm === 'RS256' ? 40 : 120 }, (_, i) => generated(i + 1));

    test('the same segments (the same token when deterministic), verified by jose', async () => {
      let compared = 0;
      for (const { contents: base, extraClaims } of cases) {
        const contents = { ...base, algorithm };
        const ours = await signAccessToken(contents, extraClaims, privateKey);
        const jti = decodeJwt(ours).jti as string;
        expect(jti).toMatch(/^[A-Za-z0-9_-]{16}$/);
        const theirs = await joseToken(contents, extraClaims, jti, privateKey);
        const [header, claims] = ours.split('.');
        expect(theirs.split('.').slice(0, 2)).toEqual([header, claims]);
        if (algorithm !== 'ES256') expect(ours).toBe(theirs);
        const { payload, protectedHeader } = await jwtVerify(ours, publicKey, {
          algorithms: [algorithm],
          typ: 'at+jwt',
          issuer: contents.issuer,
          audience: contents.audience,
          currentDate: new Date(contents.issuedAt * 1000),
        });
        expect(protectedHeader).toEqual({ alg: algorithm, typ: 'at+jwt', kid: contents.kid });
        expect(payload).toEqual(
          JSON.parse(
            JSON.stringify({
              ...extraClaims,
              sid: contents.sessionId,
              iss: contents.issuer,
              aud: contents.audience,
              sub: contents.subject,
              jti,
              iat: contents.issuedAt,
              exp: contents.expiresAt,
            }),
          ),
        );
        compared++;
      }
      expect(compared).toBe(cases.length);
    });

    test('a token whose claims were changed after signing does not verify', async () => {
      const { contents, extraClaims } = cases[0] as ReturnType<typeof generated>;
      const token = await signAccessToken({ ...contents, algorithm }, extraClaims, privateKey);
      const [header, , signature] = token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: 'usr_other' })).toString(
        'base64url',
      );
      await expect(jwtVerify(`${header}.${forged}.${signature}`, publicKey)).rejects.toThrow();
    });
  },
);
