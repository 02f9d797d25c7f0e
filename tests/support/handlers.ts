import { type ExportServices, exportTier } from '../../lib/export/services';
import type { HttpHandler } from '../../lib/http';
import { fullOAuthTier, type OAuthServices } from '../../lib/oauth/services';
import { CATCH_ALL, type FunctionName, ROUTES } from '../../lib/routes';
import type { Services } from '../../lib/services';

/** What any endpoint's `createHandler` may take: every service tier, export and social log-in included. */
export type EveryService = Services & ExportServices & OAuthServices;

/** A function of the route table or the catch-all. */
export type EndpointFunction = FunctionName | typeof CATCH_ALL.fn;

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

/** A handler's name in `createHandlers`: its function's, camel-cased (`get-profile` → `getProfile`). */
export type HandlerName = CamelCase<EndpointFunction>;

export const handlerName = <F extends EndpointFunction>(fn: F): CamelCase<F> =>
  fn.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()) as CamelCase<F>;

/** `services` with the tiers it lacks (export, social log-in) built on it; the tiers it has are kept. */
export function withEveryTier(services: Services & Partial<EveryService>): EveryService {
  return {
    ...services,
    ...('accountExport' in services ? {} : exportTier(services)),
    ...('oauth' in services ? {} : fullOAuthTier(services)),
  } as EveryService;
}

/** The real handler of one function (functions/<fn>.ts `createHandler`) on `services`. */
export function createHandler(fn: EndpointFunction, services: Services): HttpHandler {
  // By name, from the route table: a function added there is here without an edit.
  const module = require(`../../functions/${fn}`) as { createHandler(deps: EveryService): HttpHandler };
  return module.createHandler(withEveryTier(services));
}

/**
 * Every endpoint's real handler, built on one set of services: one per row of the route table
 * (lib/routes.ts) and the catch-all (`notFound`), named after its function in camel case.
 */
export function createHandlers(services: Services): Record<HandlerName, HttpHandler> {
  const every = withEveryTier(services);
  return Object.fromEntries(
    [...ROUTES, CATCH_ALL].map(({ fn }) => [handlerName(fn), createHandler(fn, every)]),
  ) as Record<HandlerName, HttpHandler>;
}
