import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** A new Ed25519 signing key as the configuration expects it (API.md, `JWT_*` variables). */
export interface SigningKey {
  /** RFC 7638 thumbprint of the public key; the `kid` tokens signed with this key carry. */
  kid: string;
  /** The private JWK with `kid` and `alg`: the value of `JWT_PRIVATE_KEY`. Secret. */
  privateJwk: JWK;
  /** The public half, with the same `kid`: what goes into `JWT_PREVIOUS_PUBLIC_KEYS` after the next rotation. */
  publicJwk: JWK;
}

const ALGORITHM = 'EdDSA';

/**
 * Generates a fresh Ed25519 key pair. The `kid` is the RFC 7638 thumbprint, the same one the
 * service derives for a key without a `kid`, so a key keeps its id whichever form is configured.
 */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
  const { kty, crv, x, d } = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty, crv, x });
  return {
    kid,
    privateJwk: { kty, crv, x, d, kid, alg: ALGORITHM, use: 'sig' },
    publicJwk: { kty, crv, x, kid, alg: ALGORITHM, use: 'sig' },
  };
}
