import { createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { decodeCBORToNativeValue } from '@oslojs/cbor';
import {
  COSEKeyType,
  COSEPublicKey,
  coseAlgorithmEdDSA,
  coseAlgorithmES256,
  coseAlgorithmRS256,
  coseEllipticCurveEd25519,
  coseEllipticCurveP256,
} from '@oslojs/webauthn';

/**
 * The passkey ceremonies' verification (WebAuthn Level 3, §7.1 registration and §7.2
 * authentication), without @simplewebauthn/server, whose one entry point brings an X.509 and
 * ASN.1 stack we never use (attestation is `none`): ≈430 KiB and 140–158 ms of every cold start of
 * the two functions that verify. `@oslojs/webauthn` parses (client data, authenticator data,
 * attestation object, COSE keys); every check is here, and signatures are verified by node:crypto.
 * The fixed layouts (client data JSON, authenticator data, the attestation object's three members)
 * are read here, with node:crypto's SHA-256: the package's own readers carry a pure-JS SHA-2 and
 * every attestation format's parser, ≈13 KiB of each of the two bundles. `@oslojs/cbor` decodes,
 * `@oslojs/webauthn` reads the COSE keys.
 *
 * Supported credentials: ES256 (P-256), RS256 (RSA ≥ 2048 bits) and EdDSA (Ed25519) — what the
 * creation options offer. Attestation: `none`, or `packed` self-attestation (verified with the
 * credential's own key); an attestation with a certificate chain was never asked for and is refused.
 * Stored keys stay COSE (base64url), as @simplewebauthn/server stored them: passkeys registered
 * before this verifier keep working, and the other way round.
 *
 * tests/unit/passkey-verifier.test.ts runs both verifiers over a generated set of ceremonies.
 */

/** What a ceremony must match: the challenge handed out, the allowed origins, the RP ID. */
export interface ExpectedCeremony {
  challenge: string;
  origins: readonly string[];
  rpId: string;
}

/** A verified new credential, as stored. */
export interface RegisteredCredential {
  /** The credential id, base64url. */
  id: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  algorithm: number;
  counter: number;
  transports: string[];
}

/** A stored credential, as an assertion is checked against it. */
export interface StoredCredential {
  id: string;
  publicKey: string;
  counter: number;
}

/** Why a ceremony was refused (for the audit log; the client only ever sees `passkey_invalid`). */
export type RefusalReason =
  | 'malformed'
  | 'credential_id'
  | 'type'
  | 'challenge'
  | 'origin'
  | 'cross_origin'
  | 'rp_id'
  | 'user_presence'
  | 'user_verification'
  | 'algorithm'
  | 'attestation'
  | 'signature'
  | 'counter';

export class CeremonyRefusedError extends Error {
  override name = 'CeremonyRefusedError';
  constructor(readonly reason: RefusalReason) {
    super(`passkey ceremony refused: ${reason}`);
  }
}

const refuse = (reason: RefusalReason): never => {
  throw new CeremonyRefusedError(reason);
};

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const MAX_FIELD = 64 * 1024;

const bytes = (value: unknown): Uint8Array => {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD || !BASE64URL.test(value))
    return refuse('malformed');
  return new Uint8Array(Buffer.from(value as string, 'base64url'));
};
const b64u = (data: Uint8Array): string => Buffer.from(data).toString('base64url');
const sha256 = (data: Uint8Array | string): Buffer => createHash('sha256').update(data).digest();

/** The credential envelope both ceremonies share: `{id, rawId, type: 'public-key', response}`. */
function envelope(value: unknown): { id: string; response: Record<string, unknown> } {
  if (typeof value !== 'object' || value === null) return refuse('malformed');
  const { id, rawId, type, response } = value as Record<string, unknown>;
  if (typeof id !== 'string' || id === '' || !BASE64URL.test(id)) return refuse('malformed');
  if (rawId !== id) return refuse('credential_id');
  if (type !== 'public-key') return refuse('type');
  if (typeof response !== 'object' || response === null) return refuse('malformed');
  return { id, response: response as Record<string, unknown> };
}

/** §7.1 steps 5–12 / §7.2 steps 9–15: client data of the right type, our challenge, an allowed origin. */
function checkClientData(
  encoded: Uint8Array,
  type: 'webauthn.create' | 'webauthn.get',
  expected: ExpectedCeremony,
): void {
  let clientData: unknown;
  try {
    clientData = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(encoded));
  } catch {
    refuse('malformed');
  }
  if (typeof clientData !== 'object' || clientData === null) refuse('malformed');
  const { type: given, challenge, origin, crossOrigin, tokenBinding } = clientData as Record<string, unknown>;
  if (typeof given !== 'string' || typeof challenge !== 'string' || typeof origin !== 'string')
    refuse('malformed');
  if (crossOrigin !== undefined && typeof crossOrigin !== 'boolean') refuse('malformed');
  if (tokenBinding !== undefined && (typeof tokenBinding !== 'object' || tokenBinding === null))
    refuse('malformed');
  if (given !== type) refuse('type');
  // The string as sent: two base64url spellings of the same bytes are not the same challenge.
  if (challenge !== expected.challenge) refuse('challenge');
  if (!expected.origins.includes(origin as string)) refuse('origin');
  // Our pages never run a ceremony inside another site's frame.
  if (crossOrigin === true) refuse('cross_origin');
}

