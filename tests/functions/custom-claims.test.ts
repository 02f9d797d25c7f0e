// The custom claims hook (README "Custom claims"): a loopback receiver that checks the Standard
// Webhooks signature with the reference library (`standardwebhooks`), not with the service's code;
// a loopback stand-in of Lambda's Invoke API for a Lambda hook (lib/aws.ts, SigV4). Claims reach
// the token; reserved claims, late, failing, oversized or unsigned-for-this-receiver hooks never
// cost the sign-in, only the claims (and a warning in the log).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { decodeJwt } from 'jose';
import { Webhook } from 'standardwebhooks';
import * as login from '../../functions/login';
import * as refreshSession from '../../functions/refresh-session';
import * as register from '../../functions/register';
import type { Services } from '../../lib/services';
import { logIn, signUp } from '../support/accounts';
import { invoke, testServices } from '../support/app';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: { user: Record<string, unknown>; sessionId: string; method: string };
  signatureValid: boolean;
  /** How the exchange ended: answered, or the client went away first (a hook over its budget). */
  outcome: Promise<'answered' | 'abandoned'>;
}

/** What the receiver answers next: a status and a body, after `delayMs`. */
let answer: { status: number; body: unknown; delayMs?: number } = { status: 200, body: { claims: {} } };
const received: Received[] = [];
let receiver: Server;
let receiverUrl: string;

function receive(req: IncomingMessage, res: ServerResponse) {
  let text = '';
  req.on('data', (chunk) => {
    text += chunk;
  });
  req.on('end', () => {
    let signatureValid = true;
    try {
      // The receiver's side of Standard Webhooks, with its own secret and the reference library.
      new Webhook(SECRET).verify(text, req.headers as Record<string, string>);
    } catch {
      signatureValid = false;
    }
    const entry: Received = {
      path: req.url ?? '',
      headers: req.headers,
      body: JSON.parse(text),
      signatureValid,
      outcome: new Promise((resolve) =>
        res.on('close', () => resolve(res.writableFinished ? 'answered' : 'abandoned')),
      ),
    };
    received.push(entry);
    const {
      status,
      body,
      delayMs = 0,
    } = signatureValid ? answer : { status: 401, body: { error: 'bad signature' } };
    setTimeout(() => {
      if (!res.destroyed)
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }, delayMs);
  });
}

