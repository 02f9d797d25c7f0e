import type { Context } from 'aws-lambda';
import * as getProfile from '../../functions/get-profile';
import type { HttpEvent, HttpHandler } from '../../lib/http';
import { PASSWORD, signUp, uniqueEmail } from '../support/accounts';
import {
  type EventInput,
  httpEvent,
  invoke,
  lambdaContext,
  type Response,
  testServices,
} from '../support/app';
import { createHandlers } from '../support/handlers';
import { publishedKeyShape } from '../support/signing-keys';

const services = testServices();
const h = createHandlers(services);

/** Calls a handler with a raw event and a context of our own; returns what `invoke` returns, plus the request id. */
async function call(
  handler: HttpHandler,
  event: HttpEvent,
  context: Context = lambdaContext(),
): Promise<Response & { requestId: string }> {
  const result = await handler(event, context);
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const text = result.body ?? '';
  return {
    status: result.statusCode ?? 200,
    headers,
    body: text === '' ? undefined : JSON.parse(text),
    requestId: context.awsRequestId,
  };
}

/** The whole problem+json body of `code` (README "API", "Error codes"). */
function problem(status: number, code: string, title: string, detail: string, requestId: string) {
  return { type: `urn:account-service:problem:${code}`, title, status, detail, code, requestId };
}

const TITLES: Record<string, [number, string, string]> = {
  unsupported_media_type: [415, 'Unsupported media type', 'Send the body as application/json.'],
  payload_too_large: [413, 'Payload too large', 'The request body exceeds 16384 bytes.'],
  malformed_json: [400, 'Malformed JSON', 'The request body is not valid JSON.'],
  validation_failed: [400, 'Validation failed', 'The request body is not valid.'],
  unauthorized: [401, 'Unauthorized', 'A valid access token is required.'],
  not_found: [404, 'Not found', 'The requested resource does not exist.'],
  email_taken: [409, 'Email taken', 'An account with this email already exists.'],
  current_password_incorrect: [403, 'Current password incorrect', 'The current password is incorrect.'],
};

/** Asserts a whole problem response: status, body, and the headers every error carries. */
function expectProblem(
  res: Response & { requestId: string },
  code: string,
  extra: { detail?: string; errors?: unknown; headers?: Record<string, string> } = {},
) {
  const [status, title, detail] = TITLES[code] ?? [0, '', ''];
  const body: Record<string, unknown> = problem(status, code, title, extra.detail ?? detail, res.requestId);
  if (extra.errors !== undefined) body.errors = extra.errors;
  expect({ status: res.status, body: res.body }).toEqual({ status, body });
  expect(res.headers).toMatchObject({
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra.headers,
  });
}

let token: string;
let email: string;
beforeAll(async () => {
  ({ token, email } = await signUp(h.register));
});

/** Every endpoint that takes a body, with a valid body, so that one wire defect is the only problem. */
const bodyEndpoints = () =>
  [
    [
      'POST /users',
      h.register,
      { method: 'POST', path: '/users' },
      { name: 'A', email: uniqueEmail('w'), password: PASSWORD },
    ],
    ['POST /sessions', h.login, { method: 'POST', path: '/sessions' }, { email, password: PASSWORD }],
    [
      'POST /sessions/refresh',
      h.refreshSession,
      { method: 'POST', path: '/sessions/refresh' },
      { refreshToken: 'x'.repeat(43) },
    ],
    ['PATCH /users/me', h.updateProfile, { method: 'PATCH', path: '/users/me', token }, { name: 'Renamed' }],
    [
      'PUT /users/me/password',
      h.changePassword,
      { method: 'PUT', path: '/users/me/password', token },
      { currentPassword: PASSWORD, newPassword: PASSWORD },
    ],
    [
      'DELETE /users/me',
      h.deleteAccount,
      { method: 'DELETE', path: '/users/me', token },
      { password: PASSWORD },
    ],
  ] as [string, HttpHandler, Omit<EventInput, 'body'>, Record<string, unknown>][];

