import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Middleware } from 'openapi-fetch';
import { ERROR_CODES } from '../../lib/errors';
import { CATCH_ALL } from '../../lib/routes';

// biome-ignore lint/suspicious/noExplicitAny: a JSON document, walked by path
type Json = any;

/** A response as it came over the wire. */
export interface WireResponse {
  status: number;
  headers: Headers;
  /** The body, unparsed ('' when there is none). */
  text: string;
}

/**
 * Checks real responses against an OpenAPI document, as a validating proxy would: the status must
 * be one the operation documents, then the media type, the body (against the documented schema,
 * JSON Schema 2020-12 with formats) and every required documented header (present, and valid
 * against its schema). A request no operation takes must get what the API's catch-all route
 * gives (lib/routes.ts `CATCH_ALL`, told in the document's description): a `Problem` with one of
 * its codes.
 */
export class OpenApiCheck {
  private readonly ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  private readonly compiled = new Map<string, ValidateFunction>();
  /** How many responses were checked. */
  checked = 0;

  constructor(private readonly document: Json) {
    this.ajv.addSchema({ $id: 'openapi.json', components: { schemas: document.components.schemas } });
  }

  /** What is wrong with `response` to `method path` (`path` a template of the document); [] if nothing. */
  problems(method: string, path: string, response: WireResponse): string[] {
    this.checked += 1;
    const at = `${method.toUpperCase()} ${path} → ${response.status}`;
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    if (!operation) return this.catchAllProblems(at, response);
    const documented = this.resolve(operation.responses[String(response.status)]);
    if (!documented) return [`${at}: status not documented`];
    return [
      ...this.headerProblems(at, documented.headers ?? {}, response.headers),
      ...this.bodyProblems(at, documented.content, response),
    ];
  }

  /** Fails (a jest assertion) unless `response` is documented for `method path`. */
  expectDocumented(method: string, path: string, response: WireResponse): void {
    expect(this.problems(method, path, response)).toEqual([]);
  }

  /** An openapi-fetch middleware that checks every response the client receives. */
  readonly middleware: Middleware = {
    onResponse: async ({ request, schemaPath, response }) => {
      const wire = {
        status: response.status,
        headers: response.headers,
        text: await response.clone().text(),
      };
      this.expectDocumented(request.method, schemaPath, wire);
    },
  };

  private catchAllProblems(at: string, response: WireResponse): string[] {
    const codes = CATCH_ALL.errors.filter((code) => ERROR_CODES[code].status === response.status);
    if (codes.length === 0) return [`${at}: no operation, and not an answer of the catch-all route`];
    const schema = {
      allOf: [{ $ref: '#/components/schemas/Problem' }, { properties: { code: { enum: codes } } }],
    };
    const headers = codes.includes('method_not_allowed')
      ? { Allow: { required: true, schema: { type: 'string' } } }
      : {};
    return [
      ...this.headerProblems(at, headers, response.headers),
      ...this.bodyProblems(at, { 'application/problem+json': { schema } }, response),
    ];
  }

  private headerProblems(at: string, documented: Record<string, Json>, headers: Headers): string[] {
    return Object.entries(documented).flatMap(([name, header]) => {
      const { required, schema } = this.resolve(header);
      const value = headers.get(name);
      if (value === null) return required ? [`${at}: header ${name} missing`] : [];
      const typed = schema?.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      const errors = this.validate(schema ?? {}, typed);
      return errors ? [`${at}: header ${name}: ${JSON.stringify(value)} ${errors}`] : [];
    });
  }

  private bodyProblems(
    at: string,
    content: Record<string, Json> | undefined,
    response: WireResponse,
  ): string[] {
    if (!content) return response.text === '' ? [] : [`${at}: a body where none is documented`];
    const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    if (!content[type]) return [`${at}: content type ${JSON.stringify(type)} not documented`];
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch {
      return [`${at}: the body is not JSON`];
    }
    const errors = this.validate(content[type].schema, body);
    return errors ? [`${at}: body ${response.text} ${errors}`] : [];
  }

  /** `undefined` when `value` is valid against `schema` (a schema of the document), else the errors. */
  private validate(schema: Json, value: unknown): string | undefined {
    // The document's `$ref`s are relative to the document, which ajv holds as `openapi.json`.
    const key = JSON.stringify(schema).replaceAll('"#/', '"openapi.json#/');
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(JSON.parse(key));
      this.compiled.set(key, validate);
    }
    return validate(value) ? undefined : this.ajv.errorsText(validate.errors);
  }

  private resolve(object: Json): Json {
    if (!object?.$ref) return object;
    const [, , kind, name] = object.$ref.split('/');
    return this.document.components[kind][name];
  }
}
