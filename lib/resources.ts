import * as z from 'zod/mini';
import { SESSION_ID_PATTERN } from './sessions/store';

// The shapes the API sends back (README "API"), declared once as zod schemas so the
// OpenAPI document (build/openapi.ts) is generated from them and the end-to-end suite can check
// real responses against it. Every object is strict: a response with an extra member (a
// password hash, a private key part) fails the documented schema.
//
// Build-time and test-time only: no function bundle imports this file.

const timestamp = () => z.iso.datetime({ error: 'must be an ISO 8601 UTC time' });

/** `User` (README "API"): never anything else. */
export const User = z.strictObject({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  /** A changed address until its owner proves it; the old one stays the credential meanwhile. */
  pendingEmail: z.nullable(z.string()),
  createdAt: timestamp(),
  updatedAt: timestamp(),
});

/** `Session` (README "API"): one session's token pair; lifetimes in seconds. */
export const Session = z.strictObject({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.int().check(z.positive()),
  // Absent when the request asked for `Session-Transport: cookie`: the token is the cookie then.
  refreshToken: z.optional(z.string()),
  refreshExpiresIn: z.int().check(z.positive()),
  sessionId: z.string().check(z.regex(SESSION_ID_PATTERN)),
});

/** One entry of `GET /sessions`: never a token or a hash. */
export const SessionSummary = z.strictObject({
  id: z.string().check(z.regex(SESSION_ID_PATTERN)),
  createdAt: timestamp(),
  lastUsedAt: timestamp(),
  expiresAt: timestamp(),
  userAgent: z.nullable(z.string()),
  current: z.boolean(),
});

/** `POST /users` and `POST /sessions`: the user and the new session. */
export const UserAndSession = z.strictObject({ user: User, session: Session });
/**
 * `POST /sessions` and `POST /sessions/mfa`: the user, the new session, and a known-device token
 * for this device to send with its next log-ins (exempt from the account-wide failure ceiling).
 */
export const LogIn = z.strictObject({ user: User, session: Session, deviceToken: z.string() });
/** `POST /sessions/email/confirm`: the user, the new session, and whether this sign-in made the account. */
export const SignedIn = z.strictObject({ user: User, session: Session, created: z.boolean() });
/** `POST /sessions/refresh`: the new token pair. */
export const SessionEnvelope = z.strictObject({ session: Session });
/** `POST /password-resets/confirm`: the session only when the account has no second factor. */
export const UserAndOptionalSession = z.strictObject({ user: User, session: z.optional(Session) });
/** `GET /users/me` and `PATCH /users/me`. */
export const UserEnvelope = z.strictObject({ user: User });
/** `GET /sessions`. */
export const SessionList = z.strictObject({ sessions: z.array(SessionSummary) });

/** `POST /users/me/totp`: the new secret (base32) and its URI, shown once. */
export const TotpEnrollment = z.strictObject({ secret: z.string(), otpauthUri: z.string() });
/** `POST /users/me/totp/confirm` and `POST /users/me/recovery-codes`: 10 codes, shown once. */
export const RecoveryCodes = z.strictObject({ recoveryCodes: z.array(z.string()) });
/** `GET /users/me/security`: which factors are on. */
export const Security = z.strictObject({
  totp: z.strictObject({ enabled: z.boolean(), enabledAt: z.nullable(timestamp()) }),
  recoveryCodesLeft: z.int().check(z.nonnegative()),
  passkeys: z.int().check(z.nonnegative()),
});

