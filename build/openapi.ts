import * as z from 'zod/mini';
import { SESSION_TRANSPORT_HEADER, type SessionCookieRole } from '../lib/cookies/transport';
import { ERROR_CODES, type ErrorCode } from '../lib/errors';
import { MAX_BODY_BYTES } from '../lib/request-body';
import * as resources from '../lib/resources';
import { errorsOf, ROUTES, type Route } from '../lib/routes';
import * as validation from '../lib/validation';
import {
  Email,
  IdentityId,
  Name,
  PasskeyId,
  Password,
  PresentedPassword,
  SessionId,
  UpdateProfileBody,
} from '../lib/validation';
import { version } from '../package.json';

// The OpenAPI 3.1 document (README "API"), generated from the zod schemas the handlers validate with
// (lib/validation.ts) and the resource schemas (lib/resources.ts), its operations from the route
// table (lib/routes.ts) and its problem codes from the error registry (lib/errors.ts), so it
// cannot drift from any of them.
// Converting schemas costs bundle size and cold-start time, so it never runs in a Lambda:
// esbuild.config.mjs calls `buildOpenApiDocument()` at build time, writes dist/openapi.json, and
// swaps this module, in the `openapi` bundle, for a reader of that JSON shipped beside it.

type JsonSchema = Record<string, unknown>;

const ALL_CODES = Object.keys(ERROR_CODES) as ErrorCode[];
/** Every code a client can see (`Problem.code`): what a generated client switches on. */
const ErrorCodeSchema = z.enum(ALL_CODES as [ErrorCode, ...ErrorCode[]]);

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
      description:
        'Trimmed; 1–100 characters (Unicode code points); no control, format or separator characters (bidi overrides, zero-width characters, line separators).',
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
      // An exact object for generated clients; the two cross-field rules are stated, and enforced
      // by the service (400 `validation_failed` naming the field).
      description:
        'A JSON merge patch (RFC 7396): at least one of `name`, `email`; changing `email` needs `currentPassword` ' +
        '(an account without a password omits it and needs a session opened within REAUTH_MAX_AGE_SECONDS).',
      // The cross-field rule in keywords generated clients ignore (an `anyOf` of `required` lists
      // would make the body `unknown` to them): something to change. Whether an email change
      // needs the password depends on the account (the service answers 400 naming the field).
      minProperties: 1,
      not: { properties: { currentPassword: {} }, required: ['currentPassword'], maxProperties: 1 },
    },
  ],
]);

/** What a mailed link's token is, as each body that takes one documents it. */
const linkToken = (link: string) => ({
  description: `The token of ${link}, as it arrives in the link's fragment (\`#token=…\`): \`<id>.<secret>\`, two base64url parts joined by a dot (the dot is part of the token). Single use.`,
});
for (const [body, link] of [
  [validation.VerifyEmailBody, 'the verification link (`/verify-email#token=…`)'],
  [validation.RevertEmailChangeBody, 'the revert link mailed to the old address (`/revert-email#token=…`)'],
  [validation.PasswordResetConfirmBody, 'the reset link (`/reset-password#token=…`)'],
  [validation.EmailSignInConfirmBody, 'the sign-in link (`/sign-in#token=…`)'],
] as const) {
  FIELD_DOCS.set(body.shape.token, linkToken(link));
}

const base64url = (description?: string) =>
  z.string().check(z.regex(/^[A-Za-z0-9_-]+$/), ...(description ? [z.describe(description)] : []));
/** The envelope both ceremonies' answers share (WebAuthn Level 3 `PublicKeyCredential.toJSON()`). */
const credentialJson = <R extends z.ZodMiniType>(response: R) =>
  z.object({
    id: base64url('The credential id.'),
    rawId: base64url('The same as `id`.'),
    type: z.literal('public-key'),
    response,
    authenticatorAttachment: z.optional(z.nullable(z.enum(['platform', 'cross-platform']))),
    clientExtensionResults: z.optional(
      z
        .object({ credProps: z.optional(z.object({ rk: z.optional(z.boolean()) })) })
        .check(
          z.describe('Extension outputs (`credProps` answers the creation options’ request); not read.'),
        ),
    ),
  });

/**
 * The ceremonies' answers that the passkey bodies carry in `response`: WebAuthn Level 3's
 * RegistrationResponseJSON and AuthenticationResponseJSON, as `PublicKeyCredential.toJSON()` or
 * @simplewebauthn/browser's startRegistration/startAuthentication hand them over, so a typed client
 * sends them without a cast. Open objects, as browsers add members. Documentation only: the body
 * schemas take any object there and lib/passkeys/verifier.ts checks it, so a malformed answer is
 * `passkey_invalid` (audited with its reason), not `validation_failed`.
 */
