import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningAlgorithm } from '../lib/config';

/** A new signing key as the configuration expects it (README "Configuration", `JWT_*` variables). */
export interface SigningKey {
  /** The algorithm it signs with: the value of `JWT_ALGORITHM` that goes with it. */
  alg: SigningAlgorithm;
  /** RFC 7638 thumbprint of the public key; the `kid` tokens signed with this key carry. */
  kid: string;
  /** The private JWK with `kid` and `alg`: the value of `JWT_PRIVATE_KEY`. Secret. */
  privateJwk: JWK;
  /** The public half, with the same `kid`: what goes into `JWT_PREVIOUS_PUBLIC_KEYS` after the next rotation. */
  publicJwk: JWK;
}

/** The public members of each key type (RFC 7518 §6). */
const PUBLIC_MEMBERS: Record<SigningAlgorithm, (keyof JWK)[]> = {
  EdDSA: ['kty', 'crv', 'x'],
  RS256: ['kty', 'n', 'e'],
  ES256: ['kty', 'crv', 'x', 'y'],
};

const pick = (jwk: JWK, members: (keyof JWK)[]): JWK =>
  Object.fromEntries(members.map((member) => [member, jwk[member]]));

/**
 * Generates a fresh key pair for `alg`: Ed25519 (EdDSA, the default), RSA 2048 bits (RS256) or
 * P-256 (ES256). The `kid` is the RFC 7638 thumbprint, the same one the service derives for a key
 * without a `kid`, so a key keeps its id whichever form is configured.
 */
export async function generateSigningKey(alg: SigningAlgorithm = 'EdDSA'): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, {
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    extractable: true,
  });
  const exported = await exportJWK(privateKey);
  const publicMembers = pick(exported, PUBLIC_MEMBERS[alg]);
  const kid = await calculateJwkThumbprint(publicMembers);
  return {
    alg,
    kid,
    privateJwk: { ...exported, kid, alg, use: 'sig' },
    publicJwk: { ...publicMembers, kid, alg, use: 'sig' },
  };
}
