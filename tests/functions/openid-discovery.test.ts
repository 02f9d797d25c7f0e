// The tokens the developer's own APIs accept (README "Protect your own API"): the discovery
// document, its issuer against the `iss` of real tokens and against
// oauth4webapi's discovery processing, the JWKS members, and an emulator of API Gateway's JWT
// authorizer (tests/support/jwt-authorizer.ts) fed over HTTP by the real handlers.
import { randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as oauth from 'oauth4webapi';
import { generateSigningKey, type SigningKey } from '../../dev/signing-key';
import * as jwks from '../../functions/jwks';
import * as openIdConfiguration from '../../functions/openid-configuration';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import type { SigningAlgorithm } from '../../lib/config';
import type { ServiceOverrides, Services } from '../../lib/services';
import { PASSWORD, uniqueEmail } from '../support/accounts';
import { invoke, testServices } from '../support/app';
import { uniquePrefix } from '../support/datastore';
import { type HandlerServer, startHandlerServer } from '../support/handler-server';
import { jwtAuthorizer } from '../support/jwt-authorizer';

const KEY_PREFIX = uniquePrefix(__filename);
const AUDIENCE = 'acme-orders-api';
let server: HandlerServer;
const keys = {} as Record<SigningAlgorithm, SigningKey>;

beforeAll(async () => {
  server = await startHandlerServer();
  const [eddsa, rs256, es256] = await Promise.all([
    generateSigningKey('EdDSA'),
    generateSigningKey('RS256'),
    generateSigningKey('ES256'),
  ]);
  Object.assign(keys, { EdDSA: eddsa, RS256: rs256, ES256: es256 });
});

afterAll(() => server.close());

/**
 * A deployment at the server's URL signing with `alg`, whose discovery document and JWKS the
 * server serves from now on.
 */
function deploy(
  alg: SigningAlgorithm,
  env: Record<string, string> = {},
  overrides: ServiceOverrides = {},
): Services {
  const services = testServices(
    {
      KEY_PREFIX,
      API_URL: server.url,
      JWT_AUDIENCE: AUDIENCE,
      JWT_ALGORITHM: alg,
      JWT_PRIVATE_KEY: JSON.stringify(keys[alg].privateJwk),
      ...env,
    },
    overrides,
  );
  server.route('GET', '/.well-known/openid-configuration', openIdConfiguration.createHandler(services));
  server.route('GET', '/.well-known/jwks.json', jwks.createHandler(services));
  return services;
}

/** Registers an account on `services`: its session (a real, freshly signed access token). */
async function signUp(services: Services) {
  const res = await invoke(register.createHandler(services), {
    method: 'POST',
    path: '/users',
    body: { name: 'Gateway User', email: uniqueEmail('gateway'), password: PASSWORD },
  });
  expect(res.status).toBe(201);
  return res.body.session as { accessToken: string; refreshToken: string; sessionId: string };
}

describe('GET /.well-known/openid-configuration', () => {
  test.each(['EdDSA', 'RS256', 'ES256'] as const)('%s: the document, cacheable', async (alg) => {
    // Prepare
    const services = deploy(alg);

    // Act
    const res = await invoke(openIdConfiguration.createHandler(services), {
      method: 'GET',
      path: '/.well-known/openid-configuration',
    });

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    expect(res.body).toEqual({
      issuer: server.url,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [alg],
    });
  });

  test('the issuer is exactly JWT_ISSUER when set, and the algorithms of previous keys are listed after the signing one', async () => {
    // Prepare
    const services = deploy('RS256', {
      JWT_ISSUER: 'https://auth.acme.example',
      JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([keys.EdDSA.publicJwk, keys.RS256.publicJwk]),
    });

    // Act
    const res = await invoke(openIdConfiguration.createHandler(services), {
      method: 'GET',
      path: '/.well-known/openid-configuration',
    });

    // Assess
    expect(res.body).toMatchObject({
      issuer: 'https://auth.acme.example',
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256', 'EdDSA'],
    });
  });

  test("passes oauth4webapi's discovery processing: fetched from the issuer, the issuer matches", async () => {
    // Prepare
    deploy('RS256');
    const issuer = new URL(server.url);

    // Act
    const response = await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true });
    const metadata = await oauth.processDiscoveryResponse(issuer, response);

    // Assess
    expect(metadata.issuer).toBe(server.url);
    expect(metadata.jwks_uri).toBe(`${server.url}/.well-known/jwks.json`);
    expect(server.requests).toContain('GET /.well-known/openid-configuration');
  });

  test('oauth4webapi refuses it for another issuer (the check is real)', async () => {
    // Prepare
    deploy('RS256', { JWT_ISSUER: 'https://auth.acme.example' });
    const issuer = new URL(server.url);

    // Act & assess
    const response = await oauth.discoveryRequest(issuer, { [oauth.allowInsecureRequests]: true });
    await expect(oauth.processDiscoveryResponse(issuer, response)).rejects.toMatchObject({
      code: oauth.JSON_ATTRIBUTE_COMPARISON,
    });
  });
});