beforeAll(async () => {
  receiver = createServer(receive);
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/claims`;
});

afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

beforeEach(() => {
  received.length = 0;
  answer = { status: 200, body: { claims: {} } };
});

/** Services with a URL hook at the receiver, and a logger whose warnings the test reads. */
function withHook(env: Record<string, string> = {}): { services: Services; warnings: unknown[][] } {
  const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
  const warnings: unknown[][] = [];
  jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => {
    warnings.push(args);
  });
  const services = testServices({ HOOK_CUSTOM_CLAIMS: receiverUrl, HOOK_SECRET: SECRET, ...env }, { logger });
  return { services, warnings };
}

const claimsOf = (token: string) => decodeJwt(token) as Record<string, unknown>;

describe('a URL hook', () => {
  test('is asked at sign-up with {user, sessionId, method}, signed; its claims are in the token', async () => {
    // Prepare
    answer = {
      status: 200,
      body: { claims: { roles: ['admin', 'billing'], tenant: { id: 't_1', plan: 'pro' } } },
    };
    const { services, warnings } = withHook();

    // Act
    const account = await signUp(register.createHandler(services), { name: 'Hook User' });

    // Assess: the request
    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.signatureValid).toBe(true);
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'webhook-id': expect.stringMatching(/^msg_[A-Za-z0-9_-]{22}$/),
      'webhook-timestamp': expect.stringMatching(/^\d{10}$/),
      'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
    });
    // The public user only: never a password hash.
    expect(request.body).toEqual({
      user: account.user,
      sessionId: account.session.sessionId,
      method: 'register',
    });
    // Assess: the token
    expect(claimsOf(account.token)).toMatchObject({
      sub: account.id,
      sid: account.session.sessionId,
      roles: ['admin', 'billing'],
      tenant: { id: 't_1', plan: 'pro' },
    });
    expect(warnings).toEqual([]);
  });

  test('is asked at log-in (method password) and at refresh (method refresh, the user looked up)', async () => {
    // Prepare
    answer = { status: 200, body: { claims: { roles: ['reader'] } } };
    const { services } = withHook();
    const account = await signUp(register.createHandler(services));

    // Act
    const session = await logIn(login.createHandler(services), account.email);
    const refreshed = await invoke(refreshSession.createHandler(services), {
      method: 'POST',
      path: '/sessions/refresh',
      body: { refreshToken: session.refreshToken },
    });

    // Assess
    expect(refreshed.status).toBe(200);
    expect(received.map((r) => r.body.method)).toEqual(['register', 'password', 'refresh']);
    expect(received[2]?.body).toEqual({
      user: account.user,
      sessionId: session.sessionId,
      method: 'refresh',
    });
    expect(claimsOf(session.accessToken).roles).toEqual(['reader']);
    expect(claimsOf(refreshed.body.session.accessToken).roles).toEqual(['reader']);
  });

  test('cannot set a reserved claim: sub, sid and the rest are ignored, the others kept, and it is logged', async () => {
    // Prepare
    answer = {
      status: 200,
      body: {
        claims: {
          sub: 'usr_admin',
          sid: 'ses_forged',
          iss: 'https://evil.example',
          aud: 'everything',
          exp: 9_999_999_999,
          iat: 1,
          nbf: 1,
          jti: 'fixed',
          typ: 'id',
          scope: 'admin',
          roles: ['member'],
        },
      },
    };
    const { services, warnings } = withHook();

    // Act
    const account = await signUp(register.createHandler(services));

    // Assess
    const claims = claimsOf(account.token);
    expect(claims).toMatchObject({ sub: account.id, sid: account.session.sessionId, roles: ['member'] });
    expect(claims.iss).toBe(services.config.jwt.issuer);
    expect(claims.aud).toBe(services.config.jwt.audience);
    expect(claims.exp).toBe((claims.iat as number) + services.config.accessTokenTtlSeconds);
    expect(claims.jti).not.toBe('fixed');
    expect(claims).not.toHaveProperty('scope');
    expect(claims).not.toHaveProperty('typ');
    expect(claims).not.toHaveProperty('nbf');
    expect(warnings).toEqual([
      [
        'custom claims hook: reserved claims ignored',
        {
          userId: account.id,
          method: 'register',
          ignoredClaims: ['sub', 'sid', 'iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'typ', 'scope'],
        },
      ],
    ]);
    // The service still accepts its own token.
    await expect(services.tokens.verifyAccessToken(account.token)).resolves.toEqual({
      userId: account.id,
      sessionId: account.session.sessionId,
    });
  });

  test('a hook that sleeps 3 s costs at most the 2 s budget: the request is abandoned, the token issued without claims', async () => {
    // Prepare
    answer = { status: 200, body: { claims: { roles: ['late'] } }, delayMs: 3000 };
    const { services, warnings } = withHook();

    // Act
    const account = await signUp(register.createHandler(services));

    // Assess: signed in, no custom claim, and the hook's request was given up before it answered
    expect(claimsOf(account.token)).not.toHaveProperty('roles');
    expect(received).toHaveLength(1);
    await expect(received[0]?.outcome).resolves.toBe('abandoned');
    expect(warnings).toEqual([
      [
        'custom claims hook failed: token issued without custom claims',
        { userId: account.id, method: 'register', reason: 'timeout' },
      ],
    ]);
  });

  test('a service signing with another secret: the receiver detects it (401), the token has no claims', async () => {
    // Prepare
    answer = { status: 200, body: { claims: { roles: ['admin'] } } };
    const { services, warnings } = withHook({ HOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}` });

    // Act
    const account = await signUp(register.createHandler(services));

    // Assess
    expect(received.map((r) => r.signatureValid)).toEqual([false]);
    expect(claimsOf(account.token)).not.toHaveProperty('roles');
    expect(warnings).toEqual([
      [
        'custom claims hook failed: token issued without custom claims',
        { userId: account.id, method: 'register', reason: 'status', status: 401 },
      ],
    ]);
  });

  test.each<[string, typeof answer, string]>([
    ['over 2 KiB of claims', { status: 200, body: { claims: { blob: 'x'.repeat(2100) } } }, 'too_large'],
    ['no claims member', { status: 200, body: { roles: ['admin'] } }, 'invalid_response'],
    ['claims that are an array', { status: 200, body: { claims: ['admin'] } }, 'invalid_response'],
    ['a 500', { status: 500, body: { error: 'boom' } }, 'status'],
    ['a redirect', { status: 307, body: {} }, 'unreachable'],
  ])('%s → signed in without custom claims, logged (%s)', async (_, reply, reason) => {
    // Prepare
    answer = reply;
    const { services, warnings } = withHook();

    // Act
    const account = await signUp(register.createHandler(services));

    // Assess
    expect(Object.keys(claimsOf(account.token)).sort()).toEqual([
      'aud',
      'exp',
      'iat',
      'iss',
      'jti',
      'sid',
      'sub',
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.[1]).toMatchObject({ userId: account.id, method: 'register', reason });
  });

  test('just under 2 KiB of claims is kept whole', async () => {
    // Prepare: {"blob":"…"} is 11 bytes of JSON around the value
    answer = { status: 200, body: { claims: { blob: 'x'.repeat(2048 - 11) } } };
    const { services, warnings } = withHook();

    // Act
    const account = await signUp(register.createHandler(services));

    // Assess
    expect(claimsOf(account.token).blob).toHaveLength(2048 - 11);
    expect(warnings).toEqual([]);
  });

  test('an unreachable hook costs the claims, not the sign-in', async () => {
    // Prepare: a port nothing listens on
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { services, warnings } = withHook({ HOOK_CUSTOM_CLAIMS: `http://127.0.0.1:${port}/claims` });

    // Act
    const account = await signUp(register.createHandler(services));

    // Assess
    expect(claimsOf(account.token)).not.toHaveProperty('roles');
    expect(warnings[0]?.[1]).toMatchObject({ reason: 'unreachable' });
  });
});

