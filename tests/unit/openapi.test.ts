// The OpenAPI document (GET /openapi.json): a valid OpenAPI 3.1 document, with every route of the
// route table, every problem code of lib/errors.ts, and request-body schemas that accept and refuse
// what the handlers' zod schemas accept and refuse.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type * as z from 'zod/mini';
import { buildOpenApiDocument } from '../../build/openapi';
import { ROUTES } from '../../lib/routes';
import {
  ChangePasswordBody,
  DeleteAccountBody,
  LoginBody,
  RefreshBody,
  RegisterBody,
  UpdateProfileBody,
} from '../../lib/validation';

const root = join(__dirname, '../..');
// biome-ignore lint/suspicious/noExplicitAny: a JSON document, walked by path
type Json = any;
const document: Json = buildOpenApiDocument();

interface Validity {
  valid: boolean;
  errors?: unknown;
}

/**
 * Validates with @seriousme/openapi-schema-validator (the OpenAPI 3.1 schema, offline). The
 * package is ESM-only and jest runs CommonJS, so it runs in a child node.
 */
function validateOpenApi(spec: unknown): Validity {
  const script = `
    import { Validator } from '@seriousme/openapi-schema-validator';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const result = await new Validator().validate(JSON.parse(input));
    process.stdout.write(JSON.stringify(result));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    input: JSON.stringify(spec),
    encoding: 'utf8',
  });
  return JSON.parse(output) as Validity;
}

/** Every problem code the contract names: its endpoint table, then "other codes any endpoint may return". */
/** Version 3: what an account without a password meets where a password is asked for. */
const REAUTH = 'reauthentication_required';

const API_MD_CODES = [
  'redirect_uri_not_allowed',
  'oauth_state_invalid',
  'oauth_code_invalid',
  'reauthentication_required',
  'last_sign_in_method',
  'validation_failed',
  // Version 3, "Running it in production": an operator disabled the account.
  'account_disabled',
  'email_taken',
  'rate_limited',
  'invalid_credentials',
  'invalid_refresh_token',
  'unauthorized',
  'not_found',
  'current_password_incorrect',
  'payload_too_large',
  'unsupported_media_type',
  'malformed_json',
  'service_unavailable',
  'internal_error',
  'method_not_allowed',
  'link_invalid',
  'email_not_verified',
  'already_verified',
  'mfa_required',
  'mfa_failed',
  'totp_already_enabled',
  'totp_code_invalid',
  'totp_not_pending',
  'passkey_invalid',
  'sign_in_code_invalid',
  'origin_not_allowed',
];

/** The problem codes an operation documents, from its (possibly shared) responses. */
function documentedCodes(path: string, method: string): string[] {
  const codes: string[] = [];
  const collect = (schema: Json): void => {
    if (!schema || typeof schema !== 'object') return;
    if (schema.$ref?.startsWith('#/components/schemas/')) {
      const target = document.components.schemas[schema.$ref.split('/').pop()];
      if (target.properties?.code?.const) codes.push(target.properties.code.const);
      return;
    }
    if (schema.properties?.code?.enum) codes.push(...schema.properties.code.enum);
    for (const variant of [...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) collect(variant);
  };
  for (const response of Object.values<Json>(document.paths[path][method].responses)) {
    const resolved = response.$ref ? document.components.responses[response.$ref.split('/').pop()] : response;
    collect(resolved.content?.['application/problem+json']?.schema);
  }
  return codes.sort();
}

/** JSON Schema 2020-12 with formats, holding the document's schemas under their `$ref` paths. */
function compiler(strict: boolean): Ajv2020 {
  const ajv = addFormats(new Ajv2020({ strict, strictRequired: false, allErrors: true }));
  ajv.addKeyword('components');
  ajv.addSchema({ $id: 'openapi.json', components: { schemas: document.components.schemas } });
  return ajv;
}

const BODY = ['validation_failed', 'malformed_json', 'payload_too_large', 'unsupported_media_type'];
// A disabled account is refused by every authenticated request's session check.
const BEARER = ['unauthorized', 'account_disabled'];
const ALWAYS = ['service_unavailable', 'internal_error'];
/** The cookie transport's CSRF gate, on every route that issues, rotates or clears the cookie. */
const COOKIE = ['origin_not_allowed'];

describe('the OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document', () => {
    // Act
    const result = validateOpenApi(document);

    // Assess
    expect(document.openapi).toMatch(/^3\.1\./);
    expect(result).toEqual({ valid: true });
  });

  test('the validator does refuse a broken document', () => {
    const broken = { ...document, paths: { '/users': { post: { responses: { 201: {} } } } } };
    expect(validateOpenApi(broken).valid).toBe(false);
  });

  test('every schema in it compiles as JSON Schema 2020-12 in strict mode', () => {
    const ajv = compiler(true);
    for (const id of Object.keys(document.components.schemas)) {
      expect(() => ajv.compile({ $ref: `openapi.json#/components/schemas/${id}` })).not.toThrow();
    }
  });

  test('has every route of the route table, and nothing else', () => {
    const documented = Object.entries<Record<string, unknown>>(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    const routed = ROUTES.map((route) => `${route.method} ${route.path}`).sort();
    expect(documented).toEqual(routed);
  });

  test('names every problem code of the contract', () => {
    expect([...document.components.schemas.ErrorCode.enum].sort()).toEqual([...API_MD_CODES].sort());
    expect(document.components.schemas.Problem.properties.code).toEqual({
      $ref: '#/components/schemas/ErrorCode',
    });
    expect(document.components.schemas.ValidationProblem.properties.code.const).toBe('validation_failed');
    expect(document.components.schemas.MfaRequiredProblem.properties.code.const).toBe('mfa_required');
    expect(document.components.schemas.MfaRequiredProblem.required).toEqual(
      expect.arrayContaining(['mfaToken', 'methods']),
    );
  });

  test.each([
    ['/users', 'post', [...BODY, ...COOKIE, 'email_taken', 'rate_limited']],
    [
      '/sessions',
      'post',
      [
        ...BODY,
        ...COOKIE,
        'invalid_credentials',
        'email_not_verified',
        'account_disabled',
        'mfa_required',
        'rate_limited',
      ],
    ],
    ['/sessions/mfa', 'post', [...BODY, ...COOKIE, 'mfa_failed', 'account_disabled', 'rate_limited']],
    ['/users/me/security', 'get', BEARER],
    [
      '/users/me/passkeys/options',
      'post',
      [
        ...BODY,
        ...BEARER,
        'current_password_incorrect',
        'reauthentication_required',
        'email_not_verified',
        'rate_limited',
      ],
    ],
    ['/users/me/passkeys', 'post', [...BODY, ...BEARER, 'passkey_invalid', 'email_not_verified']],
    ['/users/me/passkeys', 'get', BEARER],
    [
      '/users/me/passkeys/{passkeyId}',
      'delete',
      [...BODY, ...BEARER, 'current_password_incorrect', 'not_found', 'rate_limited', REAUTH],
    ],
    ['/sessions/passkey/options', 'post', ['rate_limited']],
    [
      '/sessions/passkey',
      'post',
      [...BODY, ...COOKIE, 'passkey_invalid', 'email_not_verified', 'account_disabled', 'rate_limited'],
    ],
    [
      '/users/me/totp',
      'post',
      [
        ...BODY,
        ...BEARER,
        'current_password_incorrect',
        'email_not_verified',
        'totp_already_enabled',
        'rate_limited',
        REAUTH,
      ],
    ],
    [
      '/users/me/totp/confirm',
      'post',
      [...BODY, ...BEARER, 'totp_code_invalid', 'email_not_verified', 'totp_not_pending', 'rate_limited'],
    ],
    [
      '/users/me/totp',
      'delete',
      [
        ...BODY,
        ...BEARER,
        'totp_code_invalid',
        'current_password_incorrect',
        'not_found',
        'rate_limited',
        REAUTH,
      ],
    ],
    [
      '/users/me/recovery-codes',
      'post',
      [
        ...BODY,
        ...BEARER,
        'totp_code_invalid',
        'current_password_incorrect',
        'not_found',
        'rate_limited',
        REAUTH,
      ],
    ],
    ['/users/me/email-verification', 'post', [...BEARER, 'already_verified', 'rate_limited']],
    ['/email-verification', 'post', [...BODY, 'link_invalid', 'email_taken']],
    ['/email-changes/revert', 'post', [...BODY, 'link_invalid', 'email_taken']],
    ['/password-resets', 'post', [...BODY, 'rate_limited']],
    ['/password-resets/confirm', 'post', [...BODY, ...COOKIE, 'link_invalid']],
    ['/sessions/refresh', 'post', [...BODY, ...COOKIE, 'invalid_refresh_token', 'account_disabled']],
    ['/sessions', 'get', BEARER],
    ['/sessions/current', 'delete', [...BEARER, ...COOKIE]],
    ['/sessions/{id}', 'delete', [...BEARER, 'not_found']],
    ['/sessions', 'delete', [...BEARER, ...COOKIE]],
    ['/users/me', 'get', BEARER],
    ['/users/me/export', 'get', BEARER],
    // A password-checked endpoint answers 429 while the account's back-off lasts.
    [
      '/users/me',
      'patch',
      [...BODY, ...BEARER, 'current_password_incorrect', 'email_taken', 'rate_limited', REAUTH],
    ],
    ['/users/me/password', 'put', [...BODY, ...BEARER, 'current_password_incorrect', 'rate_limited', REAUTH]],
    [
      '/users/me',
      'delete',
      [...BODY, ...BEARER, ...COOKIE, 'current_password_incorrect', 'rate_limited', REAUTH],
    ],
    // Social log-in (version 3).
    ['/oauth/providers', 'get', []],
    [
      '/oauth/{provider}/start',
      'post',
      [...BODY, 'redirect_uri_not_allowed', 'unauthorized', 'not_found', 'rate_limited'],
    ],
    ['/oauth/{provider}/callback', 'get', ['validation_failed', 'oauth_state_invalid', 'not_found']],
    [
      '/oauth/{provider}/callback',
      'post',
      [
        'validation_failed',
        'oauth_state_invalid',
        'not_found',
        'payload_too_large',
        'unsupported_media_type',
      ],
    ],
    [
      '/sessions/oauth',
      'post',
      [...BODY, ...COOKIE, 'oauth_code_invalid', 'account_disabled', 'mfa_required'],
    ],
    ['/users/me/identities', 'get', BEARER],
    ['/users/me/identities/{identityId}', 'delete', [...BEARER, 'not_found', 'last_sign_in_method']],
    ['/.well-known/jwks.json', 'get', []],
    ['/.well-known/openid-configuration', 'get', []],
    ['/openapi.json', 'get', []],
  ])('%s %s documents exactly the problem codes the contract gives it', (path, method, codes) => {
    expect(documentedCodes(path, method)).toEqual([...codes, ...ALWAYS].sort());
  });

  test('bearer endpoints require the bearer JWT scheme; the others need nothing', () => {
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    for (const [path, operations] of Object.entries<Record<string, Json>>(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        // The root requires the bearer token; public operations opt out with `security: []`.
        const bearer = documentedCodes(path, method).includes('unauthorized');
        // Optional authentication (a social sign-in's start links when a token is sent): either.
        const optional = path === '/oauth/{provider}/start';
        expect([`${method} ${path}`, operation.security]).toEqual([
          `${method} ${path}`,
          optional ? [{}, { bearerAuth: [] }] : bearer ? undefined : [],
        ]);
      }
    }
  });

  test('every operation documents API Gateway’s throttling: 429 `{"message": "Too Many Requests"}` as JSON', () => {
    const ajv = compiler(false);
    const throttled = ajv.compile({ $ref: 'openapi.json#/components/schemas/GatewayThrottled' });
    expect(throttled({ message: 'Too Many Requests' })).toBe(true);
    expect(throttled({})).toBe(false);
    for (const [path, operations] of Object.entries<Record<string, Json>>(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = operation.responses['429'].$ref.split('/').pop();
        const { content } = document.components.responses[name];
        expect([`${method} ${path}`, content['application/json']]).toEqual([
          `${method} ${path}`,
          { schema: { $ref: '#/components/schemas/GatewayThrottled' } },
        ]);
        // An operation that can answer `rate_limited` documents both answers in its one 429.
        const rateLimited = documentedCodes(path, method).includes('rate_limited');
        expect(Object.keys(content).sort()).toEqual(
          rateLimited ? ['application/json', 'application/problem+json'] : ['application/json'],
        );
      }
    }
  });

  test('GET /openapi.json documents an OpenAPI document, and this one is one', () => {
    const schema = document.paths['/openapi.json'].get.responses['200'].content['application/json'].schema;
    const validate = compiler(false).compile({ ...schema, $ref: `openapi.json${schema.$ref}` });
    expect(document.components.schemas.OpenApiDocument.required).toEqual(['openapi', 'info', 'paths']);
    expect(validate(document)).toBe(true);
    expect(validate({ openapi: '3.1.1', info: { title: 'x', version: '1' } })).toBe(false);
  });

  test.each([
    'VerifyEmailBody',
    'RevertEmailChangeBody',
    'PasswordResetConfirmBody',
    'EmailSignInConfirmBody',
  ])('%s: the mailed link’s token is documented as `<id>.<secret>`, with its dot', (body) => {
    expect(document.components.schemas[body].properties.token.description).toMatch(
      /`<id>\.<secret>`, two base64url parts joined by a dot/,
    );
  });

  test('is deterministic', () => {
    expect(JSON.stringify(buildOpenApiDocument())).toBe(JSON.stringify(document));
  });
});

