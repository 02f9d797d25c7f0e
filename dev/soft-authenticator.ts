// A software authenticator for tests and the bench: it answers WebAuthn ceremonies as a platform
// authenticator would (attestation "none" or packed self-attestation; ES256, RS256 or EdDSA; user
// present and verified; a signature counter), so the server's verifier (lib/passkeys/verifier.ts,
// and @simplewebauthn/server in the differential test) checks real bytes. Every field a test may
// want wrong (origin, RP ID, challenge, type, flags, counter, signature, user handle) can be overridden.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const uint32 = (n: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n >>> 0);
  return out;
};

/** What a ceremony's options must carry for the authenticator to answer them. */
export interface CreationOptions {
  challenge: string;
  rp: { id: string };
  user: { id: string };
}
export interface RequestOptions {
  challenge: string;
  rpId: string;
}

/** The credential's algorithm (COSE: ES256 −7, RS256 −257, EdDSA −8). */
export type Algorithm = 'ES256' | 'RS256' | 'EdDSA';

export interface Overrides {
  origin?: string;
  crossOrigin?: boolean;
  userPresent?: boolean;
  /** The `rawId` to report instead of the credential id. */
  rawId?: string;
  /** Registration: a packed self-attestation signed over something else. */
  tamperAttestation?: boolean;
  rpId?: string;
  challenge?: string;
  type?: string;
  /** The counter to report instead of the next one. */
  counter?: number;
  /** The user handle to report (base64url) instead of the registered one. */
  userHandle?: string;
  tamperSignature?: boolean;
  userVerified?: boolean;
}

const COSE_ALGORITHM: Record<Algorithm, number> = { ES256: -7, RS256: -257, EdDSA: -8 };

function newKeyPair(algorithm: Algorithm) {
  if (algorithm === 'RS256') return generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (algorithm === 'EdDSA') return generateKeyPairSync('ed25519');
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  readonly algorithm: Algorithm;
  private readonly attestation: 'none' | 'packed';
  private readonly privateKey: KeyObject;
  private readonly publicJwk: Record<string, string>;
  private userHandle = '';
  /** The signature counter; 0 keeps it off, as many platform authenticators do. */
  counter: number;

  constructor(options: { counter?: number; algorithm?: Algorithm; attestation?: 'none' | 'packed' } = {}) {
    this.algorithm = options.algorithm ?? 'ES256';
    this.attestation = options.attestation ?? 'none';
    const { privateKey, publicKey } = newKeyPair(this.algorithm);
    this.privateKey = privateKey;
    this.publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    this.counter = options.counter ?? 1;
  }

  /** The credential's public key, COSE-encoded, as the authenticator data carries it. */
  private cosePublicKey(): Uint8Array {
    const raw = (name: string) => Buffer.from(this.publicJwk[name] as string, 'base64url');
    const alg = COSE_ALGORITHM[this.algorithm];
    const entries: Array<[number, number | Uint8Array]> =
      this.algorithm === 'ES256'
        ? [
            [1, 2],
            [3, alg],
            [-1, 1],
            [-2, raw('x')],
            [-3, raw('y')],
          ]
        : this.algorithm === 'EdDSA'
          ? [
              [1, 1],
              [3, alg],
              [-1, 6],
              [-2, raw('x')],
            ]
          : [
              [1, 3],
              [3, alg],
              [-1, raw('n')],
              [-2, raw('e')],
            ];
    return isoCBOR.encode(new Map<number, number | Uint8Array>(entries));
  }

  /** A signature as WebAuthn carries it: ES256 in DER, RS256 PKCS #1 v1.5, EdDSA raw. */
  private sign(data: Buffer): Buffer {
    return sign(this.algorithm === 'EdDSA' ? null : 'sha256', data, this.privateKey);
  }

  get id(): string {
    return b64u(this.credentialId);
  }

  private clientData(type: string, challenge: string, origin: string, overrides: Overrides) {
    return Buffer.from(
      JSON.stringify({
        type: overrides.type ?? type,
        challenge: overrides.challenge ?? challenge,
        origin: overrides.origin ?? origin,
        crossOrigin: overrides.crossOrigin ?? false,
      }),
    );
  }

  private flags(overrides: Overrides, attested: boolean) {
    const up = overrides.userPresent === false ? 0 : 0x01;
    const uv = overrides.userVerified === false ? 0 : 0x04;
    return Buffer.from([up | uv | (attested ? 0x40 : 0)]);
  }

  /** The response to `navigator.credentials.create()` with these options. */
  register(options: CreationOptions, origin: string, overrides: Overrides = {}) {
    this.userHandle = options.user.id;
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, origin, overrides);
    const cose = this.cosePublicKey();
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      sha256(overrides.rpId ?? options.rp.id),
      this.flags(overrides, true),
      uint32(this.counter),
      Buffer.alloc(16),
      idLength,
      this.credentialId,
      Buffer.from(cose),
    ]);
    const statement = new Map<string, number | Uint8Array>();
    if (this.attestation === 'packed') {
      const signed = Buffer.concat([authData, sha256(clientDataJSON)]);
      if (overrides.tamperAttestation) signed.writeUInt8((signed[0] ?? 0) ^ 0xff, 0);
      statement.set('alg', COSE_ALGORITHM[this.algorithm]);
      statement.set('sig', this.sign(signed));
    }
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, number | Uint8Array> | Uint8Array>([
        ['fmt', this.attestation],
        ['attStmt', statement],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: overrides.rawId ?? this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** The response to `navigator.credentials.get()` with these options (the counter moves on). */
  authenticate(options: RequestOptions, origin: string, overrides: Overrides = {}) {
    if (this.counter > 0) this.counter += 1;
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, origin, overrides);
    const authData = Buffer.concat([
      sha256(overrides.rpId ?? options.rpId),
      this.flags(overrides, false),
      uint32(overrides.counter ?? this.counter),
    ]);
    const signature = this.sign(Buffer.concat([authData, sha256(clientDataJSON)]));
    if (overrides.tamperSignature) signature.writeUInt8((signature.at(-1) ?? 0) ^ 0xff, signature.length - 1);
    return {
      id: this.id,
      rawId: overrides.rawId ?? this.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        userHandle: overrides.userHandle ?? this.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }
}
