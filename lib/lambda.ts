import { reader } from './config-reader';
import { ServiceUnavailableError } from './errors';
import { type HttpHandler, problemResponse } from './http';
import { makeLoggerEarly } from './logger';
import { ParametersUnavailableError, parametersToFetch, resolveParameters } from './parameters';

/**
 * The exported handler of an API function: its services are built once per container from `process.env`
 * (the one place that reads it), after the deployment's parameters are read from SSM
 * (lib/parameters.ts). With nothing to read (local runs, tests) they are built at import, and a bad
 * configuration throws there, listing every problem. Otherwise the read starts at import, in the
 * init phase, and requests wait for it; a bad configuration then fails every request the same
 * way, and a read that fails answers 503 and is tried again by the next request.
 */
export function lambdaHandler<S>(
  build: (env: Record<string, string | undefined>) => S,
  create: (services: S) => HttpHandler,
): HttpHandler {
  const built = onceBuilt(build, create);
  if ('now' in built) return built.now;
  const { later } = built;
  return async (event, context) => {
    try {
      return await (await later())(event, context);
    } catch (error) {
      if (!(error instanceof ParametersUnavailableError)) throw error;
      // One line naming every parameter asked for and why, never a value.
      console.error(
        JSON.stringify({
          level: 'ERROR',
          message: 'SSM parameters unavailable',
          cause: error.reason,
          parameters: error.parameters,
        }),
      );
      const response = problemResponse(new ServiceUnavailableError(), context.awsRequestId);
      return { ...response, headers: { ...response.headers, 'X-Content-Type-Options': 'nosniff' } };
    }
  };
}

/**
 * The exported handler of a function that serves no route (the mail function, the admin
 * commands), built like
 * `lambdaHandler`'s. A failure — parameters unavailable included — throws, so that Lambda
 * retries the event and finally hands it to the on-failure destination.
 */
export function lambdaWorker<S, E, R = void>(
  build: (env: Record<string, string | undefined>) => S,
  create: (services: S) => (event: E) => Promise<R>,
): (event: E) => Promise<R> {
  const built = onceBuilt(build, create);
  if ('now' in built) return built.now;
  const { later } = built;
  return async (event) => (await later())(event);
}

/**
 * Builds `create(build(env))` once per container. With nothing to read from SSM it returns the
 * handler itself, built now; otherwise a function that awaits the (started, retried) build.
 */
function onceBuilt<S, H>(
  build: (env: Record<string, string | undefined>) => S,
  create: (services: S) => H,
): { now: H } | { later: () => Promise<H> } {
  if (parametersToFetch(process.env).length === 0) return { now: create(build(process.env)) };
  let ready: Promise<H> | undefined;
  const start = () => {
    ready ??= resolveParameters(process.env).then(
      (env) => create(build(env)),
      (error: unknown) => {
        ready = undefined;
        if (error instanceof ParametersUnavailableError) throw error;
        // A failure of our own (a bug, not SSM): named by its type, never its message.
        throw new ParametersUnavailableError(error instanceof Error ? error.name : 'unknown', [], 'unknown');
      },
    );
    return ready;
  };
  // Begin at import, in the init phase; a failure here is reported by the request that awaits it.
  start().catch(() => undefined);
  // While the read is under way, what needs no parameter: the logger (lib/logger.ts).
  setImmediate(() => makeLoggerEarly(reader(process.env, []).logLevel('LOG_LEVEL'))).unref();
  return { later: start };
}
