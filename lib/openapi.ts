import * as z from 'zod/mini';
import { version } from '../package.json';
import {
  type AppError,
  CurrentPasswordIncorrectError,
  EmailTakenError,
  InternalError,
  InvalidCredentialsError,
  InvalidRefreshTokenError,
  MalformedJsonError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors';
import { MAX_BODY_BYTES } from './request-body';
import * as resources from './resources';
import {
  ChangePasswordBody,
  DeleteAccountBody,
  Email,
  LoginBody,
  Name,
  Password,
  PresentedPassword,
  RefreshBody,
  RegisterBody,
  SessionId,
  UpdateProfileBody,
} from './validation';

// The OpenAPI 3.1 document of API.md, generated from the zod schemas the handlers validate with
// (lib/validation.ts) and the resource schemas (lib/resources.ts), so it cannot drift from them.
// Converting schemas costs bundle size and cold-start time, so it never runs in a Lambda:
// esbuild.config.mjs calls `buildOpenApiDocument()` at build time, writes dist/openapi.json, and
// swaps this module, in the `openapi` bundle, for a reader of that JSON shipped beside it.

type JsonSchema = Record<string, unknown>;

/** One instance of each error a client can see: the single source of codes, statuses and titles. */
export const PROBLEMS = {
  validationFailed: new ValidationError([]),
  malformedJson: new MalformedJsonError(),
  unauthorized: new UnauthorizedError(true),
  invalidCredentials: new InvalidCredentialsError(),
  invalidRefreshToken: new InvalidRefreshTokenError(),
  currentPasswordIncorrect: new CurrentPasswordIncorrectError(),
  notFound: new NotFoundError(),
  methodNotAllowed: new MethodNotAllowedError(['GET']),
  emailTaken: new EmailTakenError(),
  payloadTooLarge: new PayloadTooLargeError(MAX_BODY_BYTES),
  unsupportedMediaType: new UnsupportedMediaTypeError(['application/json']),
  rateLimited: new RateLimitedError(1),
  serviceUnavailable: new ServiceUnavailableError(),
  internal: new InternalError(),
} satisfies Record<string, AppError>;

const ALL_CODES = Object.values(PROBLEMS).map((p) => p.code);
const OTHER_CODES = ALL_CODES.filter((code) => code !== 'validation_failed') as [string, ...string[]];

/**
 * JSON Schema keywords that the zod schemas check with refinements (code-point lengths, the
 * email validator), which `toJSONSchema` cannot see. Lengths in JSON Schema count code points,
 * as the refinements do.
 */
const FIELD_DOCS = new Map<unknown, JsonSchema>([
  [
    Name,
    {
      minLength: 1,
      maxLength: 100,
      description: 'Trimmed; 1–100 characters (Unicode code points); no control characters.',
      examples: ['Ada Lovelace'],
    },
  ],
  [
    Email,
    {
      maxLength: 254,
      format: 'email',
      description: 'Compared and returned in canonical form: trimmed, Unicode NFKC, lower case.',
      examples: ['ada@example.com'],
    },
  ],
  [
    Password,
    {
      maxLength: 256,
      description:
        'Never trimmed. At least PASSWORD_MIN_LENGTH (default 12) and at most 256 characters (Unicode ' +
        'code points); not a common password; not equal to the email or the name (case-insensitive).',
    },
  ],
  [PresentedPassword, { maxLength: 256, description: 'The current password, exactly as set.' }],
  [
    UpdateProfileBody,
    {
      description:
        'A JSON merge patch (RFC 7396): at least one of `name`, `email`; changing `email` needs `currentPassword`.',
      anyOf: [{ required: ['name'] }, { required: ['email'] }],
      dependentRequired: { email: ['currentPassword'] },
    },
  ],
]);

/** Converts every schema of `schemas` under its key, with `$ref`s between them into `components.schemas`. */
function convert(schemas: Record<string, z.ZodMiniType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const converted = z.toJSONSchema(registry, {
    io,
    uri: (id) => `#/components/schemas/${id}`,
    override: ({ zodSchema, jsonSchema }) => {
      Object.assign(jsonSchema, FIELD_DOCS.get(zodSchema));
    },
  }).schemas as Record<string, JsonSchema>;
  return Object.fromEntries(
    Object.entries(converted).map(([id, { $schema: _, $id: __, ...schema }]) => [id, schema]),
  );
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

const REQUEST_BODIES = {
  RegisterBody,
  LoginBody,
  RefreshBody,
  UpdateProfileBody,
  ChangePasswordBody,
  DeleteAccountBody,
};
type RequestBodyId = keyof typeof REQUEST_BODIES;

const RESPONSES = {
  User: resources.User,
  Session: resources.Session,
  SessionSummary: resources.SessionSummary,
  UserAndSession: resources.UserAndSession,
  SessionEnvelope: resources.SessionEnvelope,
  UserEnvelope: resources.UserEnvelope,
  SessionList: resources.SessionList,
  PublicJwk: resources.PublicJwk,
  Jwks: resources.Jwks,
  FieldError: resources.FieldError,
  Problem: resources.problem(OTHER_CODES),
  ValidationProblem: resources.ValidationProblem,
};
type ResponseId = keyof typeof RESPONSES;

const header = (description: string, schema: JsonSchema = { type: 'string' }) => ({ description, schema });

/** Headers a problem response carries besides its body (lib/errors.ts sets them). */
const PROBLEM_HEADERS: Record<string, Record<string, ReturnType<typeof header>>> = {
  unauthorized: {
    'WWW-Authenticate': header('`Bearer`, or `Bearer error="invalid_token"` when a token was sent.'),
  },
  rate_limited: { 'Retry-After': header('Seconds to wait.', { type: 'integer', minimum: 0 }) },
  service_unavailable: { 'Retry-After': header('Seconds to wait.', { type: 'integer', minimum: 0 }) },
  method_not_allowed: { Allow: header('The methods the path supports.') },
};

/** The `responses` entry for the problems of one status: each code narrowed to what it can be here. */
function problemResponse(problems: AppError[]) {
  const status = problems[0]?.statusCode as number;
  const codes = problems.map((p) => p.code);
  const others = codes.filter((code) => code !== 'validation_failed');
  const plain =
    others.length === 0
      ? []
      : [{ allOf: [ref('Problem'), { properties: { status: { const: status }, code: { enum: others } } }] }];
  const variants = [...(codes.includes('validation_failed') ? [ref('ValidationProblem')] : []), ...plain];
  const headers = Object.assign({}, ...codes.map((code) => PROBLEM_HEADERS[code] ?? {}));
  return {
    description: problems.map((p) => `\`${p.code}\`: ${p.title}.`).join(' '),
    ...(Object.keys(headers).length ? { headers } : {}),
    content: {
      'application/problem+json': { schema: variants.length === 1 ? variants[0] : { oneOf: variants } },
    },
  };
}

interface Success {
  status: number;
  description: string;
  body?: ResponseId;
  headers?: Record<string, ReturnType<typeof header>>;
}

interface Operation {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  auth: boolean;
  body?: RequestBodyId;
  mergePatch?: boolean;
  success: Success;
  /** The codes particular to this endpoint (API.md's table); the shared ones are added below. */
  problems: AppError[];
  pathParameters?: Record<string, JsonSchema>;
}

const P = PROBLEMS;
const NO_STORE = { 'Cache-Control': header('`no-store`: tokens and profiles are never cached.') };
const CACHEABLE = { 'Cache-Control': header('`public, max-age=300`.') };

/** API.md's endpoint table. */
const OPERATIONS: Operation[] = [
  {
    method: 'post',
    path: '/users',
    operationId: 'register',
    summary: 'Register: create an account and log it in',
    tags: ['users'],
    auth: false,
    body: 'RegisterBody',
    success: {
      status: 201,
      description: 'The new user and its first session.',
      body: 'UserAndSession',
      headers: { Location: header('`/users/me`.'), ...NO_STORE },
    },
    problems: [P.emailTaken, P.rateLimited],
  },
  {
    method: 'post',
    path: '/sessions',
    operationId: 'login',
    summary: 'Log in: open a new session',
    tags: ['sessions'],
    auth: false,
    body: 'LoginBody',
    success: {
      status: 200,
      description: 'The user and the new session.',
      body: 'UserAndSession',
      headers: NO_STORE,
    },
    problems: [P.invalidCredentials, P.rateLimited],
  },
  {
    method: 'post',
    path: '/sessions/refresh',
    operationId: 'refreshSession',
    summary: 'Trade a refresh token for a new token pair (the old refresh token is spent)',
    tags: ['sessions'],
    auth: false,
    body: 'RefreshBody',
    success: { status: 200, description: 'The new token pair.', body: 'SessionEnvelope', headers: NO_STORE },
    problems: [P.invalidRefreshToken],
  },
  {
    method: 'get',
    path: '/sessions',
    operationId: 'listSessions',
    summary: "List the caller's sessions, the current one marked",
    tags: ['sessions'],
    auth: true,
    success: {
      status: 200,
      description: 'Most recently used first.',
      body: 'SessionList',
      headers: NO_STORE,
    },
    problems: [],
  },
  {
    method: 'delete',
    path: '/sessions/current',
    operationId: 'logout',
    summary: "Log out: revoke the caller's session",
    tags: ['sessions'],
    auth: true,
    success: { status: 204, description: 'Logged out.' },
    problems: [],
  },
  {
    method: 'delete',
    path: '/sessions/{id}',
    operationId: 'revokeSession',
    summary: "Revoke one of the caller's sessions",
    tags: ['sessions'],
    auth: true,
    success: { status: 204, description: 'Revoked.' },
    problems: [P.notFound],
    pathParameters: { id: z.toJSONSchema(SessionId) as JsonSchema },
  },
  {
    method: 'delete',
    path: '/sessions',
    operationId: 'revokeAllSessions',
    summary: 'Log out everywhere: revoke every session of the caller',
    tags: ['sessions'],
    auth: true,
    success: { status: 204, description: 'Every session revoked.' },
    problems: [],
  },
  {
    method: 'get',
    path: '/users/me',
    operationId: 'getProfile',
    summary: "The caller's profile",
    tags: ['users'],
    auth: true,
    success: { status: 200, description: 'The user.', body: 'UserEnvelope', headers: NO_STORE },
    problems: [],
  },
  {
    method: 'patch',
    path: '/users/me',
    operationId: 'updateProfile',
    summary: 'Change the name and/or email (merge patch)',
    tags: ['users'],
    auth: true,
    body: 'UpdateProfileBody',
    mergePatch: true,
    success: { status: 200, description: 'The updated user.', body: 'UserEnvelope', headers: NO_STORE },
    problems: [P.currentPasswordIncorrect, P.emailTaken],
  },
  {
    method: 'put',
    path: '/users/me/password',
    operationId: 'changePassword',
    summary: 'Change the password; every other session is revoked',
    tags: ['users'],
    auth: true,
    body: 'ChangePasswordBody',
    success: { status: 204, description: 'Changed; the current session stays.' },
    problems: [P.currentPasswordIncorrect],
  },
  {
    method: 'delete',
    path: '/users/me',
    operationId: 'deleteAccount',
    summary: 'Delete the account: the user, its email and every session',
    tags: ['users'],
    auth: true,
    body: 'DeleteAccountBody',
    success: { status: 204, description: 'Deleted.' },
    problems: [P.currentPasswordIncorrect],
  },
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    operationId: 'getJwks',
    summary: 'The public keys that verify access tokens (current and previous)',
    tags: ['keys'],
    auth: false,
    success: { status: 200, description: 'Public keys only.', body: 'Jwks', headers: CACHEABLE },
    problems: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    tags: ['meta'],
    auth: false,
    success: { status: 200, description: 'The OpenAPI 3.1 document.', headers: CACHEABLE },
    problems: [],
  },
];

/** Every problem an operation can return: its own, then those of auth, bodies and the datastore. */
function problemsOf(operation: Operation): AppError[] {
  return [
    ...(operation.body ? [P.validationFailed, P.malformedJson] : []),
    ...(operation.auth ? [P.unauthorized] : []),
    ...operation.problems,
    ...(operation.body ? [P.payloadTooLarge, P.unsupportedMediaType] : []),
    P.serviceUnavailable,
    P.internal,
  ];
}

/** A name for a problem response shared between operations, after its codes: `EmailTakenOrRateLimited`. */
const responseName = (problems: AppError[]) =>
  problems
    .map((p) => p.code.replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase()))
    .join('Or');

