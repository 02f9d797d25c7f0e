// The light passkey verifier (lib/passkeys/verifier.ts: @oslojs/webauthn parses, node:crypto
// verifies) against @simplewebauthn/server 14.0.3, the verifier it replaced: over a generated set
// of ceremonies — each algorithm (ES256, RS256, EdDSA), attestation none and packed self, and each
// way of being wrong — both must give the same verdict. Stored keys are interchangeable: what one
// registers, the other verifies assertions against.

import { randomBytes } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { type Algorithm, type Overrides, SoftAuthenticator } from '../../dev/soft-authenticator';
import {
  CeremonyRefusedError,
  type StoredCredential,
  verifyAuthentication,
  verifyRegistration,
} from '../../lib/passkeys/verifier';

const RP_ID = 'app.example.com';
const ORIGINS = ['https://app.example.com', 'https://www.example.com'];
const ORIGIN = ORIGINS[0] as string;
const USER_ID = Buffer.from('usr_0123456789abcdefghijkl').toString('base64url');
const challenge = () => randomBytes(32).toString('base64url');

/** Both verdicts on one registration response: ours, and @simplewebauthn/server's (as production used it). */
async function verdictsOnRegistration(response: unknown, expectedChallenge: string) {
  let ours: boolean;
  try {
    verifyRegistration(response, { challenge: expectedChallenge, origins: ORIGINS, rpId: RP_ID });
    ours = true;
  } catch (error) {
    if (!(error instanceof CeremonyRefusedError)) throw error;
    ours = false;
  }
  let theirs: boolean;
  try {
    theirs = (
      await verifyRegistrationResponse({
        response: response as RegistrationResponseJSON,
        expectedChallenge,
        expectedOrigin: ORIGINS,
        expectedRPID: RP_ID,
        requireUserVerification: true,
        // What the creation options offer (lib/passkeys/service.ts).
        supportedAlgorithmIDs: [-8, -7, -257],
      })
    ).verified;
  } catch {
    theirs = false;
  }
  return { ours, theirs };
}

async function verdictsOnAuthentication(
  response: unknown,
  expectedChallenge: string,
  stored: StoredCredential,
) {
  let ours: boolean;
  try {
    verifyAuthentication(response, { challenge: expectedChallenge, origins: ORIGINS, rpId: RP_ID }, stored);
    ours = true;
  } catch (error) {
    if (!(error instanceof CeremonyRefusedError)) throw error;
    ours = false;
  }
  let theirs: boolean;
  try {
    theirs = (
      await verifyAuthenticationResponse({
        response: response as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: ORIGINS,
        expectedRPID: RP_ID,
        requireUserVerification: true,
        credential: {
          id: stored.id,
          publicKey: Buffer.from(stored.publicKey, 'base64url'),
          counter: stored.counter,
        },
      })
    ).verified;
  } catch {
    theirs = false;
  }
  return { ours, theirs };
}

const ALGORITHMS: Algorithm[] = ['ES256', 'RS256', 'EdDSA'];
const ATTESTATIONS = ['none', 'packed'] as const;

/** Ways a registration can be wrong, and whether it should pass. */
const REGISTRATIONS: Array<{
  name: string;
  overrides: Overrides;
  accepted: boolean;
  wrongChallenge?: boolean;
}> = [
  { name: 'valid', overrides: {}, accepted: true },
  { name: 'second allowed origin', overrides: { origin: ORIGINS[1] as string }, accepted: true },
  { name: 'wrong challenge', overrides: {}, accepted: false, wrongChallenge: true },
  { name: 'wrong origin', overrides: { origin: 'https://evil.example' }, accepted: false },
  { name: 'wrong RP ID', overrides: { rpId: 'evil.example' }, accepted: false },
  { name: 'wrong type', overrides: { type: 'webauthn.get' }, accepted: false },
  { name: 'user not present', overrides: { userPresent: false }, accepted: false },
  { name: 'user not verified', overrides: { userVerified: false }, accepted: false },
  { name: 'rawId differs from id', overrides: { rawId: 'AAAA' }, accepted: false },
];

