import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpEvent, lambdaContext } from '../dev/http-event';
import type { Config } from '../lib/config';
import type { HttpHandler, HttpResult } from '../lib/http';
import { createBaseServices } from '../lib/services';
import { createSessionListStore } from '../lib/sessions/store';
import { accessTier } from '../lib/tiers';
import { verifyJws } from '../lib/tokens';
import type { Fixtures } from './fixtures';
import { type Summary, summarise } from './statistics';

export interface MiddlewareOverhead {
  route: string;
  /** functions/get-profile.ts's handler: the whole Middy stack of lib/http.ts. */
  full: Summary;
  /** The same operation with nothing around it: verify the token, read the profile, serialise. */
  bare: Summary;
  ratio: number;
}

/**
 * GET /users/me with the full Middy stack against the same logic as a bare handler, on one and
 * the same services instance (same datastore client, same keys), alternating sample for sample.
 */
export async function measureMiddlewareOverhead(
  config: Config,
  fixtures: Fixtures,
  samples: number,
  warmup: number,
): Promise<MiddlewareOverhead> {
  const base = createBaseServices(config);
  const services = { ...base, ...accessTier(base, createSessionListStore(base.datastore, base.keys)) };
  // Loaded here, not at the top: the module builds its own services from process.env at import.
  const { createHandler } = await import('../functions/get-profile');
  const full = createHandler(services);
  const bare: HttpHandler = async (event) => {
    const caller = await services.tokens.verifyAccessToken(
      event.headers.authorization?.slice(7) ?? '',
      verifyJws,
    );
    if (!caller) return { statusCode: 401 };
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      body: JSON.stringify(await services.access.getProfile(caller)),
    };
  };
  const { session } = await fixtures.account();
  const event = () => httpEvent({ method: 'GET', path: '/users/me', token: session.accessToken });
  const time = async (handler: HttpHandler, into: number[]) => {
    const input = event();
    const start = performance.now();
    const result: HttpResult = await handler(input as APIGatewayProxyEventV2, lambdaContext());
    into.push(performance.now() - start);
    if (result.statusCode !== 200) throw new Error(`middleware bench: got ${result.statusCode}`);
  };
  const discard: number[] = [];
  for (let i = 0; i < warmup; i++) {
    await time(full, discard);
    await time(bare, discard);
  }
  const fullMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i % 2 === 0) {
      await time(full, fullMs);
      await time(bare, bareMs);
    } else {
      await time(bare, bareMs);
      await time(full, fullMs);
    }
  }
  const fullSummary = summarise(fullMs);
  const bareSummary = summarise(bareMs);
  return {
    route: 'GET /users/me',
    full: fullSummary,
    bare: bareSummary,
    ratio: fullSummary.medianMs / bareSummary.medianMs,
  };
}
