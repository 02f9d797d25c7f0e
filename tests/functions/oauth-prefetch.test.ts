// The providers' discovery at import (lib/oauth/services.ts `prefetchProviders`, called by the
// functions that start and finish sign-ins): in Lambda it runs alongside the SSM read, the first
// sign-in takes its answer instead of asking again, and a discovery that failed then is asked
// again by the request, never answered as a failure. Outside Lambda (tests, tools) it does nothing.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type LocalIdentityProvider, startIdentityProvider } from '../../dev/identity-provider';
import { prefetchProviders } from '../../lib/oauth/services';
import { oauthHandlers, pkce, start, startTwin, twinEnv } from '../support/oauth';

const DISCOVERY = '/.well-known/openid-configuration';
const discoveries = (twin: LocalIdentityProvider) => twin.requests.filter((r) => r.path === DISCOVERY).length;
const inLambda = { AWS_LAMBDA_FUNCTION_NAME: 'account-service-test-oauth-start' };

/** Waits until `done` holds (the prefetch is not awaited by anyone but the request). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('prefetchProviders', () => {
  let twin: LocalIdentityProvider | undefined;
  afterEach(async () => {
    await twin?.close();
    twin = undefined;
  });

  test('outside Lambda it asks the provider nothing', async () => {
    twin = await startTwin();

    prefetchProviders(twinEnv(twin));
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(twin.requests).toEqual([]);
  });

  test('in Lambda the first sign-in takes the discovery begun at import: the provider is asked once', async () => {
    twin = await startTwin();
    const env = twinEnv(twin);

    // The three providers of the twin's environment share one issuer: one discovery.
    prefetchProviders({ ...env, ...inLambda });
    await until(() => twin !== undefined && discoveries(twin) === 1);
    const url = await start(oauthHandlers(env).h.start, 'oidc', pkce().challenge);

    expect(new URL(url).origin).toBe(twin.issuer);
    expect(discoveries(twin)).toBe(1);
  });

  test('a discovery that failed at import is asked again by the first sign-in, which succeeds', async () => {
    // A port with nothing listening at import time; the provider starts there afterwards.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const issuer = `http://127.0.0.1:${port}`;
    const env = {
      ...inLambda,
      OAUTH_OIDC_ISSUER: issuer,
      OAUTH_OIDC_CLIENT_ID: 'local-oidc',
      OAUTH_TIMEOUT_MS: '1000',
    };

    prefetchProviders(env);
    await new Promise((resolve) => setTimeout(resolve, 100));
    twin = await startIdentityProvider({
      port,
      clients: [
        {
          clientId: 'local-oidc',
          clientSecret: 'oidc-secret',
          redirectUris: ['http://localhost:3999/oauth/oidc/callback'],
        },
      ],
    });
    const url = await start(oauthHandlers(twinEnv(twin)).h.start, 'oidc', pkce().challenge);

    expect(new URL(url).origin).toBe(issuer);
    expect(discoveries(twin)).toBe(1);
  });

  test('with a problem in social log-in’s variables it starts nothing (building the services names it)', async () => {
    twin = await startTwin();

    prefetchProviders({ ...twinEnv(twin, { OAUTH_TIMEOUT_MS: 'soon' }), ...inLambda });
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(twin.requests).toEqual([]);
  });
});