// test.each tables are built before beforeAll runs: the rows name endpoints, the values are read late.
const ENDPOINTS = [
  'POST /users',
  'POST /sessions',
  'POST /sessions/refresh',
  'PATCH /users/me',
  'PUT /users/me/password',
  'DELETE /users/me',
];
const endpoint = (name: string) => {
  const found = bodyEndpoints().find(([n]) => n === name);
  if (!found) throw new Error(name);
  const [, handler, input, body] = found;
  return { handler, input, body };
};

describe('415 unsupported_media_type', () => {
  const cases: [string, Record<string, string>][] = [
    ['text/plain', { 'content-type': 'text/plain' }],
    ['no Content-Type', {}],
    ['charset=latin1', { 'content-type': 'application/json; charset=latin1' }],
    ['charset=iso-8859-1', { 'content-type': 'application/json;charset=ISO-8859-1' }],
    ['form encoding', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['application/json-patch+json', { 'content-type': 'application/json-patch+json' }],
  ];
  const table = ENDPOINTS.flatMap((name) => cases.map(([label, headers]) => [name, label, headers] as const));

  test.each(table)('%s with %s', async (name, _, headers) => {
    // Prepare
    const { handler, input, body } = endpoint(name);
    const event = httpEvent({ ...input, rawBody: JSON.stringify(body), headers });

    // Act
    const res = await call(handler, event);

    // Assess
    expectProblem(res, 'unsupported_media_type', {
      detail:
        name === 'PATCH /users/me'
          ? 'Send the body as application/json or application/merge-patch+json.'
          : 'Send the body as application/json.',
    });
  });

  test.each(ENDPOINTS.filter((name) => name !== 'PATCH /users/me'))(
    '%s refuses application/merge-patch+json (PATCH only)',
    async (name) => {
      const { handler, input, body } = endpoint(name);
      const res = await call(
        handler,
        httpEvent({ ...input, body, headers: { 'content-type': 'application/merge-patch+json' } }),
      );
      expectProblem(res, 'unsupported_media_type');
    },
  );
});

describe('accepted content types', () => {
  test.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json;charset=UTF-8',
    'application/json; charset="utf-8"',
    'Application/JSON',
  ])(
    'POST /sessions/refresh with %j reaches validation (401 invalid_refresh_token, not 415)',
    async (type) => {
      // Act
      const res = await call(
        h.refreshSession,
        httpEvent({
          method: 'POST',
          path: '/sessions/refresh',
          body: { refreshToken: 'unknown' },
          headers: { 'content-type': type },
        }),
      );

      // Assess
      expect([res.status, res.body.code]).toEqual([401, 'invalid_refresh_token']);
    },
  );

  test.each(['application/merge-patch+json', 'application/merge-patch+json; charset=utf-8'])(
    'PATCH /users/me accepts %s',
    async (type) => {
      // Prepare
      const user = await signUp(h.register, { tag: 'merge' });

      // Act
      const res = await invoke(h.updateProfile, {
        method: 'PATCH',
        path: '/users/me',
        token: user.token,
        body: { name: 'Merged' },
        headers: { 'content-type': type },
      });

      // Assess
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: { ...user.user, name: 'Merged', updatedAt: expect.any(String) } });
    },
  );
});