/** A passkey as listed: never its public key or counter. */
export const Passkey = z.strictObject({
  id: z.string(),
  name: z.string(),
  createdAt: timestamp(),
  lastUsedAt: z.nullable(timestamp()),
});
/** `POST /users/me/passkeys`. */
export const PasskeyEnvelope = z.strictObject({ passkey: Passkey });
/** `GET /users/me/passkeys`. */
export const PasskeyList = z.strictObject({ passkeys: z.array(Passkey) });
/** `GET /users/me/export`: everything kept about the caller; never a hash, secret or token. */
export const AccountExport = z.strictObject({
  user: User,
  sessions: z.array(SessionSummary),
  /** Social identities linked to the account (README "API", `GET /users/me/identities`). */
  identities: z.array(
    z.strictObject({
      id: z.string(),
      provider: z.string(),
      email: z.nullable(z.string()),
      createdAt: timestamp(),
      lastUsedAt: z.nullable(timestamp()),
    }),
  ),
  passkeys: z.array(Passkey),
  security: Security,
  /** The account's audit events of the last AUDIT_RETENTION_DAYS, newest first. */
  events: z.array(z.looseObject({ event: z.string(), at: timestamp() })),
});

// The passkey ceremonies' options in WebAuthn Level 3's JSON forms, exactly as lib/passkeys/service.ts
// builds them: @simplewebauthn/browser's startRegistration/startAuthentication (or the browser's
// own PublicKeyCredential.parse…OptionsFromJSON) take them as they come, with no cast.

const base64url = () => z.string().check(z.regex(/^[A-Za-z0-9_-]+$/));
const Challenge = () =>
  z
    .string()
    .check(
      z.regex(/^[A-Za-z0-9_-]{43}$/),
      z.describe('32 random bytes, base64url: live 300 s, spent by the ceremony’s answer.'),
    );
const CeremonyTimeout = () => z.int().check(z.positive(), z.describe('Milliseconds: the challenge’s 300 s.'));
/** `PublicKeyCredentialDescriptorJSON`: a passkey by its credential id. */
const CredentialDescriptor = () =>
  z.strictObject({
    id: base64url(),
    type: z.literal('public-key'),
    transports: z.optional(z.array(z.string())),
  });

/** `POST /users/me/passkeys/options`: for `navigator.credentials.create()`. */
export const PublicKeyCredentialCreationOptionsJSON = z.strictObject({
  rp: z.strictObject({ name: z.string(), id: z.string() }),
  user: z.strictObject({
    id: base64url().check(
      z.describe('The user’s id (UTF-8), base64url: the `userHandle` a log-in with this passkey answers.'),
    ),
    name: z.string().check(z.describe('The account’s email address.')),
    displayName: z.string(),
  }),
  challenge: Challenge(),
  /** EdDSA, ES256, RS256 (COSE algorithm ids), strongest first. */
  pubKeyCredParams: z.array(
    z.strictObject({ alg: z.literal([-8, -7, -257]), type: z.literal('public-key') }),
  ),
  timeout: CeremonyTimeout(),
  attestation: z.literal('none'),
  excludeCredentials: z
    .array(CredentialDescriptor())
    .check(z.describe('The caller’s passkeys: an authenticator that holds one makes no second.')),
  authenticatorSelection: z.strictObject({
    residentKey: z.literal('required'),
    requireResidentKey: z.literal(true),
    userVerification: z.literal('required'),
  }),
  extensions: z.strictObject({ credProps: z.literal(true) }),
});
/** `POST /sessions/passkey/options`: for `navigator.credentials.get()`. */
export const PublicKeyCredentialRequestOptionsJSON = z.strictObject({
  challenge: Challenge(),
  timeout: CeremonyTimeout(),
  rpId: z.string(),
  allowCredentials: z
    .array(CredentialDescriptor())
    .check(z.describe('Always empty: passkeys are discoverable, the authenticator offers the user’s own.')),
  userVerification: z.literal('required'),
});
/** `POST /users/me/passkeys/options`. */
export const PasskeyRegistrationOptions = z.strictObject({ options: PublicKeyCredentialCreationOptionsJSON });
/** `POST /sessions/passkey/options`. */
export const PasskeyLoginOptions = z.strictObject({ options: PublicKeyCredentialRequestOptionsJSON });