/** Authenticator data (WebAuthn §6.1): what the checks read, and the new credential's bytes. */
interface AuthenticatorData {
  rpIdHash: Buffer;
  flags: number;
  signatureCounter: number;
  /** Attested credential data (registration): the credential id and its COSE public key's own bytes. */
  credential: { id: Buffer; publicKey: Buffer } | null;
}

const USER_PRESENT = 0x01;
const USER_VERIFIED = 0x04;
const ATTESTED_CREDENTIAL_DATA = 0x40;

/** Reads authenticator data: RP ID hash (32), flags (1), counter (4), then attested credential data if flagged. */
function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.byteLength < 37) return refuse('malformed');
  const flags = data[32] as number;
  const parsed: AuthenticatorData = {
    rpIdHash: data.subarray(0, 32),
    flags,
    signatureCounter: data.readUInt32BE(33),
    credential: null,
  };
  if ((flags & ATTESTED_CREDENTIAL_DATA) === 0) return parsed;
  // AAGUID (16), credential id length (2), credential id, then the COSE key (CBOR).
  if (data.byteLength < 55) return refuse('malformed');
  const idEnd = 55 + data.readUInt16BE(53);
  if (data.byteLength < idEnd) return refuse('malformed');
  const rest = data.subarray(idEnd);
  let size: number;
  try {
    [, size] = decodeCBORToNativeValue(rest, 4);
  } catch {
    return refuse('malformed');
  }
  parsed.credential = { id: data.subarray(55, idEnd), publicKey: rest.subarray(0, size) };
  return parsed;
}

/** §7.1 steps 13–16 / §7.2 steps 15–17: our RP ID's hash, the user present and verified. */
function checkAuthenticatorData(data: AuthenticatorData, rpId: string): void {
  if (!sha256(rpId).equals(data.rpIdHash)) refuse('rp_id');
  if ((data.flags & USER_PRESENT) === 0) refuse('user_presence');
  if ((data.flags & USER_VERIFIED) === 0) refuse('user_verification');
}

/** A COSE public key of a supported algorithm as a node:crypto key, or a refusal. */
function publicKeyOf(cose: COSEPublicKey): { key: KeyObject; algorithm: number } {
  let algorithm: number;
  let jwk: Record<string, string>;
  try {
    algorithm = cose.algorithm();
    const type = cose.type();
    const raw = cose.decoded as Record<string, unknown>;
    if (algorithm === coseAlgorithmES256 && type === COSEKeyType.EC2) {
      if (cose.ec2().curve !== coseEllipticCurveP256) return refuse('algorithm');
      jwk = { kty: 'EC', crv: 'P-256', x: b64u(raw['-2'] as Uint8Array), y: b64u(raw['-3'] as Uint8Array) };
    } else if (algorithm === coseAlgorithmEdDSA && type === COSEKeyType.OKP) {
      if (cose.okp().curve !== coseEllipticCurveEd25519) return refuse('algorithm');
      jwk = { kty: 'OKP', crv: 'Ed25519', x: b64u(raw['-2'] as Uint8Array) };
    } else if (algorithm === coseAlgorithmRS256 && type === COSEKeyType.RSA) {
      const n = raw['-1'];
      const e = raw['-2'];
      if (!(n instanceof Uint8Array) || n.byteLength < 256 || !(e instanceof Uint8Array) || e.byteLength > 8)
        return refuse('algorithm');
      jwk = { kty: 'RSA', n: b64u(n), e: b64u(e) };
    } else {
      return refuse('algorithm');
    }
  } catch (error) {
    if (error instanceof CeremonyRefusedError) throw error;
    return refuse('algorithm');
  }
  try {
    // node:crypto checks the key itself (an EC point off the curve is refused here).
    return { key: createPublicKey({ key: jwk, format: 'jwk' }), algorithm };
  } catch {
    return refuse('algorithm');
  }
}

/** Verifies a WebAuthn signature over `authenticatorData ‖ SHA-256(clientDataJSON)`. */
function signatureValid(key: KeyObject, algorithm: number, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (algorithm === coseAlgorithmEdDSA) return verify(null, data, key, signature);
    // ES256 signatures are DER (not the raw r‖s of JWS); RS256 is PKCS #1 v1.5.
    if (algorithm === coseAlgorithmES256)
      return verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
    return verify('sha256', data, key, signature);
  } catch {
    return false;
  }
}