/** Problem responses, shared by name (`components.responses`): most are the same for many operations. */
type ResponseRegistry = Map<string, ReturnType<typeof problemResponse>>;

function operationObject(operation: Operation, shared: ResponseRegistry) {
  const byStatus = new Map<number, AppError[]>();
  for (const problem of problemsOf(operation))
    byStatus.set(problem.statusCode, [...(byStatus.get(problem.statusCode) ?? []), problem]);
  const { success } = operation;
  const mediaTypes = operation.mergePatch
    ? ['application/json', 'application/merge-patch+json']
    : ['application/json'];
  return {
    operationId: operation.operationId,
    summary: operation.summary,
    tags: operation.tags,
    ...(operation.auth ? { security: [{ bearerAuth: [] }] } : {}),
    ...(operation.pathParameters
      ? {
          parameters: Object.entries(operation.pathParameters).map(([name, { $schema: _, ...schema }]) => ({
            name,
            in: 'path',
            required: true,
            schema,
          })),
        }
      : {}),
    ...(operation.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(
              mediaTypes.map((type) => [type, { schema: ref(operation.body as string) }]),
            ),
          },
        }
      : {}),
    responses: {
      [String(success.status)]: {
        description: success.description,
        ...(success.headers ? { headers: success.headers } : {}),
        ...(success.body
          ? { content: { 'application/json': { schema: ref(success.body) } } }
          : success.status === 200
            ? { content: { 'application/json': { schema: { type: 'object' } } } }
            : {}),
      },
      ...Object.fromEntries(
        [...byStatus]
          .sort(([a], [b]) => a - b)
          .map(([status, problems]) => {
            const name = responseName(problems);
            shared.set(name, problemResponse(problems));
            return [String(status), { $ref: `#/components/responses/${name}` }];
          }),
      ),
    },
  };
}

