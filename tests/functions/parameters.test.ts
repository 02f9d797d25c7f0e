// The deployment's parameters from SSM Parameter Store (lib/parameters.ts), without the AWS SDK:
// GetParameters signed by lib/aws.ts, against a stand-in of SSM's API on 127.0.0.1
// (AWS_ENDPOINT_URL_SSM) that checks each signature with the SDK's own signer: which names are
// asked for, decryption on, the environment winning, failures answered 503 (naming the
// parameters) and retried.
import { randomBytes } from 'node:crypto';
import { createHandler } from '../../functions/jwks';
import { ParametersUnavailableError, resolveParameters, ssmParameterName } from '../../lib/parameters';
import { baseServices, lambdaHandler } from '../../lib/services';
import { invoke, newSigningKey } from '../support/app';
import { type StandIn, startAwsStandIn, TEST_CREDENTIALS } from '../support/aws';

const PREFIX = '/account-service/test';
const stored = new Map<string, string>();
let failing: false | 'denied' | 'throttled' = false;
let ssm: StandIn;
const saved = { ...process.env };
const requests = () =>
  ssm.requests.map((r) => ({ target: String(r.headers['x-amz-target']), body: JSON.parse(r.body) }));

beforeAll(async () => {
  ssm = await startAwsStandIn('ssm', (request) => {
    const body = JSON.parse(request.body) as { Names: string[] };
    if (failing === 'denied')
      return {
        status: 400,
        headers: { 'content-type': 'application/x-amz-json-1.1' },
        body: JSON.stringify({ __type: 'AccessDeniedException', message: `no access to ${body.Names[0]}` }),
      };
    if (failing === 'throttled')
      return {
        status: 429,
        body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
      };
    return {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({
        Parameters: body.Names.filter((name) => stored.has(name)).map((name) => ({
          Name: name,
          Type: 'SecureString',
          Value: stored.get(name),
          Version: 1,
        })),
        InvalidParameters: body.Names.filter((name) => !stored.has(name)),
      }),
    };
  });
  Object.assign(process.env, { AWS_ENDPOINT_URL_SSM: ssm.url, ...TEST_CREDENTIALS });
});

afterAll(async () => {
  process.env = saved;
  await ssm.close();
});

beforeEach(() => {
  ssm.requests.length = 0;
  failing = false;
  stored.clear();
});

const deployed = {
  UPSTASH_REDIS_REST_URL: 'https://eu1-example.upstash.io',
  UPSTASH_REDIS_REST_TOKEN: 'token-from-ssm',
  JWT_PRIVATE_KEY: newSigningKey(),
  TOTP_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
};
const storeAll = () => {
  for (const [name, value] of Object.entries(deployed))
    stored.set(ssmParameterName(PREFIX, name as keyof typeof deployed), value);
};

describe('resolveParameters', () => {
  test('reads the variables without a default from SSM, decrypted, in one call', async () => {
    storeAll();
    const env = await resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX, KEY_PREFIX: 'acct:' });
    expect(env).toEqual({ SSM_PARAMETER_PREFIX: PREFIX, KEY_PREFIX: 'acct:', ...deployed });
    expect(requests()).toEqual([
      {
        target: 'AmazonSSM.GetParameters',
        body: {
          Names: [
            '/account-service/test/upstash-redis-rest-url',
            '/account-service/test/upstash-redis-rest-token',
            '/account-service/test/jwt-private-key',
            '/account-service/test/totp-encryption-key',
            '/account-service/test/hook-secret',
          ],
          WithDecryption: true,
        },
      },
    ]);
  });

  test('a value set in the environment wins and is not asked for', async () => {
    storeAll();
    const env = await resolveParameters({ SSM_PARAMETER_PREFIX: `${PREFIX}/`, JWT_PRIVATE_KEY: 'local' });
    expect(env.JWT_PRIVATE_KEY).toBe('local');
    expect(requests().map((r) => r.body.Names)).toEqual([
      [
        '/account-service/test/upstash-redis-rest-url',
        '/account-service/test/upstash-redis-rest-token',
        '/account-service/test/totp-encryption-key',
        '/account-service/test/hook-secret',
      ],
    ]);
  });

  test('an optional secret (HOOK_SECRET) is read along with the others when stored, and may be absent', async () => {
    storeAll();
    const hookSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const withHook = await resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX });
    stored.set(ssmParameterName(PREFIX, 'HOOK_SECRET'), hookSecret);
    const withSecret = await resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX });
    expect(withHook.HOOK_SECRET).toBeUndefined();
    expect(withSecret.HOOK_SECRET).toBe(hookSecret);
  });

  test('without a prefix, or with everything set, SSM is never asked', async () => {
    await expect(resolveParameters({ KEY_PREFIX: 'x' })).resolves.toEqual({ KEY_PREFIX: 'x' });
    await expect(resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX, ...deployed })).resolves.toEqual({
      SSM_PARAMETER_PREFIX: PREFIX,
      ...deployed,
    });
    expect(requests()).toEqual([]);
  });

  test('a provider’s secret is read too, only when its client id is set', async () => {
    storeAll();
    stored.set(ssmParameterName(PREFIX, 'OAUTH_GOOGLE_CLIENT_SECRET'), 'google-secret-from-ssm');
    const env = await resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX, OAUTH_GOOGLE_CLIENT_ID: 'client' });
    expect(env.OAUTH_GOOGLE_CLIENT_SECRET).toBe('google-secret-from-ssm');
    expect(requests()[0]?.body.Names).toContain('/account-service/test/oauth-google-client-secret');
    expect(requests()[0]?.body.Names).not.toContain('/account-service/test/oauth-github-client-secret');
  });

  test('a parameter missing from SSM fails the read, naming the parameter and no value', async () => {
    stored.set(ssmParameterName(PREFIX, 'UPSTASH_REDIS_REST_URL'), deployed.UPSTASH_REDIS_REST_URL);
    await expect(resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX })).rejects.toThrow(
      'SSM parameters missing: /account-service/test/upstash-redis-rest-token, /account-service/test/jwt-private-key, /account-service/test/totp-encryption-key',
    );
  });
});