/** Exactly one CBOR map and nothing after it (a COSE key, an attestation object); anything else is refused. */
function cborMap(encoded: Uint8Array): Record<string, unknown> {
  let decoded: unknown;
  try {
    const [value, size] = decodeCBORToNativeValue(encoded, 4);
    if (size !== encoded.byteLength) return refuse('malformed');
    decoded = value;
  } catch {
    return refuse('malformed');
  }
  if (typeof decoded !== 'object' || decoded === null) return refuse('malformed');
  return decoded as Record<string, unknown>;
}

/** COSE key bytes into a key of a supported algorithm; anything else is refused. */
const coseKey = (encoded: Uint8Array): { key: KeyObject; algorithm: number } =>
  publicKeyOf(new COSEPublicKey(cborMap(encoded)));

/** An attestation object: its format, statement and authenticator data. */
function parseAttestationObject(encoded: Uint8Array): {
  fmt: string;
  attStmt: Record<string, unknown>;
  authData: Uint8Array;
} {
  const { fmt, attStmt, authData } = cborMap(encoded);
  if (typeof fmt !== 'string' || typeof attStmt !== 'object' || attStmt === null) return refuse('malformed');
  if (!(authData instanceof Uint8Array)) return refuse('malformed');
  return { fmt, attStmt: attStmt as Record<string, unknown>, authData };
}

/**
 * Verifies a registration response (`navigator.credentials.create()`, JSON-encoded) against the
 * caller's live challenge. Throws `CeremonyRefusedError`; answers the credential to store.
 */
export function verifyRegistration(response: unknown, expected: ExpectedCeremony): RegisteredCredential {
  const { id, response: attestation } = envelope(response);
  const clientDataJSON = bytes(attestation.clientDataJSON);
  checkClientData(clientDataJSON, 'webauthn.create', expected);
  const { fmt, attStmt, authData } = parseAttestationObject(bytes(attestation.attestationObject));
  const data = parseAuthenticatorData(authData);
  checkAuthenticatorData(data, expected.rpId);
  const credential = data.credential;
  if (!credential) return refuse('malformed');
  // The id the browser reports is the one in the signed authenticator data: log-ins look it up.
  if (b64u(credential.id) !== id) refuse('credential_id');
  // Stored as the COSE key's own bytes, as they follow the credential id in the authenticator data.
  const { key, algorithm } = coseKey(credential.publicKey);

  if (fmt === 'none') {
    if (Object.keys(attStmt).length > 0) refuse('attestation');
  } else if (fmt === 'packed') {
    // Self attestation only: signed by the new credential's own key, with its algorithm; no x5c chain.
    const { alg, sig } = attStmt;
    if ('x5c' in attStmt || alg !== algorithm || !(sig instanceof Uint8Array)) return refuse('attestation');
    const signed = Buffer.concat([authData, sha256(clientDataJSON)]);
    if (!signatureValid(key, algorithm, signed, sig)) refuse('attestation');
  } else {
    refuse('attestation');
  }
  const transports = Array.isArray(attestation.transports)
    ? attestation.transports.filter((t): t is string => typeof t === 'string' && t.length <= 32).slice(0, 8)
    : [];
  return {
    id,
    publicKey: b64u(credential.publicKey),
    algorithm,
    counter: data.signatureCounter,
    transports,
  };
}

/**
 * Verifies an authentication response (`navigator.credentials.get()`, JSON-encoded) against the
 * challenge it signed and the stored credential. Throws `CeremonyRefusedError`; answers the new
 * signature counter (0 stays 0 for authenticators that keep none; otherwise it must grow).
 */
export function verifyAuthentication(
  response: unknown,
  expected: ExpectedCeremony,
  credential: StoredCredential,
): { newCounter: number } {
  const { id, response: assertion } = envelope(response);
  if (id !== credential.id) refuse('credential_id');
  const clientDataJSON = bytes(assertion.clientDataJSON);
  checkClientData(clientDataJSON, 'webauthn.get', expected);
  const authData = bytes(assertion.authenticatorData);
  const signature = bytes(assertion.signature);
  if (
    assertion.userHandle !== undefined &&
    assertion.userHandle !== null &&
    typeof assertion.userHandle !== 'string'
  )
    refuse('malformed');
  const data = parseAuthenticatorData(authData);
  checkAuthenticatorData(data, expected.rpId);
  // §7.2 step 22: a counter that did not move on, where either side keeps one, is a cloned key.
  const counter = data.signatureCounter;
  if ((counter > 0 || credential.counter > 0) && counter <= credential.counter) refuse('counter');
  const { key, algorithm } = coseKey(bytes(credential.publicKey));
  if (!signatureValid(key, algorithm, Buffer.concat([authData, sha256(clientDataJSON)]), signature))
    refuse('signature');
  return { newCounter: counter };
}
