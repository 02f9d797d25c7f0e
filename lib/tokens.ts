import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign as signBytes,
} from 'node:crypto';
import { type JWK, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify } from 'jose';
import type * as z from 'zod/mini';
import { algorithmOfJwk, type Config, type SigningAlgorithm, type SigningJwk } from './config';
import { wired } from './errors';
import type { HttpDeps } from './http';
import type { User } from './records';
import type * as resources from './resources';

/** The claims this service puts in (and requires of) an access token. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
}

/**
 * The `Session` resource (README "API"; its schema in lib/resources.ts): the token pair of one
 * session. As issued it always holds the refresh token; the cookie transport moves it into a cookie.
 */
export type SessionTokens = z.infer<typeof resources.Session> & { refreshToken: string };

/** The JWKS document (README "API"; its schema in lib/resources.ts). */
export type Jwks = z.infer<typeof resources.Jwks>;
type PublicJwk = Jwks['keys'][number];

/** How the session whose token is issued was opened (or that it is a refresh): told to the claims hook. */
export type IssueMethod =
  | 'register'
  | 'password'
  | 'mfa'
  | 'passkey'
  | 'password_reset'
  | 'refresh'
  | 'oauth'
  | 'email';

/** What the caller of `issueSession` knows: the method, and the user when it has it at hand. */
export interface IssueContext {
  method: IssueMethod;
  /** The public user; absent (a refresh), the claims source looks it up when it needs it. */
  user?: User;
}

/** Extra claims for a token about to be issued (the custom claims hook); never throws. */
export type CustomClaimsSource = (
  request: { userId: string; sessionId: string } & IssueContext,
) => Promise<Record<string, unknown>>;

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
}

/** Issues and verifies access tokens (JWT_ALGORITHM) and publishes the public keys. */
export interface TokenService {
  /** Signs an access token; `extraClaims` (custom claims, reserved ones taken out) never replace a claim it sets. */
  issueAccessToken(claims: AccessClaims, extraClaims?: Record<string, unknown>): Promise<IssuedAccessToken>;
  /**
   * The `Session` resource for a session: a new access token next to the given refresh token,
   * with the custom claims hook's claims when one is configured.
   */
  issueSession(
    userId: string,
    sessionId: string,
    refreshToken: string,
    context: IssueContext,
  ): Promise<SessionTokens>;
  /**
   * Returns the claims of a valid token, or null for anything else (malformed, expired, wrong key,
   * alg, typ…). `verify` is jose's check, handed in by the functions whose route takes a bearer
   * token (`withBearerAuth`); without it, and without one given at build, it throws a `WiringError`.
   */
  verifyAccessToken(token: string, verify?: JwsVerifier): Promise<AccessClaims | null>;
  /** The JWKS document: current and previous public keys, never a private member. */
  jwks(): Promise<Jwks>;
}

const TOKEN_TYPE = 'at+jwt';

/** A new opaque id with a readable prefix and 128 random bits, e.g. `usr_3q2…`; never numeric-looking. */
export const newId = (prefix: 'usr' | 'ses' | 'mfa' | 'idn'): string =>
  `${prefix}_${randomBytes(16).toString('base64url')}`;

/**
 * A new refresh token: a selector naming the session it belongs to (`<userId>.<sessionId>`, so
 * the rotation script knows the keys it touches before it runs) and a verifier of 256 random
 * bits, base64url. Only its hash is stored. Opaque to clients all the same.
 */
export const newRefreshToken = (userId: string, sessionId: string): string =>
  `${userId}.${sessionId}.${randomBytes(32).toString('base64url')}`;

