// An emulator of API Gateway's built-in JWT authorizer, written from AWS's documentation ("Controlling
// access to HTTP APIs with JWT authorizers": how API Gateway validates a token) and independent of
// the service's own verification code:
//   1. the token comes from the identity source, `Authorization`, a `Bearer ` prefix removed;
//   2. the keys: `${issuerUrl}/.well-known/openid-configuration` → its `jwks_uri` → the JWKS;
//   3. `kid`: the header names a key of that JWKS, which must verify the signature; `alg` is one
//      the profile accepts: RS256 only for HTTP APIs ("API Gateway supports only RSA-based
//      algorithms"), RSA or EC for the REST profile;
//   4. `iss` equals the configured issuer exactly; `aud` (or `client_id`) one of the audiences;
//      `exp` after now; `nbf`, when present, and `iat` before now.
// Each refusal says which step refused it, so a test can tell which rule did the work.
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';

export type AuthorizerProfile = 'http' | 'rest';

const PROFILE_ALGORITHMS: Record<AuthorizerProfile, string[]> = {
  http: ['RS256', 'RS384', 'RS512'],
  rest: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'ES512'],
};

export type AuthorizerVerdict =
  | { allowed: true; claims: Record<string, unknown> }
  | {
      allowed: false;
      step:
        | 'identity_source'
        | 'discovery'
        | 'kid'
        | 'alg'
        | 'signature'
        | 'iss'
        | 'aud'
        | 'exp'
        | 'nbf'
        | 'iat';
    };

export interface JwtAuthorizer {
  authorize(authorization: string | undefined): Promise<AuthorizerVerdict>;
  /** The URLs it fetched (discovery, then the JWKS). */
  fetched: string[];
}

/** A JWT authorizer as configured in serverless.yml: `issuerUrl`, `audience`, and the API type. */
export function jwtAuthorizer(settings: {
  issuerUrl: string;
  audience: string[];
  profile: AuthorizerProfile;
  now?: () => number;
}): JwtAuthorizer {
  const fetched: string[] = [];
  const now = () => Math.floor((settings.now ?? Date.now)() / 1000);
  const getJson = async (url: string) => {
    fetched.push(url);
    const response = await fetch(url);
    if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  };
  const keys = async (): Promise<JWK[] | null> => {
    try {
      const discovery = await getJson(
        `${settings.issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`,
      );
      const jwks = await getJson(String(discovery.jwks_uri));
      return Array.isArray(jwks.keys) ? (jwks.keys as JWK[]) : null;
    } catch {
      return null;
    }
  };
  return {
    fetched,
    async authorize(authorization) {
      const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      if (!token) return { allowed: false, step: 'identity_source' };
      const published = await keys();
      if (!published) return { allowed: false, step: 'discovery' };
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        return { allowed: false, step: 'identity_source' };
      }
      const jwk = published.find((key) => key.kid !== undefined && key.kid === header.kid);
      if (!jwk) return { allowed: false, step: 'kid' };
      const alg = String(header.alg);
      if (!PROFILE_ALGORITHMS[settings.profile].includes(alg)) return { allowed: false, step: 'alg' };
      let claims: Record<string, unknown>;
      try {
        const { payload } = await compactVerify(token, await importJWK(jwk, alg), { algorithms: [alg] });
        claims = JSON.parse(new TextDecoder().decode(payload));
      } catch {
        return { allowed: false, step: 'signature' };
      }
      if (claims.iss !== settings.issuerUrl) return { allowed: false, step: 'iss' };
      const audiences = [claims.aud, claims.client_id].flat().filter((value) => typeof value === 'string');
      if (!audiences.some((aud) => settings.audience.includes(aud as string)))
        return { allowed: false, step: 'aud' };
      if (typeof claims.exp !== 'number' || claims.exp <= now()) return { allowed: false, step: 'exp' };
      if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now()))
        return { allowed: false, step: 'nbf' };
      if (typeof claims.iat !== 'number' || claims.iat > now()) return { allowed: false, step: 'iat' };
      return { allowed: true, claims };
    },
  };
}
