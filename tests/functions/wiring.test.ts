// The per-function builders hand each handler only what its bundle carries. A handler built
// without a dependency it needs answers a 500 (a wiring error, logged), never skips the step; the
// builder each function is deployed with hands it what it needs. (tests/unit/wiring.test.ts checks
// each service's operations one by one.)
import { randomBytes } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import * as passkeyLogin from '../../functions/passkey-login';
import * as passkeyLoginOptions from '../../functions/passkey-login-options';
import { parseConfig } from '../../lib/config';
import { createBaseServices, passkeyLogInServices, passkeyLoginServices } from '../../lib/services';
import { passkeyTier } from '../../lib/tiers';
import { invoke } from '../support/app';
import { recordingMailQueue } from '../support/mail';

/** The test environment under a fresh key prefix, with one log-in per minute and address. */
const env = () => ({
  ...process.env,
  KEY_PREFIX: `test:${randomBytes(6).toString('hex')}:`,
  RATE_LIMIT_LOGIN_PER_IP: '1/60',
});

test('POST /sessions/passkey/options built without the per-IP log-in limit: 500, the wiring error logged', async () => {
  const errors: unknown[][] = [];
  const logger = new Logger({ logLevel: 'SILENT' });
  logger.error = (...args: unknown[]) => {
    errors.push(args);
  };
  const base = createBaseServices(parseConfig(env()), { logger });
  const handler = passkeyLoginOptions.createHandler({
    ...base,
    ...passkeyTier(base, {}, { mailQueue: recordingMailQueue() }),
  });
  const res = await invoke(handler, { method: 'POST', path: '/sessions/passkey/options', body: {} });
  expect(res.status).toBe(500);
  expect(res.body.code).toBe('internal_error');
  expect(errors).toEqual([
    [
      'unexpected error',
      expect.objectContaining({ message: 'this function was built without the per-IP log-in limit' }),
    ],
  ]);
});

// The builders the functions are deployed with hand them the limit: the second attempt from one
// address within the minute is refused.
test.each([
  [
    '/sessions/passkey/options',
    () => passkeyLoginOptions.createHandler(passkeyLoginServices(env())),
    {},
    200,
  ],
  // A response that names nothing: 400 passkey_invalid, after the limit counted it.
  ['/sessions/passkey', () => passkeyLogin.createHandler(passkeyLogInServices(env())), { response: {} }, 400],
] as const)(
  'POST %s as deployed counts on the per-IP log-in limit',
  async (path, build, body, firstStatus) => {
    const handler = build();
    const attempt = () => invoke(handler, { method: 'POST', path, body, ip: '198.51.100.7' });
    expect((await attempt()).status).toBe(firstStatus);
    const second = await attempt();
    expect(second.status).toBe(429);
    expect(second.body.code).toBe('rate_limited');
  },
);
