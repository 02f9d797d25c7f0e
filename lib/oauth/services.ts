import { Ratelimit } from '@upstash/ratelimit';
import { parseConfig } from '../config';
import { translateErrors } from '../datastore';
import { RateLimitedError } from '../errors';
import { auditedLimit, clientKey, secondsUntil } from '../rate-limits';
import { type BaseServices, createBaseServices, type ServiceOverrides } from '../services';
import { createOAuth, type OAuth } from './service';
import { createOAuthStore } from './store';

/** The first tier and social log-in: what the functions of lib/oauth use (no Argon2 in their bundles). */
export interface OAuthServices extends BaseServices {
  oauth: OAuth;
}

/** What tests may replace besides the base overrides: the fetch that reaches providers. */
export interface OAuthOverrides extends ServiceOverrides {
  fetch?: typeof fetch;
}

/** Social log-in on a first tier (`base`): its store, the per-IP limit of `start`, the providers. */
export function oauthTier(base: BaseServices, overrides: OAuthOverrides = {}): Pick<OAuthServices, 'oauth'> {
  const { config } = base;
  const rule = config.rateLimits.oauthPerIp;
  const limiter = new Ratelimit({
    redis: base.datastore.redis,
    prefix: base.keys.rateLimit('oauth-ip'),
    limiter: Ratelimit.fixedWindow(rule.limit, `${rule.windowSeconds} s`),
    analytics: false,
    timeout: 0,
    ephemeralCache: false,
  });
  return {
    oauth: createOAuth({
      store: createOAuthStore(base.datastore, base.keys),
      users: base.users,
      tokens: base.tokens,
      checkStartIp: (ip) =>
        auditedLimit(
          (async () => {
            const result = await translateErrors(() => limiter.limit(clientKey(ip)));
            if (!result.success) throw new RateLimitedError(secondsUntil(result.reset, Date.now()));
          })(),
          base.audit,
          'oauth_ip',
          ip,
        ),
      audit: base.audit,
      settings: config,
      now: base.now,
      ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
    }),
  };
}

/** Composition root of social log-in's functions, from an environment. */
export const oauthServices = (env: Record<string, string | undefined>): OAuthServices => {
  const base = createBaseServices(parseConfig(env));
  return { ...base, ...oauthTier(base) };
};
