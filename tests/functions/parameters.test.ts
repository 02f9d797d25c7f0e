// The deployment's parameters from SSM Parameter Store (lib/parameters.ts), through the real AWS
// SDK against a stand-in of SSM's GetParameters API on 127.0.0.1 (AWS_ENDPOINT_URL_SSM): which
// names are asked for, decryption on, the environment winning, failures answered 503 and retried.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHandler } from '../../functions/jwks';
import { resolveParameters, ssmParameterName } from '../../lib/parameters';
import { baseServices, lambdaHandler } from '../../lib/services';
import { invoke, newSigningKey } from '../support/app';

const PREFIX = '/account-service/test';
const stored = new Map<string, string>();
const requests: Array<{ target: string; body: { Names: string[]; WithDecryption: boolean } }> = [];
let failing = false;
let server: Server;
const saved = { ...process.env };

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      const body = JSON.parse(text);
      requests.push({ target: String(req.headers['x-amz-target']), body });
      if (failing) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({ __type: 'AccessDeniedException', message: `no access to ${body.Names[0]}` }),
        );
        return;
      }
      const names: string[] = body.Names;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          Parameters: names
            .filter((name) => stored.has(name))
            .map((name) => ({ Name: name, Type: 'SecureString', Value: stored.get(name), Version: 1 })),
          InvalidParameters: names.filter((name) => !stored.has(name)),
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
  });
});

afterAll(async () => {
  process.env = saved;
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests.length = 0;
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
    expect(requests).toEqual([
      {
        target: 'AmazonSSM.GetParameters',
        body: {
          Names: [
            '/account-service/test/upstash-redis-rest-url',
            '/account-service/test/upstash-redis-rest-token',
            '/account-service/test/jwt-private-key',
            '/account-service/test/totp-encryption-key',
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
    expect(requests.map((r) => r.body.Names)).toEqual([
      [
        '/account-service/test/upstash-redis-rest-url',
        '/account-service/test/upstash-redis-rest-token',
        '/account-service/test/totp-encryption-key',
      ],
    ]);
  });

  test('without a prefix, or with everything set, SSM is never asked', async () => {
    await expect(resolveParameters({ KEY_PREFIX: 'x' })).resolves.toEqual({ KEY_PREFIX: 'x' });
    await expect(resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX, ...deployed })).resolves.toEqual({
      SSM_PARAMETER_PREFIX: PREFIX,
      ...deployed,
    });
    expect(requests).toEqual([]);
  });

  test('a provider’s secret is read too, only when its client id is set', async () => {
    storeAll();
    stored.set(ssmParameterName(PREFIX, 'OAUTH_GOOGLE_CLIENT_SECRET'), 'google-secret-from-ssm');
    const env = await resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX, OAUTH_GOOGLE_CLIENT_ID: 'client' });
    expect(env.OAUTH_GOOGLE_CLIENT_SECRET).toBe('google-secret-from-ssm');
    expect(requests[0]?.body.Names).toContain('/account-service/test/oauth-google-client-secret');
    expect(requests[0]?.body.Names).not.toContain('/account-service/test/oauth-github-client-secret');
  });

  test('a parameter missing from SSM fails the read, naming the parameter and no value', async () => {
    stored.set(ssmParameterName(PREFIX, 'UPSTASH_REDIS_REST_URL'), deployed.UPSTASH_REDIS_REST_URL);
    await expect(resolveParameters({ SSM_PARAMETER_PREFIX: PREFIX })).rejects.toThrow(
      'SSM parameters missing: /account-service/test/upstash-redis-rest-token, /account-service/test/jwt-private-key, /account-service/test/totp-encryption-key',
    );
  });
});

describe('lambdaHandler with parameters in SSM', () => {
  test('an SSM failure answers 503 problem+json and the next request reads again and succeeds', async () => {
    // Prepare: the Lambda environment as deployed: a prefix, none of the three values
    for (const name of Object.keys(deployed)) delete process.env[name];
    process.env.SSM_PARAMETER_PREFIX = PREFIX;
    failing = true;
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
    expect(requests).toHaveLength(2);
    // The failure is logged by the error's name, never a parameter's value.
    expect(logged).toEqual([
      JSON.stringify({
        level: 'ERROR',
        message: 'SSM parameters unavailable',
        cause: 'AccessDeniedException',
      }),
    ]);
  });
});