const DESCRIPTION = `Sign-up and log-in for a web or mobile client.

Errors are RFC 9457 problem details (\`application/problem+json\`); clients switch on \`code\`.
Request bodies are JSON (\`application/json\`; PATCH also \`application/merge-patch+json\`), at most
${MAX_BODY_BYTES} bytes, and strict: unknown members are refused with \`validation_failed\`.
Every response carries \`X-Content-Type-Options: nosniff\`.

Any other path answers 404 \`not_found\`, and a known path with a method it does not support
answers 405 \`method_not_allowed\` with an \`Allow\` header.`;

/** The OpenAPI 3.1 document of the API, as `GET /openapi.json` serves it. Pure and deterministic. */
export function buildOpenApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  const responses: ResponseRegistry = new Map();
  for (const operation of OPERATIONS) {
    paths[operation.path] = {
      ...paths[operation.path],
      [operation.method]: operationObject(operation, responses),
    };
  }
  return {
    openapi: '3.1.1',
    info: { title: 'Account API', version, description: DESCRIPTION },
    tags: [
      { name: 'users', description: 'Accounts and profiles.' },
      { name: 'sessions', description: 'Log-in sessions and their tokens.' },
      { name: 'keys', description: 'Token verification keys.' },
      { name: 'meta', description: 'This document.' },
    ],
    paths,
    components: {
      schemas: { ...convert(REQUEST_BODIES, 'input'), ...convert(RESPONSES, 'output') },
      responses: Object.fromEntries([...responses].sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The `accessToken` of a `Session` (EdDSA-signed JWT, `typ: at+jwt`).',
        },
      },
    },
  };
}
