import { randomBytes } from 'node:crypto';
import { type EventInput, httpEvent, lambdaContext } from '../../dev/http-event';
import { parseConfig } from '../../lib/config';
import type { HttpHandler, HttpResult } from '../../lib/http';
import { createServices, type ServiceOverrides, type Services } from '../../lib/services';
import { recordingMailQueue } from './mail';
import { newPrivateJwk } from './signing-keys';

/** A fresh private JWK of the run's algorithm (JWT_ALGORITHM, default EdDSA), as `JWT_PRIVATE_KEY` expects it. */
export const newSigningKey = (): string => newPrivateJwk();

/** The test environment's configuration plus `env` overrides, under a key prefix of its own. */
export const testConfig = (env: Record<string, string> = {}) =>
  parseConfig({ ...process.env, KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`, ...env });

/**
 * Services built exactly as in production, from the test environment plus `env` overrides,
 * under a key prefix of their own. Mail jobs are recorded unless `overrides.mailQueue` says otherwise.
 */
export function testServices(env: Record<string, string> = {}, overrides: ServiceOverrides = {}): Services {
  return createServices(testConfig(env), { mailQueue: recordingMailQueue(), ...overrides });
}

export { type EventInput, httpEvent, lambdaContext };

export interface Response {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON shapes and assert on them
  body: any;
}

/** Invokes a handler with an event and returns status, headers and the parsed JSON body. */
export async function invoke(handler: HttpHandler, input: EventInput): Promise<Response> {
  const result: HttpResult = await handler(httpEvent(input), lambdaContext());
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]),
  );
  const text = result.body ?? '';
  return { status: result.statusCode ?? 200, headers, body: text === '' ? undefined : JSON.parse(text) };
}
