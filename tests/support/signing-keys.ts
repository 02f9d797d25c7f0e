import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { SigningAlgorithm } from '../../lib/config';

/** The algorithm this test run signs with: JWT_ALGORITHM when the run sets it (CI runs RS256 too), else EdDSA. */
export const testAlgorithm = (): SigningAlgorithm =>
  (['EdDSA', 'RS256', 'ES256'] as const).find((alg) => alg === process.env.JWT_ALGORITHM) ?? 'EdDSA';

const generate = (alg: SigningAlgorithm): KeyObject => {
  if (alg === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return generateKeyPairSync('ed25519').privateKey;
};

/** A fresh private JWK for `alg` (default: the run's), as `JWT_PRIVATE_KEY` expects it. */
export const newPrivateJwk = (alg: SigningAlgorithm = testAlgorithm()): string =>
  JSON.stringify(generate(alg).export({ format: 'jwk' }));

/** The members a published public key of `alg` has (values: any string), as the JWKS lists it. */
export const publishedKeyShape = (alg: SigningAlgorithm = testAlgorithm()) => {
  const any = expect.any(String);
  const members =
    alg === 'RS256'
      ? { kty: 'RSA', n: any, e: any }
      : alg === 'ES256'
        ? { kty: 'EC', crv: 'P-256', x: any, y: any }
        : { kty: 'OKP', crv: 'Ed25519', x: any };
  return { ...members, kid: any, alg, use: 'sig' };
};
