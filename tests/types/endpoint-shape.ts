// Compile-time checks of `endpoint` (lib/http.ts): a handler's result is typed by its route's row
// (lib/routes.ts) — the `response` schema of lib/resources.ts, nothing for a 202 or 204, a
// `redirect` for a 302 — and no member the resource lacks, at any depth, as its strict schema would
// refuse it. `npm run typecheck` fails if a line marked @ts-expect-error compiles, i.e. if `endpoint`
// stops refusing a handler that returns the wrong shape. Never run: only compiled.

import { endpoint, type HttpDeps, redirect } from '../../lib/http';
import type { StoredUser, User } from '../../lib/records';
import { routeOf } from '../../lib/routes';
import type { SessionSummary } from '../../lib/sessions/store';
import type { SessionTokens } from '../../lib/tokens';
import { RefreshBody } from '../../lib/validation';

declare const deps: HttpDeps;
declare const user: User;
declare const session: SessionTokens;
declare const stored: StoredUser;
declare const summary: SessionSummary;

export const rightShapes = [
  endpoint(deps, routeOf('get-profile'), undefined, async () => ({ user })),
  endpoint(deps, routeOf('refresh-session'), RefreshBody, async () => ({ session })),
  endpoint(deps, routeOf('list-sessions'), undefined, async () => ({ sessions: [summary] })),
  endpoint(deps, routeOf('logout'), undefined, async () => {}),
  endpoint(deps, routeOf('oauth-callback'), undefined, async () => redirect('https://app.example/')),
];

export const wrongShapes = [
  // @ts-expect-error the user bare, not in its `{ user }` envelope
  endpoint(deps, routeOf('get-profile'), undefined, async () => user),
  // @ts-expect-error a member of the wrong type
  endpoint(deps, routeOf('get-profile'), undefined, async () => ({
    user: { ...user, emailVerified: 'yes' },
  })),
  // @ts-expect-error a member missing (`updatedAt`)
  endpoint(deps, routeOf('get-profile'), undefined, async () => ({
    user: { ...user, updatedAt: undefined },
  })),
  // @ts-expect-error another route's resource: a session where the user belongs
  endpoint(deps, routeOf('get-profile'), undefined, async () => ({ session })),
  // @ts-expect-error a refresh answers the session, not the user
  endpoint(deps, routeOf('refresh-session'), RefreshBody, async () => ({ user })),
  // @ts-expect-error the stored user: epoch times, and its password hash
  endpoint(deps, routeOf('get-profile'), undefined, async () => ({ user: stored })),
  // @ts-expect-error the same hash added to a user
  endpoint(deps, routeOf('get-profile'), undefined, async () => ({ user: { ...user, passwordHash: 'h' } })),
  // @ts-expect-error an extra member next to the envelope's
  endpoint(deps, routeOf('get-profile'), undefined, async () => ({ user, token: 't' })),
  // @ts-expect-error inside an array: a session summary with its refresh hash
  endpoint(deps, routeOf('list-sessions'), undefined, async () => ({
    sessions: [{ ...summary, refreshHash: 'h' }],
  })),
  // @ts-expect-error a 204 has no body
  endpoint(deps, routeOf('logout'), undefined, async () => ({ user })),
  // @ts-expect-error a 200 with a body may not answer nothing
  endpoint(deps, routeOf('list-sessions'), undefined, async () => {}),
  // @ts-expect-error a 302 answers a redirect(), not a body
  endpoint(deps, routeOf('oauth-callback'), undefined, async () => ({ location: 'https://app.example/' })),
  // @ts-expect-error the JWKS never carries a private member's key type: `kty` is one of three
  endpoint(deps, routeOf('jwks'), undefined, async () => ({ keys: [{ kty: 'oct', k: 'secret' }] })),
];
