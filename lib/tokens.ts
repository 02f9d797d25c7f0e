import { createHash, randomBytes } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
  SignJWT,
} from 'jose';
import type { Config, Ed25519Jwk } from './config';

/** The claims this service puts in (and requires of) an access token. */
export interface AccessClaims {
  userId: string;
  sessionId: string;
}

/** The API.md `Session` resource: the token pair of one session. */
export interface SessionTokens {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresIn: number;
  sessionId: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
}

/** Issues and verifies EdDSA access tokens and publishes the public keys. */
export interface TokenService {
  issueAccessToken(claims: AccessClaims): Promise<IssuedAccessToken>;
  /** The `Session` resource for a session: a new access token next to the given refresh token. */
  issueSession(userId: string, sessionId: string, refreshToken: string): Promise<SessionTokens>;
  /** Returns the claims of a valid token, or null for anything else (malformed, expired, wrong key, alg, typ…). */
  verifyAccessToken(token: string): Promise<AccessClaims | null>;
  /** The JWKS document: current and previous public keys, never a private member. */
  jwks(): Promise<{ keys: JWK[] }>;
}

const ALGORITHM = 'EdDSA';
const TOKEN_TYPE = 'at+jwt';

/** A new opaque id with a readable prefix and 128 random bits, e.g. `usr_3q2…`; never numeric-looking. */
export const newId = (prefix: 'usr' | 'ses'): string => `${prefix}_${randomBytes(16).toString('base64url')}`;

/** A new opaque refresh token: 256 random bits, base64url. */
export const newRefreshToken = (): string => randomBytes(32).toString('base64url');

/**
 * The stored form of a refresh token. SHA-256 is enough (no salt, no stretching) because the
 * token has 256 bits of entropy: a stolen database cannot be turned back into tokens.
 */
export const hashRefreshToken = (token: string): string =>
  createHash('sha256').update(token).digest('base64url');

const publicPart = ({ kty, crv, x }: Ed25519Jwk): JWK => ({ kty, crv, x });

interface KeyRing {
  signingKey: CryptoKey;
  signingKid: string;
  verifyKeys: Map<string, CryptoKey>;
  published: JWK[];
}

async function loadKeyRing(jwt: Config['jwt']): Promise<KeyRing> {
  const kidOf = async (jwk: Ed25519Jwk) => jwk.kid ?? (await calculateJwkThumbprint(publicPart(jwk)));
  const signingKid = await kidOf(jwt.privateKey);
  const signingKey = (await importJWK({ ...jwt.privateKey, alg: ALGORITHM }, ALGORITHM)) as CryptoKey;
  const verifyKeys = new Map<string, CryptoKey>();
  const published: JWK[] = [];
  for (const jwk of [jwt.privateKey, ...jwt.previousPublicKeys]) {
    const kid = await kidOf(jwk);
    if (verifyKeys.has(kid)) continue;
    verifyKeys.set(kid, (await importJWK({ ...publicPart(jwk), alg: ALGORITHM }, ALGORITHM)) as CryptoKey);
    published.push({ ...publicPart(jwk), kid, alg: ALGORITHM, use: 'sig' });
  }
  return { signingKey, signingKid, verifyKeys, published };
}

/** Builds the token service; keys are imported once, on first use. `now` is injectable for tests (ms). */
export function createTokenService(
  jwt: Config['jwt'],
  lifetimes: { accessTokenTtlSeconds: number; refreshTokenTtlSeconds: number },
  now: () => number = Date.now,
): TokenService {
  const { accessTokenTtlSeconds, refreshTokenTtlSeconds } = lifetimes;
  let ring: Promise<KeyRing> | undefined;
  const keys = () => {
    ring ??= loadKeyRing(jwt);
    return ring;
  };
  const resolveKey: JWTVerifyGetKey = async (header) => {
    const key = header.kid === undefined ? undefined : (await keys()).verifyKeys.get(header.kid);
    if (!key) throw new joseErrors.JWKSNoMatchingKey();
    return key;
  };
  const service: TokenService = {
    async issueAccessToken({ userId, sessionId }) {
      const { signingKey, signingKid } = await keys();
      const issuedAt = Math.floor(now() / 1000);
      const accessToken = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: ALGORITHM, typ: TOKEN_TYPE, kid: signingKid })
        .setIssuer(jwt.issuer)
        .setAudience(jwt.audience)
        .setSubject(userId)
        .setJti(randomBytes(12).toString('base64url'))
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + accessTokenTtlSeconds)
        .sign(signingKey);
      return { accessToken, expiresIn: accessTokenTtlSeconds };
    },
    async issueSession(userId, sessionId, refreshToken) {
      const { accessToken, expiresIn } = await service.issueAccessToken({ userId, sessionId });
      return {
        accessToken,
        tokenType: 'Bearer',
        expiresIn,
        refreshToken,
        refreshExpiresIn: refreshTokenTtlSeconds,
        sessionId,
      };
    },
    async verifyAccessToken(token) {
      try {
        // Every check is pinned explicitly: algorithm, type, issuer, audience, required claims.
        const { payload } = await jwtVerify(token, resolveKey, {
          algorithms: [ALGORITHM],
          typ: TOKEN_TYPE,
          issuer: jwt.issuer,
          audience: jwt.audience,
          requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') return null;
        return { userId: payload.sub, sessionId: payload.sid };
      } catch {
        return null;
      }
    },
    async jwks() {
      return { keys: (await keys()).published };
    },
  };
  return service;
}