describe('issued tokens and the published keys', () => {
  test.each(['EdDSA', 'RS256', 'ES256'] as const)(
    '%s: iss is the discovery issuer, aud JWT_AUDIENCE, and the header names a published key of its alg',
    async (alg) => {
      // Prepare
      const services = deploy(alg);
      const session = await signUp(services);

      // Act
      const discovery = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
      const published = await (await fetch(discovery.jwks_uri)).json();

      // Assess
      expect(decodeJwt(session.accessToken)).toMatchObject({ iss: discovery.issuer, aud: AUDIENCE });
      expect(decodeProtectedHeader(session.accessToken)).toEqual({ alg, typ: 'at+jwt', kid: keys[alg].kid });
      expect(published).toEqual({ keys: [keys[alg].publicJwk] });
      for (const key of published.keys) {
        expect(key).toMatchObject({ alg, kid: expect.any(String), use: 'sig' });
        expect(key.d).toBeUndefined();
      }
    },
  );

  test('the JWKS publishes the current and previous keys, each with its own alg (a migration EdDSA → RS256)', async () => {
    // Prepare
    deploy('RS256', { JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([keys.EdDSA.publicJwk]) });

    // Act
    const published = await (await fetch(`${server.url}/.well-known/jwks.json`)).json();

    // Assess
    expect(published).toEqual({ keys: [keys.RS256.publicJwk, keys.EdDSA.publicJwk] });
  });

  test('an RS256 private key without a kid is published under its RFC 7638 thumbprint', async () => {
    // Prepare
    const { kid: _kid, alg: _alg, use: _use, ...bare } = keys.RS256.privateJwk;
    const services = deploy('RS256', { JWT_PRIVATE_KEY: JSON.stringify(bare) });

    // Act
    const published = await services.tokens.jwks();

    // Assess
    expect(published.keys.map((key) => key.kid)).toEqual([keys.RS256.kid]);
  });
});

