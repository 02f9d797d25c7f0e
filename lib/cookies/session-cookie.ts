import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { problem } from '../errors';
import { refreshTokenSession } from '../tokens';

/**
 * The refresh token's cookie (README "Cookie transport for browser apps"). The `__Host-` prefix
 * makes the browser refuse it unless it is Secure, has `Path=/` and no `Domain`: it belongs to the
 * API's host alone, and no sibling subdomain can plant or overwrite it.
 */
export const REFRESH_COOKIE = '__Host-refresh';

/**
 * Longest Cookie header read. Browsers send at most ≈4 KiB per cookie and API Gateway refuses
 * headers beyond 10 KiB; anything longer is refused without being parsed.
 */
export const MAX_COOKIE_HEADER_CHARS = 8192;

// HttpOnly: no script reads it (XSS cannot steal it). Secure + the prefix: HTTPS only (browsers
// treat http://localhost as secure). SameSite=Strict: never sent on a request another site starts.
const ATTRIBUTES = 'HttpOnly; Secure; SameSite=Strict; Path=/';

/** The `Set-Cookie` value that hands a refresh token to the browser for `maxAgeSeconds`. */
export const refreshCookie = (refreshToken: string, maxAgeSeconds: number): string =>
  `${REFRESH_COOKIE}=${refreshToken}; ${ATTRIBUTES}; Max-Age=${maxAgeSeconds}`;

/** The `Set-Cookie` value that deletes the refresh cookie (log-out, account deletion). */
export const clearedRefreshCookie = (): string => `${REFRESH_COOKIE}=; ${ATTRIBUTES}; Max-Age=0`;

/**
 * The request's cookie pairs: API Gateway's payload 2.0 moves the Cookie header into
 * `event.cookies`; serverless offline keeps the header as the browser sent it. One header of a
 * dozen cookies is a few hundred characters; anything over the cap is refused.
 */
function cookiePairs(event: APIGatewayProxyEventV2): string[] {
  const header = event.headers?.cookie;
  const pairs = header !== undefined ? header.split(';') : (event.cookies ?? []);
  const length = pairs.reduce((total, pair) => total + pair.length + 1, 0);
  if (length > MAX_COOKIE_HEADER_CHARS) throw problem('invalid_refresh_token');
  return pairs;
}

/**
 * The refresh token the request's cookie carries. Exactly one `__Host-refresh` cookie holding
 * a well-formed token, or 401 `invalid_refresh_token`: none, two (a second one can only have been
 * planted, and we will not guess which is the user's), an empty, quoted, oversized or otherwise
 * malformed value. Names are compared without case, as browsers compare the `__Host-` prefix.
 */
export function readRefreshCookie(event: APIGatewayProxyEventV2): string {
  const values = cookiePairs(event).flatMap((pair) => {
    const equals = pair.indexOf('=');
    const name = (equals === -1 ? pair : pair.slice(0, equals)).trim();
    if (name.toLowerCase() !== REFRESH_COOKIE.toLowerCase()) return [];
    return [equals === -1 ? '' : pair.slice(equals + 1).trim()];
  });
  const [token] = values;
  if (values.length !== 1 || token === undefined || refreshTokenSession(token) === null)
    throw problem('invalid_refresh_token');
  return token;
}