const CEREMONY_RESPONSES: Record<string, z.ZodMiniType> = {
  RegistrationResponseJSON: credentialJson(
    z.object({
      clientDataJSON: base64url(),
      attestationObject: base64url(),
      authenticatorData: z.optional(base64url()),
      transports: z.optional(z.array(z.string())),
      publicKey: z.optional(base64url()),
      publicKeyAlgorithm: z.optional(z.int()),
    }),
  ),
  AuthenticationResponseJSON: credentialJson(
    z.object({
      clientDataJSON: base64url(),
      authenticatorData: base64url(),
      signature: base64url(),
      userHandle: z.optional(
        z.nullable(
          base64url(
            'The user’s id, base64url, from the discoverable passkey: needed (a log-in without it is `passkey_invalid`).',
          ),
        ),
      ),
    }),
  ),
};
/** The body each ceremony's answer goes in. */
const CEREMONY_BODIES = {
  AddPasskeyBody: 'RegistrationResponseJSON',
  PasskeyLoginBody: 'AuthenticationResponseJSON',
};

/** The request bodies' schemas, each passkey body's `response` typed as its ceremony's answer. */
function requestBodySchemas(): Record<string, JsonSchema> {
  const schemas = convert({ ...REQUEST_BODIES, ...CEREMONY_RESPONSES }, 'input');
  for (const [body, answer] of Object.entries(CEREMONY_BODIES)) {
    (schemas[body]?.properties as Record<string, JsonSchema>).response = ref(answer);
  }
  return schemas;
}

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

const REQUEST_BODIES = Object.fromEntries(
  [...new Set(ROUTES.flatMap((route: Route) => (route.body ? [route.body] : [])))].map((name) => [
    name,
    // biome-ignore lint/performance/noDynamicNamespaceImportAccess: build-time code, never in a Lambda bundle.
    validation[name],
  ]),
) as Record<string, z.ZodMiniType>;

const RESPONSES = {
  User: resources.User,
  Session: resources.Session,
  SessionSummary: resources.SessionSummary,
  UserAndSession: resources.UserAndSession,
  LogIn: resources.LogIn,
  UserAndOptionalSession: resources.UserAndOptionalSession,
  SignedIn: resources.SignedIn,
  SessionEnvelope: resources.SessionEnvelope,
  UserEnvelope: resources.UserEnvelope,
  SessionList: resources.SessionList,
  PublicJwk: resources.PublicJwk,
  Jwks: resources.Jwks,
  OpenIdConfiguration: resources.OpenIdConfiguration,
  FieldError: resources.FieldError,
  ErrorCode: ErrorCodeSchema,
  Problem: resources.problem(ErrorCodeSchema),
  ValidationProblem: resources.ValidationProblem,
  MfaRequiredProblem: resources.MfaRequiredProblem,
  TotpEnrollment: resources.TotpEnrollment,
  RecoveryCodes: resources.RecoveryCodes,
  Security: resources.Security,
  Passkey: resources.Passkey,
  PasskeyEnvelope: resources.PasskeyEnvelope,
  PasskeyList: resources.PasskeyList,
  PublicKeyCredentialCreationOptionsJSON: resources.PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON: resources.PublicKeyCredentialRequestOptionsJSON,
  PasskeyRegistrationOptions: resources.PasskeyRegistrationOptions,
  PasskeyLoginOptions: resources.PasskeyLoginOptions,
  OpenApiDocument: resources.OpenApiDocument,
  OAuthProviderList: resources.OAuthProviderList,
  AuthorizationUrl: resources.AuthorizationUrl,
  UserSessionCreated: resources.UserSessionCreated,
  Identity: resources.Identity,
  IdentityList: resources.IdentityList,
  AccountExport: resources.AccountExport,
};

/** Codes whose problem carries members of its own, and the schema that says which. */
const OWN_PROBLEMS: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'ValidationProblem',
  mfa_required: 'MfaRequiredProblem',
};

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

/**
 * API Gateway's own answer when a throttling limit (the stage's, or a route's) is hit: a 429 that
 * no function wrote, on any route, before anything else is looked at.
 */
