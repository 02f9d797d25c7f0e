// serverless.yml is the one hand-written description of the deployment. Its environment is
// generated from the configuration table (build/serverless-environment.cjs), without the variables
// the functions read from SSM at cold start (lib/parameters.ts); its functions and
// events are written out, and this test fails on any difference from the route table. Both are
// read as osls resolves them (`serverless print`), with the environment `npm start` would give.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { localEnvironment } from '../../dev/offline';
import { ADMIN_COMMANDS } from '../../lib/admin/commands';
import { CONFIG_VARIABLES, type VariableName } from '../../lib/config';
import { SSM_VARIABLES } from '../../lib/parameters';
import { CATCH_ALL, ROUTES, WORKERS } from '../../lib/routes';

const root = join(__dirname, '../..');
const run = promisify(execFile);
const NAMES = Object.keys(CONFIG_VARIABLES) as VariableName[];

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template, read as JSON
type Json = any;

interface Printed {
  custom: { argon2MemorySize: number; 'serverless-offline': { localEnvironment: boolean } };
  provider: { environment: Record<string, string>; memorySize: number };
  functions: Record<string, { handler: string; memorySize?: number; events: unknown[]; package: unknown }>;
}

/** `serverless print` of serverless.yml with exactly `env` (plus PATH/HOME) in the environment. */
async function print(env: Record<string, string>): Promise<Printed> {
  const { stdout } = await run(
    process.execPath,
    [join(root, 'node_modules/serverless/bin/serverless.js'), 'print', '--format', 'json'],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? root,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        ...env,
      },
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as Printed;
}

/** A value for every variable that no default equals, so each one is seen to arrive. */
const distinct = Object.fromEntries(NAMES.map((name) => [name, `set-${name.toLowerCase()}`]));

describe('serverless.yml', () => {
  let printed: Printed;
  let defaults: Printed;
  beforeAll(async () => {
    // What `npm start` hands serverless offline when every variable is set in its shell.
    const started = await localEnvironment(distinct, { datastore: null, demoPort: 5173 });
    [printed, defaults] = await Promise.all([
      print(started),
      // A deploy with only the required variables set: everything else takes the table's default.
      print(
        Object.fromEntries(
          NAMES.filter((name) => CONFIG_VARIABLES[name].default === undefined).map((name) => [name, 'x']),
        ),
      ),
    ]);
  }, 90_000);

  test('the edge is off by default; EDGE_WAF_RATE_LIMIT puts CloudFront and a WAF rate rule in front', async () => {
    const edged = (await print({
      EDGE_WAF_RATE_LIMIT: '2000',
      EDGE_ORIGIN_SECRET: 'shared-edge-secret',
    })) as Printed & {
      resources: { Conditions: Record<string, unknown>; Resources: Record<string, Json> };
    };
    const off = (defaults as Printed & { resources: { Conditions: Record<string, Json> } }).resources
      .Conditions;
    expect(off.EdgeOn).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['0', '0'] }] });
    const { Resources } = edged.resources;
    expect(Resources.EdgeWebAcl.Condition).toBe('EdgeAclHere');
    expect(Resources.EdgeWebAcl.Properties.Scope).toBe('CLOUDFRONT');
    expect(Resources.EdgeWebAcl.Properties.Rules[0].Statement.RateBasedStatement).toEqual({
      Limit: '2000',
      AggregateKeyType: 'IP',
    });
    const config = Resources.EdgeDistribution.Properties.DistributionConfig;
    expect(config.Origins[0].OriginCustomHeaders).toEqual([
      { HeaderName: 'X-Origin-Verify', HeaderValue: 'shared-edge-secret' },
    ]);
    expect(config.DefaultCacheBehavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
  }, 90_000);

  test('every configuration variable reaches the functions through npm start, and no other', async () => {
    // The launcher's environment is the functions' own (localEnvironment), variables without a
    // default included; the others also pass serverless.yml's environment, which must keep them.
    const started = await localEnvironment(distinct, { datastore: null, demoPort: 5173 });
    expect(started).toEqual(distinct);
    expect(printed.custom['serverless-offline'].localEnvironment).toBe(true);
    expect(printed.provider.environment).toEqual(
      Object.fromEntries(
        NAMES.filter((name) => !SSM_VARIABLES.includes(name)).map((name) => [name, distinct[name]]),
      ),
    );
  });

  test("in AWS: the table's defaults, and never a variable without one (those come from SSM at cold start)", () => {
    const expected = Object.fromEntries(
      NAMES.filter((name) => !SSM_VARIABLES.includes(name)).map((name) => [
        name,
        name === 'SSM_PARAMETER_PREFIX' ? '/account-service/dev' : CONFIG_VARIABLES[name].default,
      ]),
    );
    expect(defaults.provider.environment).toEqual(expected);
  });

  test('has exactly one function per route, plus the catch-all and the workers', () => {
    expect(Object.keys(printed.functions).sort()).toEqual(
      [...ROUTES.map((route) => route.fn), CATCH_ALL.fn, ...WORKERS.map((worker) => worker.fn)].sort(),
    );
  });

  test('the mail function has no route, its own role, two retries and an on-failure queue', () => {
    expect(printed.functions['send-mail']).toMatchObject({
      handler: 'dist/functions/send-mail/index.handler',
      events: [],
      role: 'MailFunctionRole',
      maximumRetryAttempts: 2,
      destinations: { onFailure: { type: 'sqs' } },
    });
  });

  test.each(ADMIN_COMMANDS.map((command) => command.fn))('%s (an admin command) has no route', (fn) => {
    const { name: _, ...declared } = printed.functions[fn] as Printed['functions'][string] & { name: string };
    expect(declared).toEqual({
      handler: `dist/functions/${fn}/index.handler`,
      package: { patterns: [`dist/functions/${fn}/**`] },
      events: [],
    });
  });

  test.each(ROUTES.map((route) => [route.fn, route] as const))('%s: handler, event, memory', (fn, route) => {
    const { name: _, ...declared } = printed.functions[fn] as Printed['functions'][string] & { name: string };
    expect(declared).toEqual({
      handler: `dist/functions/${fn}/index.handler`,
      ...('hashing' in route && route.hashing
        ? { memorySize: printed.custom.argon2MemorySize, reservedConcurrency: null }
        : {}),
      package: { patterns: [`dist/functions/${fn}/**`] },
      events: [{ httpApi: { method: route.method, path: route.path } }],
    });
  });

  test('the catch-all takes every other method and path', () => {
    const { name: _, ...declared } = printed.functions[CATCH_ALL.fn] as Printed['functions'][string] & {
      name: string;
    };
    expect(declared).toEqual({
      handler: `dist/functions/${CATCH_ALL.fn}/index.handler`,
      package: { patterns: [`dist/functions/${CATCH_ALL.fn}/**`] },
      events: [{ httpApi: '*' }],
    });
  });
});

