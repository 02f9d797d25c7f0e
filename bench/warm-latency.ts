import { createPrivateKey } from 'node:crypto';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as argon2 from '@node-rs/argon2';
import { Redis } from '@upstash/redis';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { importJWK, type JWK, jwtVerify } from 'jose';
import { httpEvent, lambdaContext } from '../dev/http-event';
import { createAwsService, invokeFunction } from '../lib/aws';
import type { Config } from '../lib/config';
import type { HttpHandler } from '../lib/http';
import { signAccessToken } from '../lib/tokens';
import type { DatastoreProcess } from './datastore-process';
import type { DatastoreClock, DatastoreTime } from './datastore-time';
import type { Endpoint } from './endpoints';
import { type Fixtures, PASSWORD } from './fixtures';
import { type Summary, summarise } from './statistics';

export interface WarmLatency {
  route: string;
  fn: string;
  /** Datastore requests one warm request makes, counted by the datastore. */
  roundTrips: number;
  handler: Summary;
  /** The unavoidable work, measured in the same run; null where there is none (no token, hash or datastore). */
  floor: Summary | null;
  floorWork: string[];
  /** Handler median over floor median. */
  ratio: number | null;
  /** Redis's own time per request (bench/datastore-time.ts); null on the embedded engine. */
  datastore: DatastoreTime | null;
}

export interface WarmSettings {
  config: Config;
  /** The public half of JWT_PRIVATE_KEY. */
  publicJwk: JWK;
  datastore: DatastoreProcess;
  fixtures: Fixtures;
  samples: number;
  /** Calls before counting and timing: scripts loaded, keys imported, code optimised. */
  warmup: (endpoint: Endpoint) => number;
  /** Reads Redis's time per request; null on the embedded engine. */
  clock: DatastoreClock | null;
  /** Requests, after the timed ones, over which the clock is read. */
  clockRequests: number;
}

const load = createRequire(__filename);

/** The production handler of a function: its bundle, which builds its services from process.env at import. */
export const loadHandler = (bundlePath: string): HttpHandler =>
  (load(bundlePath) as { handler: HttpHandler }).handler;

async function call(handler: HttpHandler, event: APIGatewayProxyEventV2, endpoint: Endpoint): Promise<void> {
  const result = await handler(event, lambdaContext());
  if (result.statusCode !== endpoint.status) {
    throw new Error(
      `${endpoint.route}: expected ${endpoint.status}, got ${result.statusCode} ${result.body ?? ''}`,
    );
  }
}

/**
 * The floor of an endpoint: what no implementation can skip. A JWT verification (jose, pinned
 * options) when it takes a token, its Argon2 work at the configured parameters, and one raw
 * datastore round trip (a GET through @upstash/redis, configured as lib/datastore.ts configures
 * it) per round trip the endpoint makes. Warm here; bench/first-response.ts builds the same work
 * into a bundle for the cold first response.
 */
export const floorWork = (endpoint: Endpoint, roundTrips: number): string[] => [
  ...(endpoint.auth ? ['JWT verify'] : []),
  ...(endpoint.signs ? ['JWT sign'] : []),
  ...(endpoint.mail ? ['Lambda invoke (Event)'] : []),
  ...endpoint.argon2.map((op) => `Argon2 ${op}`),
  ...(roundTrips > 0 ? [`${roundTrips} × GET`] : []),
];