describe('413 payload_too_large', () => {
  test.each(ENDPOINTS)('%s with a body over 16 KiB', async (name) => {
    // Prepare
    const { handler, input, body } = endpoint(name);
    const rawBody = JSON.stringify({ ...body, padding: 'x'.repeat(16 * 1024) });

    // Act
    const res = await call(
      handler,
      httpEvent({ ...input, rawBody, headers: { 'content-type': 'application/json' } }),
    );

    // Assess
    expectProblem(res, 'payload_too_large');
  });

  test('the limit counts bytes, not characters: 6,000 × "€" (18,000 bytes) is too large', async () => {
    // Prepare
    const rawBody = JSON.stringify({ refreshToken: '€'.repeat(6000) });
    expect(rawBody.length).toBeLessThan(16 * 1024);

    // Act
    const res = await call(
      h.refreshSession,
      httpEvent({
        method: 'POST',
        path: '/sessions/refresh',
        rawBody,
        headers: { 'content-type': 'application/json' },
      }),
    );

    // Assess
    expectProblem(res, 'payload_too_large');
  });

  test('exactly 16 KiB is accepted on the wire (and then validated)', async () => {
    // Prepare
    const skeleton = JSON.stringify({ refreshToken: '' });
    const rawBody = JSON.stringify({ refreshToken: 'x'.repeat(16 * 1024 - skeleton.length) });
    expect(Buffer.byteLength(rawBody)).toBe(16 * 1024);

    // Act
    const res = await call(
      h.refreshSession,
      httpEvent({
        method: 'POST',
        path: '/sessions/refresh',
        rawBody,
        headers: { 'content-type': 'application/json' },
      }),
    );

    // Assess
    expectProblem(res, 'validation_failed', { errors: [{ field: 'refreshToken', message: 'is too long' }] });
  });

  test('a base64-encoded body is measured decoded', async () => {
    // Prepare: 16 KiB + 1 decoded is about 21.8 KB encoded; 12 KiB decoded is 16 KiB encoded
    const small = Buffer.from(JSON.stringify({ refreshToken: 'unknown', pad: 'x'.repeat(12 * 1024 - 40) }));
    const event = {
      ...httpEvent({
        method: 'POST',
        path: '/sessions/refresh',
        headers: { 'content-type': 'application/json' },
      }),
      body: small.toString('base64'),
      isBase64Encoded: true,
    };

    // Act
    const res = await call(h.refreshSession, event);

    // Assess: not 413; the body decoded fine and failed validation on the extra member
    expectProblem(res, 'validation_failed', { errors: [{ field: 'pad', message: 'is not allowed' }] });
  });
});

describe('400 malformed_json', () => {
  const bad: [string, string][] = [
    ['truncated', '{"email":'],
    ['single quotes', "{'email':'a@b.co'}"],
    ['a trailing comma', '{"refreshToken":"x",}'],
    ['a bare word', 'hello'],
    ['two documents', '{} {}'],
  ];
  const table = ENDPOINTS.flatMap((name) => bad.map(([label, rawBody]) => [name, label, rawBody] as const));

  test.each(table)('%s with %s JSON', async (name, _, rawBody) => {
    // Prepare
    const { handler, input } = endpoint(name);

    // Act
    const res = await call(
      handler,
      httpEvent({ ...input, rawBody, headers: { 'content-type': 'application/json' } }),
    );

    // Assess
    expectProblem(res, 'malformed_json');
  });

  test.each(ENDPOINTS)('%s with invalid UTF-8 (base64-encoded body)', async (name) => {
    // Prepare: {"name":"<0xff>"} — 0xff never occurs in UTF-8
    const { handler, input } = endpoint(name);
    const bytes = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const event = {
      ...httpEvent({ ...input, headers: { 'content-type': 'application/json' } }),
      body: bytes.toString('base64'),
      isBase64Encoded: true,
    };

    // Act
    const res = await call(handler, event);

    // Assess
    expectProblem(res, 'malformed_json');
  });

  test('valid UTF-8 in a base64-encoded body is decoded', async () => {
    // Prepare
    const event = {
      ...httpEvent({
        method: 'POST',
        path: '/sessions/refresh',
        headers: { 'content-type': 'application/json' },
      }),
      body: Buffer.from(JSON.stringify({ refreshToken: 'ünknown' })).toString('base64'),
      isBase64Encoded: true,
    };

    // Act
    const res = await call(h.refreshSession, event);

    // Assess
    expect([res.status, res.body.code]).toEqual([401, 'invalid_refresh_token']);
  });
});