describe('serverless.yml: the cookie transport in AWS', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the printed configuration, walked by path
  let withDomain: any;
  beforeAll(async () => {
    withDomain = await print({
      API_DOMAIN: 'auth.example.com',
      API_CERTIFICATE_ARN:
        'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc',
      CORS_ALLOWED_ORIGINS: 'https://app.example.com',
    });
  }, 90_000);

  test('API_DOMAIN and its certificate give the HTTP API a regional custom domain', () => {
    expect(withDomain.resources.Conditions.HasApiDomain).toEqual({ 'Fn::Equals': ['true', 'true'] });
    expect(withDomain.resources.Resources.ApiDomain.Properties).toEqual({
      DomainName: 'auth.example.com',
      DomainNameConfigurations: [
        {
          CertificateArn:
            'arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-123456789abc',
          EndpointType: 'REGIONAL',
          SecurityPolicy: 'TLS_1_2',
        },
      ],
    });
  });

  test('API Gateway allows credentials to the listed origins and the Session-Transport header', () => {
    expect(withDomain.provider.httpApi.cors).toMatchObject({
      allowedOrigins: ['https://app.example.com'],
      allowCredentials: true,
    });
    expect(withDomain.provider.httpApi.cors.allowedHeaders).toContain('Session-Transport');
  });

  test('with `*`, no credentials (API Gateway refuses them with a wildcard)', () => {
    const saved = process.env.CORS_ALLOWED_ORIGINS;
    process.env.CORS_ALLOWED_ORIGINS = '*';
    try {
      expect(require('../../build/cors-origins.cjs').cors()).toMatchObject({ allowCredentials: false });
    } finally {
      process.env.CORS_ALLOWED_ORIGINS = saved;
    }
  });

  test('API_DOMAIN without a certificate, or a malformed domain, stops the deploy with a message', () => {
    const domain = require('../../build/api-domain.cjs');
    const saved = { ...process.env };
    try {
      process.env.API_DOMAIN = 'auth.example.com';
      delete process.env.API_CERTIFICATE_ARN;
      expect(() => domain.certificateArn()).toThrow(/API_CERTIFICATE_ARN must be the ARN/);
      process.env.API_DOMAIN = 'https://auth.example.com/';
      expect(() => domain.domain()).toThrow(/API_DOMAIN must be a host name/);
      delete process.env.API_DOMAIN;
      expect([domain.enabled(), domain.domain(), domain.certificateArn()]).toEqual(['false', '', '']);
    } finally {
      process.env = saved;
    }
  });
});
