// A function's builder hands each service only the dependencies its bundle carries. An operation
// that needs one it was built without must fail loudly (a WiringError, a logged 500), never skip
// the step: a missing limiter must not mean an unlimited log-in, nor a missing hook unclaimed tokens.
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { createAccess } from '../../lib/access';
import { createPasswordCheck } from '../../lib/accounts/reauthentication';
import type { UserReader } from '../../lib/accounts/store';
import { createAuditLog } from '../../lib/audit';
import { parseConfig } from '../../lib/config';
import { withSessionCookie } from '../../lib/cookies/transport';
import type { Datastore } from '../../lib/datastore';
import { createEmailSignIn } from '../../lib/email-sign-in/service';
import { WiringError } from '../../lib/errors';
import { customClaimsFor } from '../../lib/hooks/custom-claims';
import { type ClientInfo, endpoint, type HttpDeps } from '../../lib/http';
import { createKeys } from '../../lib/keys';
import { createPasskeyCeremonies } from '../../lib/passkeys/ceremonies';
import { createPasskeys } from '../../lib/passkeys/service';
import { createLinkFollowing } from '../../lib/recovery/service';
import { type FunctionName, ROUTES, type Route, routeOf } from '../../lib/routes';
import { createBaseServices, createPublicServices, sessionIssuing } from '../../lib/services';
import { signAccessToken, type TokenService, withBearerAuth } from '../../lib/tokens';
import * as validation from '../../lib/validation';

// A datastore that is never reached: every check here comes before any call to it.
const env = {
  ...process.env,
  UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
  UPSTASH_REDIS_REST_TOKEN: 'unused',
};
const config = parseConfig(env);
const audit = createAuditLog(new Logger({ logLevel: 'SILENT' }));
const client = { ip: '192.0.2.1', userAgent: 'test' } as ClientInfo;
const caller = { userId: 'usr_AAAAAAAAAAAAAAAAAAAAAA', sessionId: 'ses_BBBBBBBBBBBBBBBBBBBBBB' };
const now = () => Date.parse('2030-01-01T00:00:00Z');
const mail = { enqueue: async () => undefined };

/** Fails the test if a script was run: the wiring check comes before any call to the datastore. */
const untouchable = {
  script: () => async () => {
    throw new Error('the datastore was used');
  },
} as unknown as Datastore;
const tokens = {} as TokenService;
const passkeyParts = { datastore: untouchable, keys: createKeys('wiring:'), tokens, audit, mail, now };

const builtWithout = (dependency: string) =>
  expect.objectContaining({
    name: 'WiringError',
    message: `this function was built without ${dependency}`,
  });

describe('a dependency the function was built without', () => {
  test('the passkey log-in options throw without the per-IP log-in limit', async () => {
    const passkeys = createPasskeys({
      ...passkeyParts,
      users: { beginReauth: async () => ({ status: 'unauthorized' }) },
      settings: config,
    });
    await expect(passkeys.loginOptions(client)).rejects.toEqual(builtWithout('the per-IP log-in limit'));
  });

  test('the passkey log-in options ask the limit when it is there', async () => {
    const refused = new Error('limited');
    const passkeys = createPasskeys({
      ...passkeyParts,
      users: { beginReauth: async () => ({ status: 'unauthorized' }) },
      limitLogin: async () => {
        throw refused;
      },
      settings: config,
    });
    await expect(passkeys.loginOptions(client)).rejects.toBe(refused);
  });

  test('a passkey log-in throws without the per-IP log-in limit', async () => {
    const ceremonies = createPasskeyCeremonies({ ...passkeyParts, settings: config });
    await expect(ceremonies.logIn({ response: {} }, client)).rejects.toEqual(
      builtWithout('the per-IP log-in limit'),
    );
  });

  test('a re-entered password throws without a password hasher', async () => {
    const check = createPasswordCheck({
      users: {
        beginReauth: async () => {
          throw new Error('the store was used');
        },
      },
      audit,
      settings: config,
      now,
    });
    await expect(check(caller, 'a password')).rejects.toEqual(builtWithout('a password hasher'));
  });

  test.each([
    ['verifyEmail', 'the verification links'],
    ['revertEmailChange', 'the revert links'],
  ] as const)('following a link with %s throws without %s', async (operation, dependency) => {
    const links = createLinkFollowing({ audit, now });
    await expect(links[operation]({ token: 'x' })).rejects.toEqual(builtWithout(dependency));
  });

  test.each([
    ['asking', 'the email sign-in rate limits'],
    ['following', 'the email sign-in store'],
  ] as const)('an email sign-in %s throws without %s', async (half, dependency) => {
    const emailSignIn = createEmailSignIn({
      tokens,
      audit,
      settings: { refreshTokenTtlSeconds: 60, signUp: true },
      now,
    });
    const operation =
      half === 'asking'
        ? emailSignIn.request({ email: 'ada@example.com' }, client)
        : emailSignIn.confirm({ email: 'ada@example.com', code: '123456' }, client);
    await expect(operation).rejects.toEqual(builtWithout(dependency));
  });
});