async function floorOf(endpoint: Endpoint, roundTrips: number, settings: WarmSettings) {
  const { config } = settings;
  const redis = new Redis({
    url: config.datastore.url,
    token: config.datastore.token,
    enableTelemetry: false,
    automaticDeserialization: false,
    readYourWrites: false,
    retry: false,
  });
  const key = await importJWK(settings.publicJwk, 'EdDSA');
  const signingKey = createPrivateKey({ key: { ...config.jwt.privateKey }, format: 'jwk' });
  const lambda = createAwsService({ service: 'lambda', retries: 1 });
  const options = {
    memoryCost: config.argon2.memoryKib,
    timeCost: config.argon2.timeCost,
    parallelism: config.argon2.parallelism,
  };
  const passwordHash = await argon2.hash(PASSWORD, options);
  const work = floorWork(endpoint, roundTrips);
  const run = async (event: APIGatewayProxyEventV2) => {
    if (endpoint.auth) {
      const token = (event.headers.authorization ?? '').slice('Bearer '.length);
      await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        typ: 'at+jwt',
        issuer: config.jwt.issuer,
        audience: config.jwt.audience,
      });
    }
    if (endpoint.signs) {
      // The access token of the new session, as lib/tokens.ts signs it (the same claims).
      const issuedAt = Math.floor(Date.now() / 1000);
      await signAccessToken(
        {
          algorithm: config.jwt.algorithm,
          kid: config.jwt.privateKey.kid ?? 'floor',
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
          subject: 'floor',
          sessionId: 'floor',
          issuedAt,
          expiresAt: issuedAt + config.accessTokenTtlSeconds,
        },
        {},
        signingKey,
      );
    }
    for (const op of endpoint.argon2) {
      if (op === 'verify') {
        if (!(await argon2.verify(passwordHash, PASSWORD))) throw new Error('floor: verify failed');
      } else await argon2.hash(PASSWORD, options);
    }
    for (let i = 0; i < roundTrips; i++) await redis.get(`${config.keyPrefix}floor`);
    // The mail job, queued as lib/mail/queue.ts does (one signed asynchronous invocation).
    if (endpoint.mail)
      await invokeFunction(lambda, config.mail.functionName, {}, { invocationType: 'Event' });
  };
  return { work, run: work.length > 0 ? run : null };
}

/**
 * Warm latency of one endpoint: the real handler in-process, API Gateway v2 events, against the
 * local datastore; and its floor, sample for sample in the same loop (alternating which goes
 * first), so both see the same machine.
 */
export async function measureWarmLatency(
  endpoint: Endpoint,
  handler: HttpHandler,
  settings: WarmSettings,
): Promise<WarmLatency> {
  const warmup = settings.warmup(endpoint);
  const clockRequests = settings.clock ? settings.clockRequests : 0;
  const inputs = await endpoint.requests(settings.fixtures, warmup + 1 + settings.samples + clockRequests);
  const events = inputs.map(httpEvent);
  let next = 0;
  for (; next < warmup; next++) await call(handler, events[next] as APIGatewayProxyEventV2, endpoint);

  await settings.datastore.resetRoundTrips();
  await call(handler, events[next++] as APIGatewayProxyEventV2, endpoint);
  const roundTrips = await settings.datastore.roundTrips();

  const floor = await floorOf(endpoint, roundTrips, settings);
  const first = events[0] as APIGatewayProxyEventV2;
  for (let i = 0; i < Math.min(warmup, 5); i++) await floor.run?.(first);

  const handlerMs: number[] = [];
  const floorMs: number[] = [];
  const timeHandler = async (event: APIGatewayProxyEventV2) => {
    const start = performance.now();
    await call(handler, event, endpoint);
    handlerMs.push(performance.now() - start);
  };
  const timeFloor = async (event: APIGatewayProxyEventV2) => {
    if (!floor.run) return;
    const start = performance.now();
    await floor.run(event);
    floorMs.push(performance.now() - start);
  };
  for (let i = 0; i < settings.samples; i++) {
    const event = events[next++] as APIGatewayProxyEventV2;
    if (i % 2 === 0) {
      await timeHandler(event);
      await timeFloor(event);
    } else {
      await timeFloor(event);
      await timeHandler(event);
    }
  }
  // The handler alone (no floor GETs in between), warm, while Redis logs what it runs.
  const datastore = settings.clock
    ? await settings.clock.measure(clockRequests, async () => {
        for (let i = 0; i < clockRequests; i++)
          await call(handler, events[next++] as APIGatewayProxyEventV2, endpoint);
      })
    : null;
  const handlerSummary = summarise(handlerMs);
  const floorSummary = floor.run ? summarise(floorMs) : null;
  return {
    route: endpoint.route,
    fn: endpoint.fn,
    roundTrips,
    handler: handlerSummary,
    floor: floorSummary,
    floorWork: floor.work,
    ratio: floorSummary ? handlerSummary.medianMs / floorSummary.medianMs : null,
    datastore,
  };
}