describe('request-body schemas agree with the handlers’ zod schemas', () => {
  const ajv = compiler(false);
  const documented = (id: string) => ajv.compile({ $ref: `openapi.json#/components/schemas/${id}` });
  const PASSWORD = 'correct horse battery staple';

  const HANDLER_SCHEMAS: Record<string, z.ZodMiniType> = {
    RegisterBody,
    LoginBody,
    RefreshBody,
    UpdateProfileBody,
    ChangePasswordBody,
    DeleteAccountBody,
  };

  test.each<[string, unknown]>([
    ['RegisterBody', { name: 'Ada', email: 'ada@example.com', password: PASSWORD }],
    ['RegisterBody', { name: 'Ada', email: 'ada@example.com' }],
    ['RegisterBody', { name: 'Ada', email: 'ada@example.com', password: PASSWORD, id: 'x' }],
    ['RegisterBody', { name: '', email: 'ada@example.com', password: PASSWORD }],
    ['RegisterBody', { name: 'x'.repeat(101), email: 'ada@example.com', password: PASSWORD }],
    ['RegisterBody', { name: `A${'😀'.repeat(99)}`, email: 'ada@example.com', password: PASSWORD }],
    ['RegisterBody', { name: 'Ada', email: 'not an email', password: PASSWORD }],
    ['RegisterBody', { name: 'Ada', email: 'ada@example.com', password: 'x'.repeat(257) }],
    ['RegisterBody', { name: 7, email: 'ada@example.com', password: PASSWORD }],
    ['RegisterBody', []],
    ['LoginBody', { email: 'ada@example.com', password: PASSWORD }],
    ['LoginBody', { email: 'ada@example.com', password: '' }],
    ['LoginBody', { email: 'ada@example.com', password: PASSWORD, remember: true }],
    ['RefreshBody', { refreshToken: 'abc' }],
    ['RefreshBody', { refreshToken: '' }],
    ['RefreshBody', { refreshToken: 'x'.repeat(513) }],
    ['UpdateProfileBody', { name: 'Ada King' }],
    ['UpdateProfileBody', {}],
    ['UpdateProfileBody', { currentPassword: PASSWORD }],
    ['UpdateProfileBody', { email: 'new@example.com' }],
    ['UpdateProfileBody', { email: 'new@example.com', currentPassword: PASSWORD }],
    ['UpdateProfileBody', { name: 'Ada', passwordHash: 'x' }],
    ['ChangePasswordBody', { currentPassword: PASSWORD, newPassword: `${PASSWORD}!` }],
    ['ChangePasswordBody', { newPassword: `${PASSWORD}!` }],
    ['DeleteAccountBody', { password: PASSWORD }],
    ['DeleteAccountBody', { password: PASSWORD, force: true }],
  ])('%s: %j', (id, body) => {
    expect(documented(id)(body)).toBe((HANDLER_SCHEMAS[id] as z.ZodMiniType).safeParse(body).success);
  });
});
