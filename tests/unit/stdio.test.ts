import fs from 'node:fs';
import { createLogger } from '../../lib/logger';
import { countMetric } from '../../lib/metrics';
import { writeLine } from '../../lib/stdio';

// Inside Lambda, log lines and metrics are written to the descriptors (lib/stdio.ts), never
// through process.stdout or process.stderr, whose first access costs a cold start ≈6 ms.
const written: Array<{ fd: number; text: string }> = [];
let writeSync: jest.SpyInstance;
let streamWrite: jest.SpyInstance;
const withoutLambda = process.env.AWS_LAMBDA_FUNCTION_NAME;

beforeEach(() => {
  written.length = 0;
  writeSync = jest.spyOn(fs, 'writeSync').mockImplementation(((
    fd: number,
    bytes: Uint8Array,
    offset?: number | null,
  ) => {
    const from = offset ?? 0;
    written.push({ fd, text: Buffer.from(bytes).subarray(from).toString('utf8') });
    return bytes.length - from;
  }) as typeof fs.writeSync);
  streamWrite = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  jest.restoreAllMocks();
  if (withoutLambda === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  else process.env.AWS_LAMBDA_FUNCTION_NAME = withoutLambda;
});

describe('writeLine', () => {
  test('writes the line and a newline to the descriptor, not the stream', () => {
    writeLine(2, 'héllo');

    expect(written).toEqual([{ fd: 2, text: 'héllo\n' }]);
    expect(streamWrite).not.toHaveBeenCalled();
  });

  test('finishes a partial write, then hands what a refusing descriptor leaves to the stream', () => {
    // Prepare: the descriptor takes 3 bytes, then 2, then refuses (EAGAIN)
    const taken = [3, 2];
    writeSync.mockImplementation(() => {
      const next = taken.shift();
      if (next === undefined) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
      return next;
    });

    // Act
    writeLine(1, 'abcdefgh');

    // Assess: nothing lost, nothing twice
    expect(streamWrite).toHaveBeenCalledTimes(1);
    expect(Buffer.from(streamWrite.mock.calls[0][0] as Uint8Array).toString('utf8')).toBe('fgh\n');
  });
});

describe('inside Lambda', () => {
  beforeEach(() => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'stdio-test';
  });

  test("the logger writes info to stdout and errors to stderr, one JSON line each, as Powertools' Console would", () => {
    const logger = createLogger('INFO');

    logger.info('signed in', { userId: 'u1' });
    logger.error('failed');

    expect(written.map((w) => w.fd)).toEqual([1, 2]);
    expect(written.every((w) => w.text.endsWith('\n') && !w.text.slice(0, -1).includes('\n'))).toBe(true);
    const [info, error] = written.map((w) => JSON.parse(w.text) as unknown);
    expect(info).toMatchObject({ level: 'INFO', message: 'signed in', userId: 'u1' });
    expect(error).toMatchObject({ level: 'ERROR', message: 'failed' });
    expect(streamWrite).not.toHaveBeenCalled();
  });

  test('a metric is one EMF line on stdout', () => {
    countMetric('SignIns', { method: 'password' }, 1_700_000_000_000);

    expect(written.map((w) => w.fd)).toEqual([1]);
    expect(written.map((w) => JSON.parse(w.text) as unknown)).toEqual([
      {
        _aws: {
          Timestamp: 1_700_000_000_000,
          CloudWatchMetrics: [
            {
              Namespace: 'AccountService',
              Dimensions: [['service', 'method']],
              Metrics: [{ Name: 'SignIns', Unit: 'Count' }],
            },
          ],
        },
        service: 'account-service',
        method: 'password',
        SignIns: 1,
      },
    ]);
  });
});

test('outside Lambda (tests, tools) the logger writes through the stream, and metrics go nowhere', () => {
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  const logger = createLogger('INFO');

  logger.info('hello');
  countMetric('SignUps');

  expect(written).toEqual([]);
  expect(streamWrite).toHaveBeenCalledTimes(1);
});
