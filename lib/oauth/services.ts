import { type Config, parseConfig } from '../config';
import { reader } from '../config-reader';
import { type BaseServices, createBaseServices, type ServiceOverrides, sessionIssuing } from '../services';
import { readOAuthConfig } from './config';
import { createProviderClient, createStartClient, prefetchDiscovery } from './protocol';
import { createOAuth, type OAuth, type OAuthDeps } from './service';
import {
  createCallbackStore,
  createCodeStore,
  createIdentityStore,
  createOAuthStore,
  createStartStore,
  type OAuthStore,
} from './store';

/** The first tier and social log-in: what the functions of lib/oauth use (no Argon2 in their bundles). */
export interface OAuthServices extends BaseServices {
  /** With social log-in's section (`parseConfig`, where the others parse `parseBaseConfig`). */
  config: Config;
  oauth: OAuth;
}

/** What tests may replace besides the base overrides: the fetch that reaches providers. */
export interface OAuthOverrides extends ServiceOverrides {
  fetch?: typeof fetch;
}

/**
 * Social log-in on a first tier (`base`), with the parts of the store a function uses and, for
 * the two that call providers, their protocol (oauth4webapi): each bundle carries only those.
 */
export function oauthTier(
  base: BaseServices & { config: Config },
  parts: { store: Partial<OAuthStore>; clientFor?: OAuthDeps['clientFor'] },
  overrides: OAuthOverrides = {},
): Pick<OAuthServices, 'oauth'> {
  return {
    oauth: createOAuth({
      store: parts.store,
      ...(parts.clientFor ? { clientFor: parts.clientFor } : {}),
      tokens: base.tokens,
      audit: base.audit,
      settings: base.config,
      now: base.now,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    }),
  };
}

/** Everything social log-in has, on a first tier (tests build every handler on it). */
export const fullOAuthTier = (base: BaseServices & { config: Config }, overrides: OAuthOverrides = {}) =>
  oauthTier(
    base,
    { store: createOAuthStore(base.datastore, base.keys), clientFor: createProviderClient },
    overrides,
  );

type Env = Record<string, string | undefined>;
const built = (
  env: Env,
  parts: (base: BaseServices) => Parameters<typeof oauthTier>[1],
  issuesTokens = false,
): OAuthServices => {
  // Only the code's redemption issues tokens: it alone wires the custom claims hook.
  const base = createBaseServices(parseConfig(env), {}, issuesTokens ? sessionIssuing : undefined);
  return { ...base, ...oauthTier(base, parts(base)) };
};

/** `GET /oauth/providers`: the configuration only. */
export const oauthProviderServices = (env: Env) => built(env, () => ({ store: {} }));
/** `POST /oauth/{provider}/start`: discovery and the start script. */
export const oauthStartServices = (env: Env) =>
  built(env, (b) => ({ store: createStartStore(b.datastore, b.keys), clientFor: createStartClient }));
/** The callbacks: the provider's protocol and the sign-in scripts. */
export const oauthCallbackServices = (env: Env) =>
  built(env, (b) => ({ store: createCallbackStore(b.datastore, b.keys), clientFor: createProviderClient }));
/** `POST /sessions/oauth`: the code's redemption. */
export const oauthCodeServices = (env: Env) =>
  built(env, (b) => ({ store: createCodeStore(b.datastore, b.keys) }), true);
/** The identities of a signed-in caller. */
export const identityServices = (env: Env) =>
  built(env, (b) => ({ store: createIdentityStore(b.datastore, b.keys) }));

/**
 * In Lambda, at import (the functions that start and finish sign-ins): starts the discovery of the
 * OpenID Connect providers that are on while the SSM parameters are read, so that a cold
 * container's first sign-in does not wait for both in turn. It reads only social log-in's
 * variables from the environment: the issuers and the timeout are never SSM parameters. With a
 * problem in them it does nothing: building the services names it.
 */
export function prefetchProviders(env: Env): void {
  if (!env.AWS_LAMBDA_FUNCTION_NAME) return;
  const problems: string[] = [];
  const { providers, timeoutMs } = readOAuthConfig(reader(env, problems), problems, {
    appUrl: '',
    corsAllowedOrigins: [],
  });
  if (problems.length === 0) prefetchDiscovery(providers, timeoutMs);
}