const REFRESH_TOKEN = /^(usr_[A-Za-z0-9_-]{22})\.(ses_[A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

/** The session a refresh token names, or null when it is not one of ours. */
export function refreshTokenSession(token: string): { userId: string; sessionId: string } | null {
  const match = REFRESH_TOKEN.exec(token);
  return match ? { userId: match[1] as string, sessionId: match[2] as string } : null;
}

/**
 * A mailed link's token (verification, reset): a selector naming the user it is for, so the
 * script that consumes it knows its keys, and a verifier of 256 random bits. Stored only as a hash.
 */
export const newLinkToken = (userId: string): string => `${userId}.${randomBytes(32).toString('base64url')}`;

const LINK_TOKEN = /^(usr_[A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

/** The user a link token names, or null when it is not one of ours. */
export const linkTokenUser = (token: string): string | null => LINK_TOKEN.exec(token)?.[1] ?? null;

/**
 * A log-in's mfaToken (docs/security.md, second factors): the user and the log-in it belongs to (so the
 * scripts know their keys) and 256 random bits. Only its hash is stored, on the log-in.
 */
export function newMfaToken(userId: string): { token: string; loginId: string } {
  const loginId = newId('mfa');
  return { token: `${userId}.${loginId}.${randomBytes(32).toString('base64url')}`, loginId };
}

const MFA_TOKEN = /^(usr_[A-Za-z0-9_-]{22})\.(mfa_[A-Za-z0-9_-]{22})\.[A-Za-z0-9_-]{43}$/;

/** The user and log-in an mfaToken names, or null when it is not one of ours. */
export function mfaTokenLogin(token: string): { userId: string; loginId: string } | null {
  const match = MFA_TOKEN.exec(token);
  return match ? { userId: match[1] as string, loginId: match[2] as string } : null;
}

/**
 * The stored form of a refresh or link token. SHA-256 is enough (no salt, no stretching) because the
 * token has 256 bits of entropy: a stolen database cannot be turned back into tokens.
 */
export const hashRefreshToken = (token: string): string =>
  createHash('sha256').update(token).digest('base64url');

/** A key as the JWKS publishes it: its public members, `kid`, and the one algorithm of its key type. */
const publishedJwk = (jwk: SigningJwk, kid: string): PublicJwk => {
  if (jwk.kty === 'RSA') return { e: jwk.e, kty: 'RSA', n: jwk.n, kid, alg: 'RS256', use: 'sig' };
  if (jwk.kty === 'EC') return { crv: 'P-256', kty: 'EC', x: jwk.x, y: jwk.y, kid, alg: 'ES256', use: 'sig' };
  return { crv: 'Ed25519', kty: 'OKP', x: jwk.x, kid, alg: 'EdDSA', use: 'sig' };
};

/** The public members of a key (RFC 7518 §6), in RFC 7638's lexicographic order: never `d` or the CRT members. */
const publicPart = (jwk: SigningJwk): JWK => {
  const { kid: _kid, alg: _alg, use: _use, ...members } = publishedJwk(jwk, '');
  return members;
};

/** RFC 7638 thumbprint: SHA-256 of the key's required public members in lexicographic order. */
export const jwkThumbprint = (jwk: SigningJwk): string =>
  createHash('sha256')
    .update(JSON.stringify(publicPart(jwk)))
    .digest('base64url');

interface VerifyKey {
  key: KeyObject;
  /** The one algorithm this key verifies (its key type's): a token must name exactly it. */
  algorithm: SigningAlgorithm;
}

interface KeyRing {
  signingKey: KeyObject;
  signingKid: string;
  verifyKeys: Map<string, VerifyKey>;
  published: PublicJwk[];
}

// Keys are imported with node:crypto (jose accepts KeyObjects on Node): jose's importJWK and
// thumbprint helpers would add ~6 KiB to every bundle for the same work.
function loadKeyRing(jwt: Config['jwt']): KeyRing {
  const kidOf = (jwk: SigningJwk) => jwk.kid ?? jwkThumbprint(jwk);
  const verifyKeys = new Map<string, VerifyKey>();
  const published: PublicJwk[] = [];
  for (const jwk of [jwt.privateKey, ...jwt.previousPublicKeys]) {
    const kid = kidOf(jwk);
    // The configuration admitted only keys whose algorithm is known (lib/config.ts).
    const algorithm = algorithmOfJwk(jwk) as SigningAlgorithm;
    if (verifyKeys.has(kid)) continue;
    verifyKeys.set(kid, { key: createPublicKey({ key: publicPart(jwk), format: 'jwk' }), algorithm });
    published.push(publishedJwk(jwk, kid));
  }
  return {
    signingKey: createPrivateKey({ key: { ...jwt.privateKey }, format: 'jwk' }),
    signingKid: kidOf(jwt.privateKey),
    verifyKeys,
    published,
  };
}

/** What an access token holds besides its custom claims, as `issueAccessToken` signs it. */
export interface AccessTokenContents {
  algorithm: SigningAlgorithm;
  kid: string;
  issuer: string;
  audience: string;
  subject: string;
  sessionId: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

/**
 * Signs an access token: a compact JWS over the JSON header and claims, custom claims first so that
 * every claim set here wins. It is what jose's `SignJWT` makes, byte for byte where the algorithm
 * is deterministic (EdDSA, RS256), in ≈0.2 KiB of node:crypto instead of jose's signing half (≈12 KiB
 * where nothing else of jose is carried): tests/unit/jwt-signer.test.ts holds it to `SignJWT` for each algorithm, and every token it
 * signs is verified by jose (`jwtVerify`). Handed in (`sessionIssuing`, lib/tiers.ts) by the
 * functions that issue sessions only.
 */
export async function signAccessToken(
  contents: AccessTokenContents,
  extraClaims: Record<string, unknown>,
  key: KeyObject,
): Promise<string> {
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${segment({ alg: contents.algorithm, typ: TOKEN_TYPE, kid: contents.kid })}.${segment({
    ...extraClaims,
    sid: contents.sessionId,
    iss: contents.issuer,
    aud: contents.audience,
    sub: contents.subject,
    jti: randomBytes(12).toString('base64url'),
    iat: contents.issuedAt,
    exp: contents.expiresAt,
  })}`;
  // EdDSA hashes inside the algorithm; ES256's signature is r‖s (JWS), not DER.
  const signature = signBytes(contents.algorithm === 'EdDSA' ? null : 'sha256', Buffer.from(input), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${signature.toString('base64url')}`;
}

/** The signer `issueAccessToken` uses: `signAccessToken`, or a stand-in in tests. */
export type AccessTokenSigner = typeof signAccessToken;

/** jose's `jwtVerify` as `verifyAccessToken` calls it: a signature and the claims checked. */
export type JwsVerifier = (
  token: string,
  key: JWTVerifyGetKey,
  options: JWTVerifyOptions,
) => Promise<{ payload: JWTPayload }>;

/**
 * `http` with the access token check (jose's `jwtVerify`), handed in by the functions whose route
 * takes a bearer token (`auth` or `optionalAuth`): lib/http.ts `endpoint` refuses to build such a
 * route's handler without it (a `WiringError` at the cold start), and the other functions never
 * bundle jose's verifier.
 */
export const withBearerAuth = (http: HttpDeps): HttpDeps => ({ ...http, verifyJws });

/** jose's `jwtVerify`, as the functions that take a bearer token hand it in. */
export const verifyJws: JwsVerifier = jwtVerify;

/**
 * The whole token service, signer and verifier included (tests, the bench, tools); the functions
 * build theirs with `buildTokenService`, with a signer only where they issue sessions, and hand in
 * the verifier only where they take a bearer token (`withBearerAuth`).
 */
export function createTokenService(
  jwt: Config['jwt'],
  lifetimes: { accessTokenTtlSeconds: number; refreshTokenTtlSeconds: number },
  now: () => number = Date.now,
  customClaims?: CustomClaimsSource,
): TokenService {
  return buildTokenService(jwt, lifetimes, now, customClaims, signAccessToken, verifyJws);
}

/**
 * Builds the token service; keys are imported once, on first use. `now` is injectable for tests
 * (ms). `customClaims`, when given, is asked for extra claims at every session issue (the custom
 * claims hook, lib/hooks/): it never throws, and whatever it answers cannot replace a claim the
 * service sets (those are set after it). Without `sign`, issuing throws a `WiringError`; without
 * `verify`, so does checking a token that was not handed its verifier.
 */
export function buildTokenService(
  jwt: Config['jwt'],
  lifetimes: { accessTokenTtlSeconds: number; refreshTokenTtlSeconds: number },
  now: () => number,
  customClaims: CustomClaimsSource | undefined,
  sign: AccessTokenSigner | undefined,
  verify?: JwsVerifier,
): TokenService {
  const { accessTokenTtlSeconds, refreshTokenTtlSeconds } = lifetimes;
  let ring: KeyRing | undefined;
  const keys = () => {
    ring ??= loadKeyRing(jwt);
    return ring;
  };
  // Every algorithm a configured key verifies; the key a token's kid names must be of the one it claims.
  const algorithms = [
    ...new Set([jwt.privateKey, ...jwt.previousPublicKeys].map((jwk) => algorithmOfJwk(jwk) as string)),
  ];
  const resolveKey: JWTVerifyGetKey = (header) => {
    const entry = header.kid === undefined ? undefined : keys().verifyKeys.get(header.kid);
    if (!entry || entry.algorithm !== header.alg) throw new Error('no key with this kid and alg');
    return entry.key;
  };
  const service: TokenService = {
    async issueAccessToken({ userId, sessionId }, extraClaims = {}) {
      const signer = wired(sign, 'the token signer');
      const { signingKey, signingKid } = keys();
      const issuedAt = Math.floor(now() / 1000);
      // Custom claims first (the hook has taken the reserved ones out): every claim set here wins.
      const accessToken = await signer(
        {
          algorithm: jwt.algorithm,
          kid: signingKid,
          issuer: jwt.issuer,
          audience: jwt.audience,
          subject: userId,
          sessionId,
          issuedAt,
          expiresAt: issuedAt + accessTokenTtlSeconds,
        },
        extraClaims,
        signingKey,
      );
      return { accessToken, expiresIn: accessTokenTtlSeconds };
    },
    async issueSession(userId, sessionId, refreshToken, context) {
      const extra = customClaims ? await customClaims({ userId, sessionId, ...context }) : {};
      const { accessToken, expiresIn } = await service.issueAccessToken({ userId, sessionId }, extra);
      return {
        accessToken,
        tokenType: 'Bearer',
        expiresIn,
        refreshToken,
        refreshExpiresIn: refreshTokenTtlSeconds,
        sessionId,
      };
    },
    async verifyAccessToken(token, verifyWith = verify) {
      const check = wired(verifyWith, 'the token verifier');
      try {
        // Every check is pinned explicitly: algorithm (per key), type, issuer, audience, required claims.
        const { payload } = await check(token, resolveKey, {
          algorithms,
          typ: TOKEN_TYPE,
          issuer: jwt.issuer,
          audience: jwt.audience,
          requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null;
        // A token claiming a longer life than this service gives is not one it issued as configured.
        if ((payload.exp as number) - (payload.iat as number) > accessTokenTtlSeconds) return null;
        return { userId: payload.sub, sessionId: payload.sid };
      } catch {
        return null;
      }
    },
    async jwks() {
      return { keys: keys().published };
    },
  };
  return service;
}