describe('the session functions and the public documents', () => {
  const access = (sessions: Parameters<typeof createAccess>[0]['sessions']) =>
    createAccess({
      users: { authenticate: async () => null } as unknown as UserReader,
      sessions,
      tokens,
      audit,
      refreshTokenTtlSeconds: 60,
      refreshReuseGraceSeconds: 5,
      now,
    });
  const refreshToken = `${caller.userId}.${caller.sessionId}.${'A'.repeat(43)}`;

  test('a refresh throws without the rotation (the other session functions never build it)', async () => {
    await expect(access({}).refresh({ refreshToken }, client)).rejects.toEqual(
      builtWithout('the refresh rotation'),
    );
  });

  test.each([
    ['logout', () => access({}).logout(caller), 'the session revocation'],
    ['listSessions', () => access({}).listSessions(caller), 'the session list'],
    ['revokeAllSessions', () => access({}).revokeAllSessions(caller), 'the session revocation'],
    ['revokeSession', () => access({}).revokeSession(caller, caller.sessionId), 'the session revocation'],
  ] as const)(
    '%s throws without its part of the store (each session function builds its own part only)',
    async (_, run, dependency) => {
      await expect(run()).rejects.toEqual(builtWithout(dependency));
    },
  );

  /** A handler of `fn`'s route over `http`, with the body schema it names. */
  const handlerOf = (fn: string, http: HttpDeps) => {
    const route: Route = routeOf(fn as FunctionName);
    const body = route.body ? (validation as Record<string, unknown>)[route.body] : undefined;
    return endpoint(http, route, body as undefined, async () => undefined as never);
  };
  const publicHttp = () => createPublicServices(config, { logger: new Logger({ logLevel: 'SILENT' }) }).http;
  const takesBearer = (route: Route) => route.auth || route.optionalAuth === true;

  test.each((ROUTES as readonly Route[]).filter((route) => route.sessionCookie).map((route) => route.fn))(
    'the handler of %s (a sessionCookie route) is not built without the cookie transport',
    (fn) => {
      const http = takesBearer(routeOf(fn as FunctionName)) ? withBearerAuth(publicHttp()) : publicHttp();
      expect(() => handlerOf(fn, http)).toThrow(builtWithout('the cookie transport'));
      expect(() => handlerOf(fn, withSessionCookie(http))).not.toThrow();
    },
  );

  test.each((ROUTES as readonly Route[]).filter(takesBearer).map((route) => route.fn))(
    'the handler of %s (a route that takes a bearer token) is not built without the token verifier',
    (fn) => {
      const http = (routeOf(fn as FunctionName) as Route).sessionCookie
        ? withSessionCookie(publicHttp())
        : publicHttp();
      expect(() => handlerOf(fn, http)).toThrow(builtWithout('the token verifier'));
      expect(() => handlerOf(fn, withBearerAuth(http))).not.toThrow();
    },
  );

  test('a token service built without the verifier throws on a token, never answers "invalid"', async () => {
    await expect(publicHttp().tokens.verifyAccessToken('a.b.c')).rejects.toEqual(
      builtWithout('the token verifier'),
    );
  });

  test('the public functions carry no datastore: a session check throws', async () => {
    const services = createPublicServices(config, { logger: new Logger({ logLevel: 'SILENT' }) });
    await expect(services.http.sessionAlive(caller)).rejects.toEqual(builtWithout('a datastore'));
  });
});

describe('the custom claims hook', () => {
  const hooked = parseConfig({
    ...env,
    HOOK_CUSTOM_CLAIMS: 'https://hooks.example.com/claims',
    HOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
  });
  const issue = (services: ReturnType<typeof createBaseServices>) =>
    services.tokens.issueSession(caller.userId, caller.sessionId, 'refresh-token', { method: 'refresh' });

  test('configured, a function built without it refuses to issue tokens', async () => {
    const error = await issue(createBaseServices(hooked)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WiringError);
    expect(error).toEqual(builtWithout('the custom claims hook'));
  });

  test('not configured, a function built without the signer refuses to issue tokens', async () => {
    await expect(issue(createBaseServices(config))).rejects.toEqual(builtWithout('the token signer'));
  });

  test('not configured, a function built to issue sessions issues tokens', async () => {
    await expect(issue(createBaseServices(config, {}, sessionIssuing))).resolves.toMatchObject({
      tokenType: 'Bearer',
    });
  });

  test('configured and built in, it is asked (its failure costs the claims only)', async () => {
    const fetched: string[] = [];
    const services = createBaseServices(
      hooked,
      { now, logger: new Logger({ logLevel: 'SILENT' }) },
      {
        sign: signAccessToken,
        claimsHook: (hook, deps) =>
          customClaimsFor(hook, {
            ...deps,
            findUser: async (userId) => {
              fetched.push(userId);
              return null;
            },
          }),
      },
    );
    await expect(issue(services)).resolves.toMatchObject({ tokenType: 'Bearer' });
    expect(fetched).toEqual([caller.userId]);
  });
});