describe('a Lambda hook (synchronous Invoke, SigV4 over fetch)', () => {
  const lambdaCalls: Array<{ path: string; headers: IncomingMessage['headers']; body: unknown }> = [];
  let lambdaReply: { status: number; headers?: Record<string, string>; body: unknown } = {
    status: 200,
    body: { claims: {} },
  };
  let lambda: Server;
  let endpoint: string;

  beforeAll(async () => {
    lambda = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk) => {
        text += chunk;
      });
      req.on('end', () => {
        lambdaCalls.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) });
        res
          .writeHead(lambdaReply.status, { 'content-type': 'application/json', ...lambdaReply.headers })
          .end(JSON.stringify(lambdaReply.body));
      });
    });
    await new Promise<void>((resolve) => lambda.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(lambda.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => lambda.close(resolve));
  });

  beforeEach(() => {
    lambdaCalls.length = 0;
  });

  const withLambdaHook = (functionName: string) => {
    const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
    const warnings: unknown[][] = [];
    jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => {
      warnings.push(args);
    });
    const services = testServices(
      { HOOK_CUSTOM_CLAIMS: functionName },
      {
        logger,
        aws: {
          AWS_REGION: 'eu-west-1',
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
          AWS_SESSION_TOKEN: 'session-token',
          AWS_ENDPOINT_URL_LAMBDA: endpoint,
        },
      },
    );
    return { services, warnings };
  };

  test('is invoked RequestResponse with the request as its event; its result’s claims are in the token', async () => {
    // Prepare
    lambdaReply = { status: 200, body: { claims: { roles: ['ops'] } } };
    const { services, warnings } = withLambdaHook('claims-hook');

    // Act
    const account = await signUp(register.createHandler(services));

    // Assess
    expect(lambdaCalls).toEqual([
      {
        path: '/2015-03-31/functions/claims-hook/invocations',
        headers: expect.objectContaining({
          'x-amz-invocation-type': 'RequestResponse',
          'x-amz-security-token': 'session-token',
          'x-amz-date': expect.stringMatching(/^\d{8}T\d{6}Z$/),
          authorization: expect.stringMatching(
            /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-invocation-type[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
          ),
        }),
        body: { user: account.user, sessionId: account.session.sessionId, method: 'register' },
      },
    ]);
    expect(claimsOf(account.token).roles).toEqual(['ops']);
    expect(warnings).toEqual([]);
  });

  test('the region of a function ARN wins', async () => {
    // Prepare
    lambdaReply = { status: 200, body: { claims: {} } };
    const { services } = withLambdaHook('arn:aws:lambda:us-east-2:123456789012:function:claims-hook');

    // Act
    await signUp(register.createHandler(services));

    // Assess
    expect(lambdaCalls[0]?.path).toBe(
      `/2015-03-31/functions/${encodeURIComponent('arn:aws:lambda:us-east-2:123456789012:function:claims-hook')}/invocations`,
    );
    expect(lambdaCalls[0]?.headers.authorization).toContain('/us-east-2/lambda/aws4_request');
  });

  test.each<[string, typeof lambdaReply, string]>([
    [
      'a function that threw',
      { status: 200, headers: { 'x-amz-function-error': 'Unhandled' }, body: { errorMessage: 'boom' } },
      'function_error',
    ],
    ['a refused invoke (403)', { status: 403, body: { message: 'not allowed' } }, 'unreachable'],
  ])('%s → signed in without custom claims, logged', async (_, reply, reason) => {
    // Prepare
    lambdaReply = reply;
    const { services, warnings } = withLambdaHook('claims-hook');

    // Act
    const account = await signUp(register.createHandler(services));

    // Assess
    expect(Object.keys(claimsOf(account.token))).not.toContain('roles');
    expect(warnings[0]?.[1]).toMatchObject({ userId: account.id, reason });
  });
});
