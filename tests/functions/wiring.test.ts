// The per-function builders hand each handler only what its bundle carries. A handler built
// without a dependency it needs answers a 500 (a wiring error, logged), never skips the step; the
// builder each function is deployed with hands it what it needs. (tests/unit/wiring.test.ts checks
// each service's operations one by one.)
import { Logger } from '@aws-lambda-powertools/logger';
import * as passkeyLoginOptions from '../../functions/passkey-login-options';
import { parseConfig } from '../../lib/config';
import { createBaseServices, passkeyLoginServices } from '../../lib/services';
import { passkeyTier } from '../../lib/tiers';
import { invoke } from '../support/app';
import { recordingMailQueue } from '../support/mail';

const request = { method: 'POST', path: '/sessions/passkey/options', body: {} };

describe('POST /sessions/passkey/options', () => {
  test('built without the per-IP log-in limit, it answers 500 and logs the wiring error', async () => {
    const errors: unknown[][] = [];
    const logger = new Logger({ logLevel: 'SILENT' });
    logger.error = (...args: unknown[]) => {
      errors.push(args);
    };
    const base = createBaseServices(parseConfig(process.env), { logger });
    const handler = passkeyLoginOptions.createHandler({
      ...base,
      ...passkeyTier(base, {}, { mailQueue: recordingMailQueue() }),
    });
    const res = await invoke(handler, request);
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('internal_error');
    expect(errors).toEqual([
      [
        'unexpected error',
        expect.objectContaining({ message: 'this function was built without the per-IP log-in limit' }),
      ],
    ]);
  });

  test('built as deployed (passkeyLoginServices), it answers the options', async () => {
    const res = await invoke(passkeyLoginOptions.createHandler(passkeyLoginServices(process.env)), request);
    expect(res.status).toBe(200);
    expect(res.body.options.rpId).toBe(parseConfig(process.env).webauthn.rpId);
  });
});
