import type * as z from 'zod/mini';
import { algorithmOfJwk, type Config, type SigningAlgorithm } from '../config';
import type * as resources from '../resources';

/** The OpenID Connect discovery document of this issuer (README "Protect your own API"; its schema in lib/resources.ts). */
export type OpenIdConfiguration = z.infer<typeof resources.OpenIdConfiguration>;

/**
 * The discovery document, from the configuration alone (no datastore). `issuer` is exactly
 * JWT_ISSUER: API Gateway's JWT authorizer and oauth4webapi both compare it, character for
 * character, with the `issuerUrl` they were given and with the `iss` of every token. The
 * algorithms are those of the published keys, the signing one first. This service issues access
 * tokens only, at its own endpoints (no authorization endpoint): like Firebase's token issuer, it
 * lists `id_token` as its response type, the member OpenID Discovery requires.
 */
export function openIdConfiguration(config: Pick<Config, 'apiUrl' | 'jwt'>): OpenIdConfiguration {
  const { jwt } = config;
  const algorithms = [jwt.privateKey, ...jwt.previousPublicKeys].map(
    (jwk) => algorithmOfJwk(jwk) as SigningAlgorithm,
  );
  return {
    issuer: jwt.issuer,
    jwks_uri: `${config.apiUrl}/.well-known/jwks.json`,
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...new Set([jwt.algorithm, ...algorithms])],
  };
}