describe("API Gateway's JWT authorizer (emulated from AWS's documented steps)", () => {
  const authorizer = (profile: 'http' | 'rest', issuerUrl = server.url, now?: () => number) =>
    jwtAuthorizer({ issuerUrl, audience: [AUDIENCE], profile, ...(now ? { now } : {}) });

  test('HTTP API: accepts a fresh RS256 access token, after discovery and the JWKS', async () => {
    // Prepare
    const session = await signUp(deploy('RS256'));
    const gateway = authorizer('http');

    // Act
    const verdict = await gateway.authorize(`Bearer ${session.accessToken}`);

    // Assess
    expect(verdict).toMatchObject({ allowed: true, claims: { sid: session.sessionId, aud: AUDIENCE } });
    expect(gateway.fetched).toEqual([
      `${server.url}/.well-known/openid-configuration`,
      `${server.url}/.well-known/jwks.json`,
    ]);
  });

  test('HTTP API: accepts the token a refresh issues too', async () => {
    // Prepare
    const services = deploy('RS256');
    const session = await signUp(services);
    const refreshed = await invoke(refreshSession.createHandler(services), {
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: session.refreshToken },
    });

    // Act & assess
    expect(refreshed.status).toBe(200);
    await expect(
      authorizer('http').authorize(`Bearer ${refreshed.body.session.accessToken}`),
    ).resolves.toMatchObject({
      allowed: true,
    });
  });

  test('REST API: accepts an ES256 token and an RS256 token', async () => {
    const es256 = await signUp(deploy('ES256'));
    await expect(authorizer('rest').authorize(`Bearer ${es256.accessToken}`)).resolves.toMatchObject({
      allowed: true,
    });
    const rs256 = await signUp(deploy('RS256'));
    await expect(authorizer('rest').authorize(`Bearer ${rs256.accessToken}`)).resolves.toMatchObject({
      allowed: true,
    });
  });

  test.each([
    ['an EdDSA token (HTTP API: RSA only)', 'EdDSA', 'http'],
    ['an ES256 token (HTTP API: RSA only)', 'ES256', 'http'],
    ['an EdDSA token (REST API: RSA or EC)', 'EdDSA', 'rest'],
  ] as const)('rejects %s', async (_, alg, profile) => {
    // Prepare
    const session = await signUp(deploy(alg));

    // Act & assess
    await expect(authorizer(profile).authorize(`Bearer ${session.accessToken}`)).resolves.toEqual({
      allowed: false,
      step: 'alg',
    });
  });

  test('rejects a tampered payload (sub changed, signature kept)', async () => {
    // Prepare
    const session = await signUp(deploy('RS256'));
    const [header, payload, signature] = session.accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...claims, sub: 'usr_someone_else' })).toString(
      'base64url',
    );

    // Act & assess
    await expect(authorizer('http').authorize(`Bearer ${header}.${tampered}.${signature}`)).resolves.toEqual({
      allowed: false,
      step: 'signature',
    });
  });

  test('rejects a token whose kid is not published (signed by a key the JWKS does not list)', async () => {
    // Prepare: signed by a deployment with another RS256 key, verified against ours
    const stranger = await generateSigningKey('RS256');
    const session = await signUp(deploy('RS256', { JWT_PRIVATE_KEY: JSON.stringify(stranger.privateJwk) }));
    deploy('RS256');

    // Act & assess
    await expect(authorizer('http').authorize(`Bearer ${session.accessToken}`)).resolves.toEqual({
      allowed: false,
      step: 'kid',
    });
  });

  test('rejects every token when issuerUrl differs from the issuer by a trailing slash', async () => {
    // Prepare
    const session = await signUp(deploy('RS256'));

    // Act & assess
    await expect(
      authorizer('http', `${server.url}/`).authorize(`Bearer ${session.accessToken}`),
    ).resolves.toEqual({
      allowed: false,
      step: 'iss',
    });
  });

  test('rejects an expired token', async () => {
    // Prepare: a token issued with a clock an hour and a minute behind (the TTL is 15 min)
    const past = Date.now() - 61 * 60_000;
    const session = await signUp(deploy('RS256', {}, { now: () => past }));

    // Act & assess
    await expect(authorizer('http').authorize(`Bearer ${session.accessToken}`)).resolves.toEqual({
      allowed: false,
      step: 'exp',
    });
  });

  test('rejects a token for another audience', async () => {
    // Prepare
    const session = await signUp(deploy('RS256', { JWT_AUDIENCE: 'another-api' }));
    deploy('RS256');

    // Act & assess
    await expect(authorizer('http').authorize(`Bearer ${session.accessToken}`)).resolves.toEqual({
      allowed: false,
      step: 'aud',
    });
  });

  test('after a rotation, a token of the previous key (still published) is accepted', async () => {
    // Prepare
    const next = await generateSigningKey('RS256');
    const session = await signUp(deploy('RS256'));
    deploy('RS256', {
      JWT_PRIVATE_KEY: JSON.stringify(next.privateJwk),
      JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify([keys.RS256.publicJwk]),
    });

    // Act & assess
    await expect(authorizer('http').authorize(`Bearer ${session.accessToken}`)).resolves.toMatchObject({
      allowed: true,
    });
  });

  test('the control: no Authorization header, or not Bearer', async () => {
    deploy('RS256');
    await expect(authorizer('http').authorize(undefined)).resolves.toEqual({
      allowed: false,
      step: 'identity_source',
    });
    await expect(authorizer('http').authorize(`Basic ${randomBytes(8).toString('hex')}`)).resolves.toEqual({
      allowed: false,
      step: 'identity_source',
    });
  });
});