const GATEWAY_THROTTLED: JsonSchema = {
  type: 'object',
  description: 'API Gateway throttling: `{"message": "Too Many Requests"}`.',
  properties: { message: { type: 'string', examples: ['Too Many Requests'] } },
  required: ['message'],
};
const THROTTLED_DESCRIPTION =
  'Throttled by API Gateway (its stage or route limits; any operation): `{"message": "Too Many Requests"}` as `application/json`, no `Retry-After`.';
const THROTTLED_CONTENT = { 'application/json': { schema: ref('GatewayThrottled') } };

/**
 * The `responses` entry for the problems of one status: each code narrowed to what it can be here.
 * A 429 also carries API Gateway's throttling answer, under its own media type.
 */
function problemResponse(codes: ErrorCode[]) {
  const status = ERROR_CODES[codes[0] as ErrorCode].status;
  const others = codes.filter((code) => OWN_PROBLEMS[code] === undefined);
  const plain =
    others.length === 0
      ? []
      : [{ allOf: [ref('Problem'), { properties: { status: { const: status }, code: { enum: others } } }] }];
  const own = codes.flatMap((code) => {
    const name = OWN_PROBLEMS[code];
    return name ? [ref(name)] : [];
  });
  const variants = [...own, ...plain];
  const headers = Object.assign({}, ...codes.map((code) => PROBLEM_HEADERS[code] ?? {}));
  const description = codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].title}.`).join(' ');
  return {
    description: status === 429 ? `${description} Or: ${THROTTLED_DESCRIPTION}` : description,
    ...(Object.keys(headers).length ? { headers } : {}),
    content: {
      'application/problem+json': { schema: variants.length === 1 ? variants[0] : { oneOf: variants } },
      ...(status === 429 ? THROTTLED_CONTENT : {}),
    },
  };
}

/** Path parameters' schemas, by name. */
const PATH_PARAMETERS: Record<string, JsonSchema> = {
  id: z.toJSONSchema(SessionId) as JsonSchema,
  passkeyId: z.toJSONSchema(PasskeyId) as JsonSchema,
  identityId: z.toJSONSchema(IdentityId) as JsonSchema,
  provider: { type: 'string', enum: ['google', 'github', 'apple', 'oidc'] },
};

/** What the success response of `route` says, beyond its schema. */
const SUCCESS_DESCRIPTIONS: Record<number, string> = {
  200: 'OK.',
  201: 'Created.',
  202: 'Accepted; no body.',
  204: 'Done; no body.',
  302: 'Back to the app: `Location` is the start’s `redirectUri` with `#code=…`, `#linked=<provider>` or `#error=<code>` (`access_denied`, `oauth_failed`, `link_required`, `identity_taken`, `email_required`).',
};

/** The callback's parameters, as the provider sends them (the query of a GET, the form of a POST). */
const CALLBACK_PARAMETERS = {
  type: 'object',
  properties: {
    state: { type: 'string', maxLength: 512 },
    code: { type: 'string', maxLength: 4096 },
    error: { type: 'string', maxLength: 4096 },
    error_description: { type: 'string', maxLength: 4096 },
    user: {
      type: 'string',
      maxLength: 4096,
      description: 'Apple: the name, on the first sign-in only (JSON).',
    },
  },
  required: ['state'],
};

/** The cookie transport's request header (lib/cookies/transport.ts), on the routes that take part. */
const SESSION_TRANSPORT_PARAMETER = {
  name: SESSION_TRANSPORT_HEADER,
  in: 'header',
  required: false,
  description:
    '`cookie`: the refresh token travels only in the `__Host-refresh` cookie (never in the body), and the request must come from an origin of `CORS_ALLOWED_ORIGINS` (else 403 `origin_not_allowed`).',
  schema: { type: 'string', enum: ['cookie'] },
};

/** What the cookie transport sets, per role. */
const SET_COOKIE: Record<SessionCookieRole, string> = {
  issue:
    'With `Session-Transport: cookie`, when a session is answered: `__Host-refresh=<refresh token>; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=<refreshExpiresIn>`.',
  refresh:
    'With `Session-Transport: cookie`: the new `__Host-refresh=<refresh token>; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=<refreshExpiresIn>`.',
  clear:
    'With `Session-Transport: cookie`: `__Host-refresh=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0` (deletes it).',
};

/** The success response's headers, as lib/http.ts sets them from the same route fields. */
function successHeaders(route: Route) {
  if (route.status === 302) return { Location: header('The app’s `redirectUri` with a fragment.') };
  return {
    ...(route.location ? { Location: header(`\`${route.location}\`.`) } : {}),
    ...(route.sessionCookie ? { 'Set-Cookie': header(SET_COOKIE[route.sessionCookie]) } : {}),
    'Cache-Control': route.cacheSeconds
      ? header(`\`public, max-age=${route.cacheSeconds}\`.`)
      : header('`no-store`: tokens and profiles are never cached.'),
  };
}