describe('400 validation_failed', () => {
  const nonObjects: [string, string][] = [
    ['an array', '[]'],
    ['an array of the right object', '[{"email":"a@b.co","password":"x"}]'],
    ['null', 'null'],
    ['a number', '42'],
    ['a string', '"hello"'],
    ['true', 'true'],
  ];
  const table = ENDPOINTS.flatMap((name) =>
    nonObjects.map(([label, rawBody]) => [name, label, rawBody] as const),
  );

  test.each(table)('%s with %s as the body', async (name, _, rawBody) => {
    // Prepare
    const { handler, input } = endpoint(name);

    // Act
    const res = await call(
      handler,
      httpEvent({ ...input, rawBody, headers: { 'content-type': 'application/json' } }),
    );

    // Assess
    expectProblem(res, 'validation_failed', {
      errors: [{ field: '(body)', message: 'must be a JSON object' }],
    });
  });

  test.each(ENDPOINTS)('%s with unknown fields names each of them', async (name) => {
    // Prepare
    const { handler, input, body } = endpoint(name);
    const sneaky = {
      ...body,
      id: 'usr_admin',
      passwordHash: '$argon2id$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA',
      createdAt: 0,
    };

    // Act
    const res = await call(handler, httpEvent({ ...input, body: sneaky }));

    // Assess
    expectProblem(res, 'validation_failed', {
      errors: [
        { field: 'id', message: 'is not allowed' },
        { field: 'passwordHash', message: 'is not allowed' },
        { field: 'createdAt', message: 'is not allowed' },
      ],
    });
  });

  test('a __proto__ member is an unknown field, not a prototype', async () => {
    // Act
    const res = await call(
      h.register,
      httpEvent({
        method: 'POST',
        path: '/users',
        rawBody: `{"name":"Ada","email":"${uniqueEmail('proto')}","password":"${PASSWORD}","__proto__":{"isAdmin":true}}`,
        headers: { 'content-type': 'application/json' },
      }),
    );

    // Assess
    expectProblem(res, 'validation_failed', { errors: [{ field: '__proto__', message: 'is not allowed' }] });
  });

  test.each([
    [
      'POST /users',
      { name: 'A', email: 'ada@example.com', password: PASSWORD, confirmPassword: PASSWORD },
      'confirmPassword',
    ],
  ])('%s: the body is not echoed, only field names', async (_, body, field) => {
    const res = await call(h.register, httpEvent({ method: 'POST', path: '/users', body }));
    expectProblem(res, 'validation_failed', { errors: [{ field, message: 'is not allowed' }] });
    expect(JSON.stringify(res)).not.toContain(PASSWORD);
  });

  test('an empty body on an endpoint that needs one is validation_failed (no Content-Type needed)', async () => {
    const res = await call(h.login, httpEvent({ method: 'POST', path: '/sessions', rawBody: '' }));
    expectProblem(res, 'validation_failed', { errors: [{ field: '(body)', message: expect.any(String) }] });
  });

  test('every problem of a register body is listed at once', async () => {
    // Act
    const res = await invoke(h.register, {
      method: 'POST',
      path: '/users',
      body: { name: ' ', email: 'not-an-email', password: 'p'.repeat(257) },
    });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { field: 'name', message: 'must not be empty' },
      { field: 'email', message: 'must be a valid email address' },
      { field: 'password', message: 'must be at most 256 characters' },
    ]);
  });
});

