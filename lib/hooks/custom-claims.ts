import type { CustomClaimsHookConfig } from '../config';
import type { User } from '../records';
import type { CustomClaimsSource, IssueMethod } from '../tokens';
import { type AwsEnvironment, createLambdaInvoker, LambdaInvokeError } from './lambda-invoke';
import { signWebhook } from './standard-webhooks';

/**
 * Claims a custom claims hook can never set (README "Custom claims"). Lives here, not in
 * lib/tokens.ts, so functions without a hook do not carry it.
 */
export const RESERVED_CLAIMS: readonly string[] = [
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'nbf',
  'jti',
  'sid',
  'typ',
  'scope',
];

/** How long a token issue waits for the hook (README "Custom claims"): then it goes on without. */
export const HOOK_BUDGET_MS = 2000;
/** The most the custom claims may weigh, as JSON (UTF-8 bytes): more, and none is added. */
export const MAX_CUSTOM_CLAIMS_BYTES = 2048;
/** The most of a hook's answer read at all. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** What the hook is asked (README "Custom claims"): `{user, sessionId, method}`. */
export interface ClaimsHookRequest {
  user: User;
  sessionId: string;
  method: IssueMethod;
}

/** Sends the request to the hook and answers its reply, as text; `signal` aborts it. */
export type ClaimsHookTransport = (request: ClaimsHookRequest, signal: AbortSignal) => Promise<string>;

/** Why a hook's claims were left out (logged, never its reply: it may hold personal data). */
export type HookFailure =
  | 'timeout'
  | 'unreachable'
  | 'status'
  | 'function_error'
  | 'invalid_response'
  | 'too_large'
  | 'user_not_found';

class HookError extends Error {
  override name = 'HookError';
  constructor(
    readonly reason: HookFailure,
    readonly status?: number,
  ) {
    super(reason);
  }
}

/** The narrow logger this module needs (Powertools' Logger fits). */
export interface HookLogger {
  warn(message: string, fields: Record<string, unknown>): void;
}

/**
 * A URL hook: `POST` the request as JSON, signed the Standard Webhooks way with `secret`. A 2xx
 * answer's body is the reply. Redirects are refused: the configured URL, and only it, gets the
 * user's data.
 */
export function createUrlTransport(url: string, secret: Buffer, now: () => number): ClaimsHookTransport {
  return async (request, signal) => {
    const body = JSON.stringify(request);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signWebhook(secret, body, now()) },
        body,
        redirect: 'error',
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new HookError('unreachable');
    }
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel();
      throw new HookError('status', response.status);
    }
    return response.text();
  };
}

/** A Lambda hook: invoked synchronously with the request as its event; its result is the reply. */
export function createLambdaTransport(functionName: string, env: AwsEnvironment): ClaimsHookTransport {
  const invoke = createLambdaInvoker(env);
  return async (request, signal) => {
    try {
      return await invoke(functionName, request, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof LambdaInvokeError)
        throw new HookError(
          error.reason === 'function_error' ? 'function_error' : 'unreachable',
          error.status,
        );
      throw new HookError('unreachable');
    }
  };
}

/**
 * The custom claims of a reply `{claims: {...}}`: a JSON object, the reserved claims taken out
 * (reported in `ignored`), at most MAX_CUSTOM_CLAIMS_BYTES as JSON.
 */
export function claimsOfReply(text: string): { claims: Record<string, unknown>; ignored: string[] } {
  if (Buffer.byteLength(text) > MAX_RESPONSE_BYTES) throw new HookError('too_large');
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    throw new HookError('invalid_response');
  }
  const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!isObject(reply) || !isObject(reply.claims)) throw new HookError('invalid_response');
  const ignored = Object.keys(reply.claims).filter(
    (name) => RESERVED_CLAIMS.includes(name) || name === '__proto__',
  );
  const claims = Object.fromEntries(Object.entries(reply.claims).filter(([name]) => !ignored.includes(name)));
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CUSTOM_CLAIMS_BYTES) throw new HookError('too_large');
  return { claims, ignored };
}

export interface CustomClaimsDeps {
  transport: ClaimsHookTransport;
  logger: HookLogger;
  /** The public user of a live session, for issues whose caller does not have it (a refresh). */
  findUser(userId: string, sessionId: string): Promise<User | null>;
  budgetMs?: number;
}

/**
 * The token service's claims source for a hook: asks it at every issue, within the budget. It
 * never throws: a hook that fails, is late, answers nonsense or too much costs the token its
 * custom claims (and a warning in the log), never the sign-in.
 */
export function createCustomClaims(deps: CustomClaimsDeps): CustomClaimsSource {
  const budgetMs = deps.budgetMs ?? HOOK_BUDGET_MS;
  return async ({ userId, sessionId, method, user }) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new HookError('timeout')), budgetMs);
    const aborted = new Promise<never>((_, reject) =>
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
    );
    aborted.catch(() => undefined);
    try {
      const work = (async () => {
        const who = user ?? (await deps.findUser(userId, sessionId));
        if (!who) throw new HookError('user_not_found');
        return claimsOfReply(await deps.transport({ user: who, sessionId, method }, controller.signal));
      })();
      // The budget holds even against a transport that would ignore the signal.
      const { claims, ignored } = await Promise.race([work, aborted]);
      if (ignored.length > 0)
        deps.logger.warn('custom claims hook: reserved claims ignored', {
          userId,
          method,
          ignoredClaims: ignored,
        });
      return claims;
    } catch (error) {
      const failure =
        error instanceof HookError
          ? error
          : new HookError(controller.signal.aborted ? 'timeout' : 'unreachable');
      deps.logger.warn('custom claims hook failed: token issued without custom claims', {
        userId,
        method,
        reason: failure.reason,
        ...(failure.status === undefined ? {} : { status: failure.status }),
      });
      return {};
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The claims source for the configured hook, or undefined when there is none. */
export function customClaimsFor(
  hook: CustomClaimsHookConfig | null,
  deps: Omit<CustomClaimsDeps, 'transport'> & { now: () => number; aws: AwsEnvironment },
): CustomClaimsSource | undefined {
  if (!hook) return undefined;
  const transport =
    hook.kind === 'url'
      ? createUrlTransport(hook.url, hook.secret, deps.now)
      : createLambdaTransport(hook.functionName, deps.aws);
  return createCustomClaims({ ...deps, transport });
}
