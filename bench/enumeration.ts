// Enumeration resistance as timing: does an answer take longer for an address that has an account?
// Known and unknown emails alternate (so drift in the machine hits both alike), each request from
// a client address of its own; every pair is also checked for the same status, headers and body.
import { performance } from 'node:perf_hooks';
import { httpEvent, lambdaContext } from '../dev/http-event';
import type { HttpHandler, HttpResult } from '../lib/http';
import type { Fixtures } from './fixtures';
import { type Summary, summarise } from './statistics';

export interface Enumeration {
  route: string;
  known: Summary;
  unknown: Summary;
  /** The larger median over the smaller: 1.00 is indistinguishable. */
  ratio: number;
  /** Every pair answered with the same status, headers and body (request ids aside). */
  sameAnswers: boolean;
}

interface Probe {
  route: string;
  handler: HttpHandler;
  request: (email: string, ip: string) => Parameters<typeof httpEvent>[0];
}

/** What a client can compare between two answers: all of it but the ids that differ per request. */
function observable(result: HttpResult): string {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {})
      .filter(([name]) => name.toLowerCase() !== 'x-request-id')
      .map(([name, value]) => [name.toLowerCase(), String(value)])
      .sort(),
  );
  const body = result.body ? JSON.parse(result.body) : null;
  if (body && typeof body === 'object') delete body.requestId;
  return JSON.stringify({ status: result.statusCode, headers, body });
}

async function timed(handler: HttpHandler, input: Parameters<typeof httpEvent>[0]) {
  const start = performance.now();
  const result = await handler(httpEvent(input), lambdaContext());
  return { ms: performance.now() - start, seen: observable(result) };
}

/** `samples` known and as many unknown addresses per probe, after `warmup` pairs. */
export async function measureEnumeration(
  handlers: { requestPasswordReset: HttpHandler; login: HttpHandler; requestEmailSignIn: HttpHandler },
  fixtures: Fixtures,
  samples: number,
  warmup = 3,
): Promise<Enumeration[]> {
  const probes: Probe[] = [
    {
      route: 'POST /password-resets',
      handler: handlers.requestPasswordReset,
      request: (email, ip) => ({ method: 'POST', path: '/password-resets', body: { email }, ip }),
    },
    {
      route: 'POST /sessions/email',
      handler: handlers.requestEmailSignIn,
      request: (email, ip) => ({ method: 'POST', path: '/sessions/email', body: { email }, ip }),
    },
    {
      route: 'POST /sessions (wrong password)',
      handler: handlers.login,
      request: (email, ip) => ({
        method: 'POST',
        path: '/sessions',
        body: { email, password: 'not the password at all' },
        ip,
      }),
    },
  ];
  const results: Enumeration[] = [];
  for (const probe of probes) {
    const accounts = await fixtures.accounts(samples + warmup);
    const known: number[] = [];
    const unknown: number[] = [];
    let sameAnswers = true;
    for (let i = 0; i < samples + warmup; i++) {
      const knownEmail = accounts[i]?.user.email as string;
      const unknownEmail = fixtures.newEmail();
      // Alternate which goes first, so neither always follows the other's work.
      const order = i % 2 === 0 ? ['known', 'unknown'] : ['unknown', 'known'];
      const pair: Record<string, { ms: number; seen: string }> = {};
      for (const which of order)
        pair[which] = await timed(
          probe.handler,
          probe.request(which === 'known' ? knownEmail : unknownEmail, fixtures.newIp()),
        );
      if (i < warmup) continue;
      known.push(pair.known?.ms ?? Number.NaN);
      unknown.push(pair.unknown?.ms ?? Number.NaN);
      if (pair.known?.seen !== pair.unknown?.seen) sameAnswers = false;
    }
    const k = summarise(known);
    const u = summarise(unknown);
    results.push({
      route: probe.route,
      known: k,
      unknown: u,
      ratio: Math.max(k.medianMs, u.medianMs) / Math.min(k.medianMs, u.medianMs),
      sameAnswers,
    });
  }
  return results;
}