describe('password policy on register and password change', () => {
  test.each<[string, (email: string) => Record<string, string>, string]>([
    [
      'a common password',
      (e) => ({ name: 'Ada', email: e, password: 'qwerty123456' }),
      'is too common; choose a less predictable password',
    ],
    [
      'a common password in capitals',
      (e) => ({ name: 'Ada', email: e, password: 'QWERTY123456' }),
      'is too common; choose a less predictable password',
    ],
    ['the email', (e) => ({ name: 'Ada', email: e, password: e }), 'must not be your email or name'],
    [
      'the email in capitals',
      (e) => ({ name: 'Ada', email: e, password: e.toUpperCase() }),
      'must not be your email or name',
    ],
    [
      'the name',
      (e) => ({ name: 'Augusta Ada King', email: e, password: 'augusta ada king' }),
      'must not be your email or name',
    ],
    [
      '11 characters',
      (e) => ({ name: 'Ada', email: e, password: 'tr0ub4dor&3' }),
      'must be at least 12 characters',
    ],
  ])('POST /users with %s → 400 naming password', async (_, bodyFor, message) => {
    // Prepare
    const address = uniqueEmail('policy');

    // Act
    const res = await call(h.register, httpEvent({ method: 'POST', path: '/users', body: bodyFor(address) }));

    // Assess
    expectProblem(res, 'validation_failed', { errors: [{ field: 'password', message }] });
    const login = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: address, password: 'x' },
    });
    expect(login.body.code).toBe('invalid_credentials');
  });

  test.each<[string, (email: string) => string, string]>([
    ['a common password', () => '1q2w3e4r5t6y', 'is too common; choose a less predictable password'],
    ['the email', (e) => e, 'must not be your email or name'],
    ['too short', () => 'short', 'must be at least 12 characters'],
  ])('PUT /users/me/password with %s → 400 naming newPassword', async (_, newPasswordFor, message) => {
    // Prepare
    const user = await signUp(h.register, { tag: 'policy-put' });

    // Act
    const res = await call(
      h.changePassword,
      httpEvent({
        method: 'PUT',
        path: '/users/me/password',
        token: user.token,
        body: { currentPassword: PASSWORD, newPassword: newPasswordFor(user.email) },
      }),
    );

    // Assess
    expectProblem(res, 'validation_failed', { errors: [{ field: 'newPassword', message }] });
  });
});