const AUTHENTICATIONS: Array<{
  name: string;
  overrides: Overrides;
  accepted: boolean;
  wrongChallenge?: boolean;
  storedCounter?: number;
}> = [
  { name: 'valid', overrides: {}, accepted: true },
  { name: 'wrong challenge', overrides: {}, accepted: false, wrongChallenge: true },
  { name: 'wrong origin', overrides: { origin: 'https://evil.example' }, accepted: false },
  { name: 'wrong RP ID', overrides: { rpId: 'evil.example' }, accepted: false },
  { name: 'wrong type', overrides: { type: 'webauthn.create' }, accepted: false },
  { name: 'user not present', overrides: { userPresent: false }, accepted: false },
  { name: 'user not verified', overrides: { userVerified: false }, accepted: false },
  { name: 'tampered signature', overrides: { tamperSignature: true }, accepted: false },
  { name: 'counter went backwards', overrides: { counter: 3 }, accepted: false, storedCounter: 5 },
  { name: 'counter did not move', overrides: { counter: 5 }, accepted: false, storedCounter: 5 },
  { name: 'counter moved on', overrides: { counter: 6 }, accepted: true, storedCounter: 5 },
  { name: 'no counter on either side', overrides: { counter: 0 }, accepted: true, storedCounter: 0 },
  { name: 'counter 0 after a counted use', overrides: { counter: 0 }, accepted: false, storedCounter: 2 },
];

// RSA keys take a while to make: one authenticator per algorithm and attestation, reused.
const authenticators = new Map<string, SoftAuthenticator>();
const authenticatorOf = (algorithm: Algorithm, attestation: 'none' | 'packed') => {
  const key = `${algorithm}/${attestation}`;
  if (!authenticators.has(key)) authenticators.set(key, new SoftAuthenticator({ algorithm, attestation }));
  return authenticators.get(key) as SoftAuthenticator;
};

const registrationCases = ALGORITHMS.flatMap((algorithm) =>
  ATTESTATIONS.flatMap((attestation) => REGISTRATIONS.map((c) => ({ algorithm, attestation, ...c }))),
);

describe('registration: both verifiers agree', () => {
  test.each(registrationCases)(
    '$algorithm, attestation $attestation, $name → accepted: $accepted',
    async ({ algorithm, attestation, overrides, accepted, wrongChallenge }) => {
      const authenticator = authenticatorOf(algorithm, attestation);
      const issued = challenge();
      const response = authenticator.register(
        { challenge: issued, rp: { id: RP_ID }, user: { id: USER_ID } },
        ORIGIN,
        overrides,
      );
      const verdicts = await verdictsOnRegistration(response, wrongChallenge ? challenge() : issued);
      expect(verdicts).toEqual({ ours: accepted, theirs: accepted });
    },
  );

  test.each(ALGORITHMS)('%s: a tampered packed self-attestation is refused by both', async (algorithm) => {
    const issued = challenge();
    const response = authenticatorOf(algorithm, 'packed').register(
      { challenge: issued, rp: { id: RP_ID }, user: { id: USER_ID } },
      ORIGIN,
      { tamperAttestation: true },
    );
    expect(await verdictsOnRegistration(response, issued)).toEqual({ ours: false, theirs: false });
  });

  test.each(ALGORITHMS)('%s: both store the same credential (id, COSE key, counter)', async (algorithm) => {
    const issued = challenge();
    const response = authenticatorOf(algorithm, 'none').register(
      { challenge: issued, rp: { id: RP_ID }, user: { id: USER_ID } },
      ORIGIN,
    );
    const ours = verifyRegistration(response, { challenge: issued, origins: ORIGINS, rpId: RP_ID });
    const theirs = await verifyRegistrationResponse({
      response: response as RegistrationResponseJSON,
      expectedChallenge: issued,
      expectedOrigin: ORIGINS,
      expectedRPID: RP_ID,
    });
    expect({
      id: ours.id,
      publicKey: ours.publicKey,
      counter: ours.counter,
      transports: ours.transports,
    }).toEqual({
      id: theirs.registrationInfo?.credential.id,
      publicKey: Buffer.from(theirs.registrationInfo?.credential.publicKey ?? []).toString('base64url'),
      counter: theirs.registrationInfo?.credential.counter,
      transports: theirs.registrationInfo?.credential.transports,
    });
  });
});