/** `GET /oauth/providers`: the providers that are on. */
export const OAuthProviderList = z.strictObject({
  providers: z.array(z.strictObject({ id: z.enum(['google', 'github', 'apple', 'oidc']), name: z.string() })),
});
/** `POST /oauth/{provider}/start`: where to send the browser. */
export const AuthorizationUrl = z.strictObject({ authorizationUrl: z.string() });
/** `POST /sessions/oauth`: the user, the session, and whether this sign-in made the account. */
export const UserSessionCreated = z.strictObject({ user: User, session: Session, created: z.boolean() });
/** A linked sign-in identity: never its subject at the provider. */
export const Identity = z.strictObject({
  id: z.string(),
  provider: z.enum(['google', 'github', 'apple', 'oidc']),
  email: z.nullable(z.string()),
  createdAt: timestamp(),
  lastUsedAt: z.nullable(timestamp()),
});
/** `GET /users/me/identities`. */
export const IdentityList = z.strictObject({ identities: z.array(Identity), hasPassword: z.boolean() });

/**
 * A public key as published, with the one algorithm it verifies: Ed25519 (EdDSA), RSA (RS256) or
 * EC P-256 (ES256). Never a private member (`d`, RSA's CRT members).
 */
export const PublicJwk = z.union([
  z.strictObject({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string(),
    kid: z.string(),
    alg: z.literal('EdDSA'),
    use: z.literal('sig'),
  }),
  z.strictObject({
    kty: z.literal('RSA'),
    n: z.string(),
    e: z.string(),
    kid: z.string(),
    alg: z.literal('RS256'),
    use: z.literal('sig'),
  }),
  z.strictObject({
    kty: z.literal('EC'),
    crv: z.literal('P-256'),
    x: z.string(),
    y: z.string(),
    kid: z.string(),
    alg: z.literal('ES256'),
    use: z.literal('sig'),
  }),
]);
/** `GET /.well-known/jwks.json`. */
export const Jwks = z.strictObject({ keys: z.array(PublicJwk) });

/**
 * `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0): what an API Gateway JWT
 * authorizer or any OIDC library reads to find the keys of this issuer.
 */
export const OpenIdConfiguration = z.strictObject({
  issuer: z.string(),
  jwks_uri: z.url(),
  response_types_supported: z.array(z.string()),
  subject_types_supported: z.array(z.literal('public')),
  id_token_signing_alg_values_supported: z.array(z.enum(['EdDSA', 'RS256', 'ES256'])),
});

/**
 * `GET /openapi.json`: an OpenAPI 3.1 document (build/openapi.ts). What a client reads is named;
 * every other member of the specification may be there too.
 */
export const OpenApiDocument = z.looseObject({
  openapi: z.string().check(z.regex(/^3\.1\.\d+$/)),
  info: z.looseObject({ title: z.string(), version: z.string(), description: z.optional(z.string()) }),
  servers: z.optional(z.array(z.looseObject({ url: z.string() }))),
  paths: z.record(z.string(), z.looseObject({})),
  components: z.optional(z.looseObject({})),
  security: z.optional(z.array(z.record(z.string(), z.array(z.string())))),
  tags: z.optional(z.array(z.looseObject({ name: z.string() }))),
});

/** One field-level problem of a `validation_failed` response. */
export const FieldError = z.strictObject({ field: z.string(), message: z.string() });

const problemMembers = {
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  requestId: z.string(),
};

/**
 * RFC 9457 problem details for every code but `validation_failed`. `codes` is the registry of
 * codes (lib/errors.ts); build/openapi.ts narrows `status` and `code` per response.
 */
export const problem = (code: z.ZodMiniType) => z.strictObject({ ...problemMembers, code });

/** `mfa_required`: the password was right; the problem carries the log-in's token and its factors. */
export const MfaRequiredProblem = z.strictObject({
  ...problemMembers,
  code: z.literal('mfa_required'),
  mfaToken: z.string(),
  methods: z.array(z.enum(['totp', 'recovery_code', 'passkey'])),
});

/** `validation_failed`: a problem that also names each offending field. */
export const ValidationProblem = z.strictObject({
  ...problemMembers,
  code: z.literal('validation_failed'),
  errors: z.array(FieldError),
});