describe('the GetParameters request and its faults', () => {
  test('is signed for ssm in the region with the role credentials, session token included (the SDK signer agrees)', async () => {
    storeAll();
    await resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX });
    const [request] = ssm.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/', signatureValid: true });
    expect(request?.scope).toMatch(/^\d{8}\/eu-west-1\/ssm\/aws4_request$/);
    expect(request?.headers['x-amz-security-token']).toBe(TEST_CREDENTIALS.AWS_SESSION_TOKEN);
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(String(request?.headers.authorization)).toContain('x-amz-security-token');
  });

  test('a throttled read is retried twice, then fails naming every parameter asked for', async () => {
    failing = 'throttled';
    const read = resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX, JWT_PRIVATE_KEY: 'local' });
    await expect(read).rejects.toBeInstanceOf(ParametersUnavailableError);
    await expect(read).rejects.toMatchObject({
      reason: 'ThrottlingException',
      parameters: [
        '/account-service/test/upstash-redis-rest-url',
        '/account-service/test/upstash-redis-rest-token',
        '/account-service/test/totp-encryption-key',
        '/account-service/test/hook-secret',
      ],
    });
    expect(ssm.requests).toHaveLength(3);
  });

  test('SSM unreachable fails the read as unreachable, naming the parameters, no value anywhere', async () => {
    const read = resolveParameters(
      { SSM_PARAMETER_PREFIX: PREFIX, ...deployed, JWT_PRIVATE_KEY: undefined },
      { ...TEST_CREDENTIALS, AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:1' },
    );
    await expect(read).rejects.toMatchObject({
      reason: 'unreachable',
      parameters: ['/account-service/test/jwt-private-key', '/account-service/test/hook-secret'],
      message:
        'SSM unreachable reading /account-service/test/jwt-private-key, /account-service/test/hook-secret',
    });
  });

  test('without credentials in the environment nothing is sent, and the read says so', async () => {
    await expect(
      resolveParameters(
        { SSM_PARAMETER_PREFIX: PREFIX },
        { AWS_ENDPOINT_URL_SSM: ssm.url, AWS_REGION: 'eu-west-1' },
      ),
    ).rejects.toMatchObject({ reason: 'MissingCredentials' });
    expect(ssm.requests).toEqual([]);
  });
});

describe('lambdaHandler with parameters in SSM', () => {
  test('an SSM failure answers 503 problem+json and the next request reads again and succeeds', async () => {
    // Prepare: the Lambda environment as deployed: a prefix, none of the three values
    for (const name of Object.keys(deployed)) delete process.env[name];
    process.env.SSM_PARAMETER_PREFIX = PREFIX;
    failing = 'denied';
    const logged: string[] = [];
    jest.spyOn(console, 'error').mockImplementation((line: string) => logged.push(line));
    const handler = lambdaHandler(baseServices, createHandler);

    // Act: SSM refuses, then works
    const refused = await invoke(handler, { method: 'GET', path: '/.well-known/jwks.json' });
    failing = false;
    storeAll();
    const served = await invoke(handler, { method: 'GET', path: '/.well-known/jwks.json' });
    const again = await invoke(handler, { method: 'GET', path: '/.well-known/jwks.json' });

    // Assess
    expect(refused.status).toBe(503);
    expect(refused.headers['content-type']).toBe('application/problem+json');
    expect(refused.headers['x-content-type-options']).toBe('nosniff');
    expect(refused.body).toMatchObject({ code: 'service_unavailable', status: 503 });
    expect(served.status).toBe(200);
    const { x } = JSON.parse(deployed.JWT_PRIVATE_KEY);
    expect(served.body.keys.map((key: { x: string }) => key.x)).toEqual([x]);
    expect(again.status).toBe(200);
    // Read at import (refused: the first request waited for that read), once more, then kept.
    expect(ssm.requests).toHaveLength(2);
    // The failure is logged once, by AWS's error type and the parameters asked for, never a value.
    expect(logged).toEqual([
      JSON.stringify({
        level: 'ERROR',
        message: 'SSM parameters unavailable',
        cause: 'AccessDeniedException',
        // An optional secret (HOOK_SECRET) is asked for along with the required ones.
        parameters: [...Object.keys(deployed), 'HOOK_SECRET'].map((name) =>
          ssmParameterName(PREFIX, name as keyof typeof deployed),
        ),
      }),
    ]);
  });
});