const authenticationCases = ALGORITHMS.flatMap((algorithm) =>
  AUTHENTICATIONS.map((c) => ({ algorithm, ...c })),
);

describe('authentication: both verifiers agree', () => {
  test.each(authenticationCases)(
    '$algorithm, $name → accepted: $accepted',
    async ({ algorithm, overrides, accepted, wrongChallenge, storedCounter }) => {
      // Prepare: a credential registered through the other verifier, so the stored format is its.
      const authenticator = authenticatorOf(algorithm, 'none');
      const registration = challenge();
      const registered = await verifyRegistrationResponse({
        response: authenticator.register(
          { challenge: registration, rp: { id: RP_ID }, user: { id: USER_ID } },
          ORIGIN,
        ) as RegistrationResponseJSON,
        expectedChallenge: registration,
        expectedOrigin: ORIGINS,
        expectedRPID: RP_ID,
      });
      const info = registered.registrationInfo;
      if (!info) throw new Error('registration failed');
      const stored: StoredCredential = {
        id: info.credential.id,
        publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: storedCounter ?? authenticator.counter,
      };
      const issued = challenge();

      // Act
      const response = authenticator.authenticate({ challenge: issued, rpId: RP_ID }, ORIGIN, overrides);
      const verdicts = await verdictsOnAuthentication(
        response,
        wrongChallenge ? challenge() : issued,
        stored,
      );

      // Assess
      expect(verdicts).toEqual({ ours: accepted, theirs: accepted });
    },
  );
});

describe('where the light verifier is stricter (documented in docs/decisions.md)', () => {
  test('a ceremony run inside another site’s frame (crossOrigin: true) is refused', () => {
    const authenticator = authenticatorOf('ES256', 'none');
    const issued = challenge();
    const response = authenticator.register(
      { challenge: issued, rp: { id: RP_ID }, user: { id: USER_ID } },
      ORIGIN,
      {
        crossOrigin: true,
      },
    );
    expect(() => verifyRegistration(response, { challenge: issued, origins: ORIGINS, rpId: RP_ID })).toThrow(
      expect.objectContaining({ reason: 'cross_origin' }),
    );
  });

  test('an assertion naming another credential than the stored one is refused', () => {
    const authenticator = authenticatorOf('EdDSA', 'none');
    const issued = challenge();
    const registered = verifyRegistration(
      authenticator.register({ challenge: issued, rp: { id: RP_ID }, user: { id: USER_ID } }, ORIGIN),
      { challenge: issued, origins: ORIGINS, rpId: RP_ID },
    );
    const login = challenge();
    const response = authenticator.authenticate({ challenge: login, rpId: RP_ID }, ORIGIN);
    expect(() =>
      verifyAuthentication(
        { ...response, id: 'AAAA', rawId: 'AAAA' },
        { challenge: login, origins: ORIGINS, rpId: RP_ID },
        registered,
      ),
    ).toThrow(expect.objectContaining({ reason: 'credential_id' }));
  });

  test.each([
    ['not an object', 'text'],
    ['no response', { id: 'AAAA', rawId: 'AAAA', type: 'public-key' }],
    [
      'client data not base64url',
      { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: '%%%' } },
    ],
    [
      'client data not JSON',
      { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'AAAA' } },
    ],
  ])('malformed input (%s) is a refusal, never another error', (_, response) => {
    expect(() =>
      verifyRegistration(response, { challenge: challenge(), origins: ORIGINS, rpId: RP_ID }),
    ).toThrow(CeremonyRefusedError);
    expect(() =>
      verifyAuthentication(
        response,
        { challenge: challenge(), origins: ORIGINS, rpId: RP_ID },
        { id: 'AAAA', publicKey: 'AAAA', counter: 0 },
      ),
    ).toThrow(CeremonyRefusedError);
  });
});