describe('401 unauthorized', () => {
  const authEndpoints = () =>
    [
      ['GET /users/me', h.getProfile, { method: 'GET', path: '/users/me' }],
      ['PATCH /users/me', h.updateProfile, { method: 'PATCH', path: '/users/me', body: { name: 'X' } }],
      [
        'PUT /users/me/password',
        h.changePassword,
        {
          method: 'PUT',
          path: '/users/me/password',
          body: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase' },
        },
      ],
      [
        'DELETE /users/me',
        h.deleteAccount,
        { method: 'DELETE', path: '/users/me', body: { password: PASSWORD } },
      ],
      ['GET /sessions', h.listSessions, { method: 'GET', path: '/sessions' }],
      ['DELETE /sessions', h.revokeAllSessions, { method: 'DELETE', path: '/sessions' }],
      ['DELETE /sessions/current', h.logout, { method: 'DELETE', path: '/sessions/current' }],
      [
        'DELETE /sessions/{id}',
        h.revokeSession,
        {
          method: 'DELETE',
          path: '/sessions/ses_AAAAAAAAAAAAAAAAAAAAAA',
          pathParameters: { id: 'ses_AAAAAAAAAAAAAAAAAAAAAA' },
        },
      ],
    ] as [string, HttpHandler, EventInput][];
  const names = authEndpoints().map(([name]) => name);
  const auth = (name: string) => {
    const found = authEndpoints().find(([n]) => n === name);
    if (!found) throw new Error(name);
    return { handler: found[1], input: found[2] };
  };

  const variations: [string, Record<string, string>, string][] = [
    ['no Authorization header', {}, 'Bearer'],
    ['an empty Authorization header', { authorization: '' }, 'Bearer'],
    ['a garbage bearer token', { authorization: 'Bearer garbage' }, 'Bearer error="invalid_token"'],
    ['a JWT-shaped garbage token', { authorization: 'Bearer aaa.bbb.ccc' }, 'Bearer error="invalid_token"'],
    ['"Bearer" and nothing else', { authorization: 'Bearer' }, 'Bearer error="invalid_token"'],
  ];
  const table = names.flatMap((name) =>
    variations.map(([label, headers, challenge]) => [name, label, headers, challenge] as const),
  );

  test.each(table)('%s with %s', async (name, _, headers, challenge) => {
    // Prepare
    const { handler, input } = auth(name);

    // Act
    const res = await call(handler, httpEvent({ ...input, headers }));

    // Assess
    expectProblem(res, 'unauthorized', { headers: { 'www-authenticate': challenge } });
  });

  test.each(names)('%s with Basic credentials', async (name) => {
    // Prepare
    const { handler, input } = auth(name);
    const basic = `Basic ${Buffer.from(`${email}:${PASSWORD}`).toString('base64')}`;

    // Act
    const res = await call(handler, httpEvent({ ...input, headers: { authorization: basic } }));

    // Assess: refused; RFC 6750 §3.1 would leave out error="invalid_token" here (no bearer token was sent)
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'unauthorized' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer( error="invalid_token")?$/);
    expect(JSON.stringify(res)).not.toContain(PASSWORD);
  });

  test.each(names)('%s ignores a valid token in the query string', async (name) => {
    // Prepare
    const { handler, input } = auth(name);
    const event = {
      ...httpEvent(input),
      rawQueryString: `access_token=${token}`,
      queryStringParameters: { access_token: token },
    };

    // Act
    const res = await call(handler, event);

    // Assess
    expectProblem(res, 'unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
  });

  test.each(names)('%s ignores a valid token in a cookie', async (name) => {
    const { handler, input } = auth(name);
    const res = await call(handler, { ...httpEvent(input), cookies: [`access_token=${token}`] });
    expectProblem(res, 'unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
  });

  test('an expired token → invalid_token', async () => {
    // Prepare: a service whose clock is 901 s ahead verifies a token issued now
    const later = testServices(
      { KEY_PREFIX: services.config.keyPrefix },
      { now: () => Date.now() + 901_000 },
    );

    // Act
    const res = await call(
      getProfile.createHandler(later),
      httpEvent({ method: 'GET', path: '/users/me', token }),
    );

    // Assess
    expectProblem(res, 'unauthorized', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
  });

  test("a token signed by another deployment's key → invalid_token", async () => {
    // Prepare
    const other = testServices({ JWT_PRIVATE_KEY: (await import('../support/app')).newSigningKey() });
    const { accessToken } = await other.tokens.issueAccessToken({ userId: 'usr_x', sessionId: 'ses_x' });

    // Act
    const res = await call(h.getProfile, httpEvent({ method: 'GET', path: '/users/me', token: accessToken }));

    // Assess
    expectProblem(res, 'unauthorized', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
  });

  test('the scheme is case-insensitive: "bearer <token>" works', async () => {
    const res = await call(
      h.getProfile,
      httpEvent({ method: 'GET', path: '/users/me', headers: { authorization: `bearer ${token}` } }),
    );
    expect(res.status).toBe(200);
  });

  test.each<[string, string, Record<string, string>]>([
    ['PATCH /users/me', 'text/plain body', { 'content-type': 'text/plain' }],
    ['PATCH /users/me', 'malformed JSON', { 'content-type': 'application/json' }],
    ['PUT /users/me/password', 'text/plain body', { 'content-type': 'text/plain' }],
    ['DELETE /users/me', 'malformed JSON', { 'content-type': 'application/json' }],
  ])('%s: the token is checked before the body (%s, no token → 401)', async (name, _, headers) => {
    // Prepare
    const { handler, input } = auth(name);

    // Act
    const res = await call(
      handler,
      httpEvent({ method: input.method, path: input.path, rawBody: '{not json', headers }),
    );

    // Assess
    expectProblem(res, 'unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
  });

  test('an oversized body without a token is 401, not 413', async () => {
    const res = await call(
      h.updateProfile,
      httpEvent({
        method: 'PATCH',
        path: '/users/me',
        rawBody: 'x'.repeat(20_000),
        headers: { 'content-type': 'application/json' },
      }),
    );
    expectProblem(res, 'unauthorized', { headers: { 'www-authenticate': 'Bearer' } });
  });

  test('a bad body with a garbage token is 401 invalid_token, not 400', async () => {
    const res = await call(
      h.deleteAccount,
      httpEvent({ method: 'DELETE', path: '/users/me', token: 'garbage', body: [] }),
    );
    expectProblem(res, 'unauthorized', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
  });
});

describe('the problem+json contract', () => {
  test('requestId is the Lambda context awsRequestId, and the body has exactly the documented members', async () => {
    // Prepare
    const context = { ...lambdaContext(), awsRequestId: 'c0ffee00-1111-2222-3333-444455556666' };

    // Act
    const res = await call(h.getProfile, httpEvent({ method: 'GET', path: '/users/me' }), context);

    // Assess
    expect(res.body).toEqual({
      type: 'urn:account-service:problem:unauthorized',
      title: 'Unauthorized',
      status: 401,
      detail: 'A valid access token is required.',
      code: 'unauthorized',
      requestId: 'c0ffee00-1111-2222-3333-444455556666',
    });
    expect(res.headers['content-type']).toBe('application/problem+json');
  });

  test('validation_failed adds errors, and only errors', async () => {
    // Prepare
    const context = lambdaContext();

    // Act
    const res = await call(
      h.login,
      httpEvent({ method: 'POST', path: '/sessions', body: { email: 'x' } }),
      context,
    );

    // Assess
    expect(res.body).toEqual({
      type: 'urn:account-service:problem:validation_failed',
      title: 'Validation failed',
      status: 400,
      detail: 'The request body is not valid.',
      code: 'validation_failed',
      requestId: context.awsRequestId,
      errors: [
        { field: 'email', message: 'must be a valid email address' },
        { field: 'password', message: 'is required' },
      ],
    });
  });

  test('two requests get two request ids', async () => {
    const a = await call(h.getProfile, httpEvent({ method: 'GET', path: '/users/me' }));
    const b = await call(h.getProfile, httpEvent({ method: 'GET', path: '/users/me' }));
    expect(a.body.requestId).not.toBe(b.body.requestId);
  });
});

describe('$default route (functions/not-found.ts)', () => {
  test.each([
    ['GET', '/nope'],
    ['POST', '/users/you'],
    ['GET', '/'],
    ['DELETE', '/sessions/ses_x/extra'],
  ])('%s %s → 404 not_found', async (method, path) => {
    const res = await call(h.notFound, httpEvent({ method, path }));
    expectProblem(res, 'not_found');
  });

  test.each([
    ['GET', '/users', 'POST'],
    ['PUT', '/users/me', 'GET, PATCH, DELETE'],
    ['POST', '/users/me/', 'GET, PATCH, DELETE'],
    ['GET', '/users/me/password', 'PUT'],
    ['PUT', '/sessions', 'GET, POST, DELETE'],
    ['GET', '/sessions/refresh', 'POST'],
    ['GET', '/sessions/ses_x', 'DELETE'],
    ['POST', '/.well-known/jwks.json', 'GET'],
  ])('%s %s → 405 with Allow: %s', async (method, path, allow) => {
    // Act
    const res = await call(h.notFound, httpEvent({ method, path }));

    // Assess
    expect(res.status).toBe(405);
    expect(res.body).toEqual({
      type: 'urn:account-service:problem:method_not_allowed',
      title: 'Method not allowed',
      status: 405,
      detail: `Allowed methods: ${allow}.`,
      code: 'method_not_allowed',
      requestId: res.requestId,
    });
    expect(res.headers).toMatchObject({
      allow,
      'content-type': 'application/problem+json',
      'x-content-type-options': 'nosniff',
    });
  });

  test('a body sent to an unknown path is not looked at', async () => {
    const res = await call(
      h.notFound,
      httpEvent({
        method: 'POST',
        path: '/nope',
        rawBody: '{bad',
        headers: { 'content-type': 'text/plain' },
      }),
    );
    expectProblem(res, 'not_found');
  });
});

describe('409 email_taken', () => {
  test.each([
    ['the same address', (e: string) => e],
    ['other case and padding', (e: string) => `  ${e.toUpperCase()} `],
    ['fullwidth letters (NFKC)', (e: string) => e.replace('example', 'ｅｘａｍｐｌｅ')],
  ])('registering %s again', async (_, variant) => {
    // Prepare
    const user = await signUp(h.register, { tag: 'dup' });

    // Act
    const res = await call(
      h.register,
      httpEvent({
        method: 'POST',
        path: '/users',
        body: { name: 'Copy', email: variant(user.email), password: 'another passphrase' },
      }),
    );

    // Assess
    expectProblem(res, 'email_taken');
  });

  test('PATCH to an email another account holds', async () => {
    // Prepare
    const [a, b] = [await signUp(h.register, { tag: 'holder' }), await signUp(h.register, { tag: 'mover' })];

    // Act
    const res = await call(
      h.updateProfile,
      httpEvent({
        method: 'PATCH',
        path: '/users/me',
        token: b.token,
        body: { email: a.email, currentPassword: PASSWORD },
      }),
    );

    // Assess
    expectProblem(res, 'email_taken');
    expect(
      (await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: b.token })).body.user.email,
    ).toBe(b.email);
  });
});

describe('403 current_password_incorrect', () => {
  test.each<[string, (e: string) => [HttpHandler, EventInput]]>([
    [
      'PATCH /users/me (email)',
      (e) => [
        h.updateProfile,
        {
          method: 'PATCH',
          path: '/users/me',
          body: { email: `new.${e}`, currentPassword: 'wrong password!' },
        },
      ],
    ],
    [
      'PATCH /users/me (name, wrong password sent)',
      () => [
        h.updateProfile,
        { method: 'PATCH', path: '/users/me', body: { name: 'N', currentPassword: 'wrong password!' } },
      ],
    ],
    [
      'PUT /users/me/password',
      () => [
        h.changePassword,
        {
          method: 'PUT',
          path: '/users/me/password',
          body: { currentPassword: 'wrong password!', newPassword: 'a brand new passphrase' },
        },
      ],
    ],
    [
      'DELETE /users/me',
      () => [h.deleteAccount, { method: 'DELETE', path: '/users/me', body: { password: 'wrong password!' } }],
    ],
    [
      'DELETE /users/me (password in other case)',
      () => [
        h.deleteAccount,
        { method: 'DELETE', path: '/users/me', body: { password: PASSWORD.toUpperCase() } },
      ],
    ],
  ])('%s', async (_, make) => {
    // Prepare
    const user = await signUp(h.register, { tag: 'wrongpw' });
    const [handler, input] = make(user.email);

    // Act
    const res = await call(handler, httpEvent({ ...input, token: user.token }));

    // Assess: refused, and nothing changed
    expectProblem(res, 'current_password_incorrect');
    const me = await invoke(h.getProfile, { method: 'GET', path: '/users/me', token: user.token });
    expect(me.body).toEqual({ user: user.user });
    const login = await invoke(h.login, {
      method: 'POST',
      path: '/sessions',
      body: { email: user.email, password: PASSWORD },
    });
    expect(login.status).toBe(200);
  });
});

describe('success headers', () => {
  test.each<[string, () => [HttpHandler, EventInput]]>([
    ['GET /users/me', () => [h.getProfile, { method: 'GET', path: '/users/me', token }]],
    [
      'PATCH /users/me',
      () => [h.updateProfile, { method: 'PATCH', path: '/users/me', token, body: { name: 'Error Tester' } }],
    ],
    ['GET /sessions', () => [h.listSessions, { method: 'GET', path: '/sessions', token }]],
    [
      'POST /sessions',
      () => [h.login, { method: 'POST', path: '/sessions', body: { email, password: PASSWORD } }],
    ],
  ])('%s: Cache-Control no-store, nosniff, JSON', async (_, make) => {
    // Prepare
    const [handler, input] = make();

    // Act
    const res = await call(handler, httpEvent(input));

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-type': 'application/json',
    });
  });

  test('the JWKS is cacheable and public keys only', async () => {
    // Act
    const res = await call(h.jwks, httpEvent({ method: 'GET', path: '/.well-known/jwks.json' }));

    // Assess
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'cache-control': 'public, max-age=300',
      'x-content-type-options': 'nosniff',
    });
    expect(res.body).toEqual({ keys: [publishedKeyShape()] });
  });

  test('204 responses carry no body and no JSON Content-Type', async () => {
    // Prepare
    const user = await signUp(h.register, { tag: 'nobody' });

    // Act
    const res = await call(
      h.logout,
      httpEvent({ method: 'DELETE', path: '/sessions/current', token: user.token }),
    );

    // Assess
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
