// A software authenticator for tests and the bench: it answers WebAuthn ceremonies as a platform
// authenticator would (attestation "none", ES256, user present and verified, a signature counter),
// so the server's real verifier (@simplewebauthn/server) checks real bytes. Every field a test may
// want wrong (origin, RP ID, challenge, counter, signature, user handle) can be overridden.
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

export interface Overrides {
  origin?: string;
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

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly publicJwk: { x: string; y: string };
  private userHandle = '';
  /** The signature counter; 0 keeps it off, as many platform authenticators do. */
  counter: number;

  constructor(options: { counter?: number } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    const jwk = publicKey.export({ format: 'jwk' });
    this.publicJwk = { x: jwk.x as string, y: jwk.y as string };
    this.counter = options.counter ?? 1;
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
        crossOrigin: false,
      }),
    );
  }

  private flags(overrides: Overrides, attested: boolean) {
    const uv = overrides.userVerified === false ? 0 : 0x04;
    return Buffer.from([0x01 | uv | (attested ? 0x40 : 0)]);
  }

  /** The response to `navigator.credentials.create()` with these options. */
  register(options: CreationOptions, origin: string, overrides: Overrides = {}) {
    this.userHandle = options.user.id;
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, origin, overrides);
    const cose = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(this.publicJwk.x, 'base64url')],
        [-3, Buffer.from(this.publicJwk.y, 'base64url')],
      ]),
    );
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
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Map<string, string> | Uint8Array>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', authData],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
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
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.privateKey);
    if (overrides.tamperSignature) signature.writeUInt8((signature.at(-1) ?? 0) ^ 0xff, signature.length - 1);
    return {
      id: this.id,
      rawId: this.id,
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
