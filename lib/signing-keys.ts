// The kinds of signing key JWT_ALGORITHM takes, as JWKs, and which algorithm a key is for.

/** An Ed25519 JWK as the configuration takes it: `d` only in the private key. */
export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d?: string;
  kid?: string;
  [member: string]: unknown;
}

/** An RSA JWK: `n`, `e`, and the private members only in the private key. */
export interface RsaJwk {
  kty: 'RSA';
  n: string;
  e: string;
  d?: string;
  kid?: string;
  [member: string]: unknown;
}

/** An EC P-256 JWK: `d` only in the private key. */
export interface EcJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d?: string;
  kid?: string;
  [member: string]: unknown;
}

/** A key the service signs or verifies access tokens with. */
export type SigningJwk = Ed25519Jwk | RsaJwk | EcJwk;

/** The algorithms access tokens may be signed with (`JWT_ALGORITHM`). */
export const SIGNING_ALGORITHMS = ['EdDSA', 'RS256', 'ES256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** The smallest RSA modulus accepted, in bits (NIST SP 800-57: 2048 until 2030). */
export const RSA_MIN_BITS = 2048;

/** The custom claims hook: a Lambda function invoked synchronously, or a URL signed with `secret`. */
export type CustomClaimsHookConfig =
  | { kind: 'lambda'; functionName: string }
  | { kind: 'url'; url: string; secret: Buffer };

export const SIGNING_KEY_KINDS: Record<SigningAlgorithm, string> = {
  EdDSA: 'an Ed25519 key (kty OKP, crv Ed25519)',
  RS256: 'an RSA key (kty RSA) of at least 2048 bits',
  ES256: 'an EC P-256 key (kty EC, crv P-256)',
};

export const isMember = (value: unknown) => typeof value === 'string' && value !== '';
const isOptionalMember = (value: unknown) => value === undefined || isMember(value);
/** A P-256 coordinate: 32 bytes, base64url. */
const isCoordinate = (value: unknown) =>
  typeof value === 'string' &&
  /^[A-Za-z0-9_-]{43}$/.test(value) &&
  Buffer.from(value, 'base64url').length === 32;

/** The size of an RSA modulus (base64url, big-endian) in bits. */
function modulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  const first = bytes.findIndex((byte) => byte !== 0);
  return first === -1 ? 0 : (bytes.length - first - 1) * 8 + (bytes[first] as number).toString(2).length;
}

/**
 * The algorithm a JWK signs with, from its key type (never from a header), or null when it is not
 * a usable signing key: Ed25519 → EdDSA, RSA of at least 2048 bits → RS256, EC P-256 → ES256. An
 * `alg` member, when present, must agree.
 */
export function algorithmOfJwk(value: unknown): SigningAlgorithm | null {
  const jwk = value as Record<string, unknown> | null;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return null;
  if (!isOptionalMember(jwk.kid) || !isOptionalMember(jwk.d)) return null;
  let algorithm: SigningAlgorithm | null = null;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && isMember(jwk.x)) algorithm = 'EdDSA';
  else if (jwk.kty === 'EC' && jwk.crv === 'P-256' && isCoordinate(jwk.x) && isCoordinate(jwk.y))
    algorithm = 'ES256';
  else if (
    jwk.kty === 'RSA' &&
    isMember(jwk.n) &&
    isMember(jwk.e) &&
    modulusBits(String(jwk.n)) >= RSA_MIN_BITS
  )
    algorithm = 'RS256';
  if (algorithm === null || (jwk.alg !== undefined && jwk.alg !== algorithm)) return null;
  return algorithm;
}