/** A name for a problem response shared between operations, after its codes: `EmailTakenOrRateLimited`. */
const responseName = (codes: ErrorCode[]) =>
  codes
    .map((code) => code.replace(/(^|_)([a-z])/g, (_, __, letter: string) => letter.toUpperCase()))
    .join('Or');

/** Problem responses, shared by name (`components.responses`): most are the same for many operations. */
type ResponseRegistry = Map<string, { description: string; content: object }>;

function operationObject(route: Route, shared: ResponseRegistry) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorsOf(route)) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const mediaTypes =
    route.method === 'PATCH' ? ['application/json', 'application/merge-patch+json'] : ['application/json'];
  const parameters: object[] = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => {
    const { $schema: _, ...schema } = PATH_PARAMETERS[name as string] ?? { type: 'string' };
    return { name, in: 'path', required: true, schema };
  });
  if (route.sessionCookie) parameters.push(SESSION_TRANSPORT_PARAMETER);
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: `${route.summary}. ${route.auth ? 'Needs a bearer access token. ' : ''}Answers ${route.status} on success; the problems it can answer are listed by status below, each with its \`code\`.`,
    tags: [route.tag],
    // The root requires the bearer token; a public operation says it needs nothing; an optional one either.
    ...(route.auth ? {} : { security: route.optionalAuth ? [{}, { bearerAuth: [] }] : [] }),
    ...(parameters.length || (route.status === 302 && route.method === 'GET')
      ? {
          parameters: [
            ...parameters,
            ...(route.status === 302 && route.method === 'GET'
              ? Object.entries(CALLBACK_PARAMETERS.properties).map(([name, schema]) => ({
                  name,
                  in: 'query',
                  required: name === 'state',
                  schema,
                }))
              : []),
          ],
        }
      : {}),
    ...(route.status === 302 && route.method === 'POST'
      ? {
          requestBody: {
            required: true,
            content: { 'application/x-www-form-urlencoded': { schema: CALLBACK_PARAMETERS } },
          },
        }
      : {}),
    ...(route.body
      ? {
          requestBody: {
            // In cookie mode a refresh has no body (or `{}`): the token is the cookie.
            required: !route.bodyOptional && route.sessionCookie !== 'refresh',
            content: Object.fromEntries(
              mediaTypes.map((type) => [type, { schema: ref(route.body as string) }]),
            ),
          },
        }
      : {}),
    responses: {
      [String(route.status)]: {
        description: SUCCESS_DESCRIPTIONS[route.status],
        headers: successHeaders(route),
        ...(route.response
          ? { content: { 'application/json': { schema: ref(route.response) } } }
          : route.status === 202 || route.status === 204 || route.status === 302
            ? {}
            : { content: { 'application/json': { schema: { type: 'object' } } } }),
      },
      ...Object.fromEntries(
        [...byStatus, ...(byStatus.has(429) ? [] : [[429, null] as const])]
          .sort(([a], [b]) => a - b)
          .map(([status, codes]) => {
            // Without a problem of its own, a 429 is API Gateway's alone.
            const name = codes ? responseName(codes) : 'Throttled';
            shared.set(
              name,
              codes
                ? problemResponse(codes)
                : { description: THROTTLED_DESCRIPTION, content: THROTTLED_CONTENT },
            );
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
export function buildOpenApiDocument(): z.infer<typeof resources.OpenApiDocument> & {
  components: { schemas: Record<string, JsonSchema> };
} {
  const paths: Record<string, Record<string, unknown>> = {};
  const responses: ResponseRegistry = new Map();
  for (const route of ROUTES) {
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: operationObject(route, responses),
    };
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'Account API',
      version,
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
      contact: { name: 'The account service maintainers' },
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'A deployment (or its custom domain); `npm start` serves the same API at port 3000',
        variables: { apiId: { default: 'api-id' }, region: { default: 'eu-west-1' } },
      },
    ],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'users', description: 'Accounts and profiles.' },
      { name: 'sessions', description: 'Log-in sessions and their tokens.' },
      { name: 'keys', description: 'Token verification keys.' },
      { name: 'meta', description: 'This document.' },
    ],
    paths,
    components: {
      schemas: {
        ...requestBodySchemas(),
        ...convert(RESPONSES, 'output'),
        GatewayThrottled: GATEWAY_THROTTLED,
      },
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
