// examples/protected-api: a developer's own service whose route is protected by API Gateway's JWT
// authorizer with this service's tokens. `serverless package` (osls) builds its template offline;
// the authorizer in it must carry exactly this service's issuer and audience, as parseConfig
// derives them from the same variables.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseConfig } from '../../lib/config';
import { newPrivateJwk } from '../support/signing-keys';

const root = join(__dirname, '../..');
const example = join(root, 'examples/protected-api');
const run = promisify(execFile);
const scratches: string[] = [];

afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template, walked by path
type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

/** `serverless package` of the example with `env`, into a scratch folder: its template's resources. */
async function packageExample(env: Record<string, string>): Promise<Resources> {
  const out = mkdtempSync(join(tmpdir(), 'protected-api-'));
  scratches.push(out);
  await run(
    process.execPath,
    [join(root, 'node_modules/serverless/bin/serverless.js'), 'package', '--package', out],
    {
      cwd: example,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? root,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        ...env,
      },
      timeout: 90_000,
    },
  );
  return JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources;
}

/** This service's issuer and audience for the same variables. */
const accountService = (env: Record<string, string>) =>
  parseConfig({
    UPSTASH_REDIS_REST_URL: 'https://eu1-example.upstash.io',
    UPSTASH_REDIS_REST_TOKEN: 'unused',
    JWT_PRIVATE_KEY: newPrivateJwk('RS256'),
    JWT_ALGORITHM: 'RS256',
    TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    ...env,
  }).jwt;

const ofType = (resources: Resources, type: string) =>
  Object.values(resources).filter((r) => r.Type === type);

describe('examples/protected-api', () => {
  test.each([
    ['API_URL and JWT_AUDIENCE', { API_URL: 'https://auth.acme.example', JWT_AUDIENCE: 'acme-api' }],
    [
      'JWT_ISSUER, which wins over API_URL',
      {
        API_URL: 'https://auth.acme.example',
        JWT_ISSUER: 'https://issuer.acme.example',
        JWT_AUDIENCE: 'acme-api',
      },
    ],
  ])(
    'packages a JWT authorizer with issuerUrl and audience as this service issues them (%s)',
    async (_, env) => {
      // Prepare
      const { issuer, audience } = accountService(env);

      // Act
      const resources = await packageExample(env);

      // Assess: the authorizer
      const authorizers = ofType(resources, 'AWS::ApiGatewayV2::Authorizer');
      expect(authorizers).toHaveLength(1);
      expect(authorizers[0]?.Properties).toEqual({
        ApiId: { Ref: 'HttpApi' },
        Name: 'accountService',
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: issuer, Audience: [audience] },
      });
      // Assess: the route uses it
      const [authorizerId] =
        Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Authorizer') ?? [];
      expect(ofType(resources, 'AWS::ApiGatewayV2::Route').map((route) => route.Properties)).toEqual([
        expect.objectContaining({
          RouteKey: 'GET /orders',
          AuthorizationType: 'JWT',
          AuthorizerId: { Ref: authorizerId },
        }),
      ]);
      expect(ofType(resources, 'AWS::ApiGatewayV2::Api')[0]?.Properties.ProtocolType).toBe('HTTP');
    },
    120_000,
  );

  test('packaging leaves the example folder as it was', () => {
    expect(readdirSync(example).sort()).toEqual(['README.md', 'handler.mjs', 'serverless.yml']);
  });

  test('the route reads the caller from the authorizer’s claims', async () => {
    // Prepare: the request context API Gateway hands the function after the authorizer allowed it
    // @ts-expect-error: the example is plain JavaScript, without types
    const { orders } = await import('../../examples/protected-api/handler.mjs');
    const event = {
      requestContext: { authorizer: { jwt: { claims: { sub: 'usr_a', sid: 'ses_b' }, scopes: null } } },
    };

    // Act
    const response = await orders(event);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ userId: 'usr_a', sessionId: 'ses_b', orders: [] });
  });
});
