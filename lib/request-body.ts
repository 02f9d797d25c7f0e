import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from 'zod/mini';
import {
  type FieldError,
  PayloadTooLargeError,
  problem,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors';

/** Where a body schema keeps its name (`RegisterBody`, …), which the route table refers to. */
export const SCHEMA_NAME = Symbol.for('account-service.schema-name');

/**
 * Where a body schema keeps its reader (lib/validation.ts `bodySchema`): lib/http.ts calls it, so
 * that only the functions that take a body bundle this module's readers.
 */
export const READ_BODY = Symbol.for('account-service.read-body');

/** A body schema's reader: the wire format, then `prepare` (defaults, the cookie's token), then the schema. */
export type BodyReader = (
  event: APIGatewayProxyEventV2,
  accepted: string[],
  prepare: (raw: unknown) => unknown,
) => unknown;

/** `READ_BODY` of `schema`: `readJsonBody`, `prepare`, then `parseBody`. */
export const bodyReader =
  <T extends z.ZodMiniType>(schema: T): BodyReader =>
  (event, accepted, prepare) =>
    parseBody(schema, prepare(readJsonBody(event, accepted)));

/** Largest accepted request body (README "API"). API Gateway itself would take 10 MB. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Decodes and checks the wire format of a JSON body: type, size, UTF-8, syntax. Returns the parsed value,
 * or undefined when there is no body. Zod stays out of this module (types only), so functions
 * without a body do not bundle it.
 */
export function readJsonBody(event: APIGatewayProxyEventV2, accepted: string[]): unknown {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  const bytes = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  const contentType = (event.headers?.['content-type'] ?? '').toLowerCase();
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim());
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (!accepted.includes(mediaType) || (charset !== undefined && charset !== 'utf-8')) {
    throw new UnsupportedMediaTypeError(accepted);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw problem('malformed_json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw problem('malformed_json');
  }
  const illFormed = illFormedStrings(value);
  if (illFormed.length > 0)
    throw new ValidationError(
      illFormed.map((field) => ({
        field: field || '(body)',
        message: 'must be well-formed Unicode (no lone surrogate)',
      })),
    );
  return value;
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Where a parsed body holds a string (or member name) with a lone UTF-16 surrogate: valid JSON
 * (`"\ud800"`) but no Unicode text, which no field may store or echo. Paths as `errors` name them.
 * Iterative: a body of thousands of nested arrays must not exhaust the stack.
 */
function illFormedStrings(body: unknown): string[] {
  const found: string[] = [];
  const pending: [unknown, string][] = [[body, '']];
  while (pending.length > 0) {
    const [value, path] = pending.pop() as [unknown, string];
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) found.push(path);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, member] of Object.entries(value)) {
        const at = path ? `${path}.${key}` : key;
        if (LONE_SURROGATE.test(key)) found.push(at);
        else pending.push([member, at]);
      }
    }
  }
  return found.sort();
}

const valueAt = (input: unknown, path: PropertyKey[]): unknown =>
  path.reduce<unknown>(
    (value, key) =>
      value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined,
    input,
  );

/**
 * Turns zod issues into the `errors` list of a `validation_failed` problem. Issues carry no input
 * (on purpose: it would copy passwords around), so "missing" is decided by looking at `input`.
 */
export function fieldErrors(error: z.core.$ZodError, input: unknown): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const field = issue.path.map(String).join('.') || '(body)';
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        field: field === '(body)' ? key : `${field}.${key}`,
        message: 'is not allowed',
      }));
    }
    if (issue.code === 'invalid_type') {
      if (valueAt(input, issue.path) === undefined) return [{ field, message: 'is required' }];
      if (issue.path.length === 0) return [{ field, message: 'must be a JSON object' }];
    }
    return [{ field, message: issue.message }];
  });
}

/** Validates `input` against `schema`; throws `ValidationError` listing every problem. */
export function parseBody<T extends z.ZodMiniType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrors(result.error, input));
  return result.data;
}
