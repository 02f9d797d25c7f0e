// Mail jobs handed to the mail function by Lambda `Invoke` (InvocationType: Event) without the AWS
// SDK (lib/mail/queue.ts over lib/aws.ts), against a loopback stand-in of Lambda's API that checks
// each signature with the SDK's own signer; and a throttled, failing or hanging Lambda never fails
// the request that queued the mail.
import { Logger } from '@aws-lambda-powertools/logger';
import * as requestPasswordReset from '../../functions/request-password-reset';
import { createAwsService, invokeFunction } from '../../lib/aws';
import { createLambdaMailQueue } from '../../lib/mail/queue';
import { invoke, testServices } from '../support/app';
import { type StandIn, type StandInAnswer, startAwsStandIn, TEST_CREDENTIALS } from '../support/aws';

const FUNCTION = 'account-service-test-send-mail';
let answer: () => StandInAnswer | null = () => ({ status: 202 });
let lambda: StandIn;
let env: Record<string, string>;

beforeAll(async () => {
  lambda = await startAwsStandIn('lambda', () => answer());
  env = { ...TEST_CREDENTIALS, AWS_ENDPOINT_URL_LAMBDA: lambda.url };
});

afterAll(() => lambda.close());

beforeEach(() => {
  lambda.requests.length = 0;
  answer = () => ({ status: 202 });
});

const throttled = (): StandInAnswer => ({
  status: 429,
  headers: { 'x-amzn-errortype': 'TooManyRequestsException' },
  body: JSON.stringify({ Type: 'User', message: 'Rate Exceeded.' }),
});

describe('the Lambda mail queue', () => {
  test('queues the job as an asynchronous invocation, signed for lambda with the role credentials', async () => {
    await createLambdaMailQueue(FUNCTION, env).enqueue({ kind: 'password-reset', email: 'ada@example.com' });

    expect(lambda.requests).toHaveLength(1);
    const [request] = lambda.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: `/2015-03-31/functions/${FUNCTION}/invocations`,
      signatureValid: true,
    });
    expect(request?.scope).toMatch(/^\d{8}\/eu-west-1\/lambda\/aws4_request$/);
    expect(request?.headers['x-amz-invocation-type']).toBe('Event');
    expect(request?.headers['x-amz-security-token']).toBe(TEST_CREDENTIALS.AWS_SESSION_TOKEN);
    expect(JSON.parse(request?.body ?? '')).toEqual({ kind: 'password-reset', email: 'ada@example.com' });
  });

  test('a request signed with another secret does not pass the stand-in’s check (the check can fail)', async () => {
    const wrong = createAwsService({
      service: 'lambda',
      retries: 0,
      env: { ...env, AWS_SECRET_ACCESS_KEY: 'another-secret' },
    });
    await invokeFunction(wrong, FUNCTION, {}, { invocationType: 'Event' });
    expect(lambda.requests[0]?.signatureValid).toBe(false);
  });

  test('a function name that is an ARN travels encoded and is signed as the SDK signs it', async () => {
    const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:send-mail';
    await createLambdaMailQueue(arn, env).enqueue({ kind: 'verify-email', userId: 'usr_x' });
    expect(lambda.requests[0]).toMatchObject({
      path: `/2015-03-31/functions/${encodeURIComponent(arn)}/invocations`,
      signatureValid: true,
    });
  });

  test('a throttled invocation is retried once, then fails with Lambda’s error type', async () => {
    answer = throttled;
    await expect(
      createLambdaMailQueue(FUNCTION, env).enqueue({ kind: 'password-reset', email: 'a@example.com' }),
    ).rejects.toMatchObject({ name: 'TooManyRequestsException', status: 429 });
    expect(lambda.requests).toHaveLength(2);
  });

  test('a Lambda that never answers is given up (an abort), not waited for', async () => {
    answer = () => null;
    await expect(
      createLambdaMailQueue(FUNCTION, env).enqueue({ kind: 'password-reset', email: 'a@example.com' }),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('a request that queues mail', () => {
  let output = '';
  beforeEach(() => {
    output = '';
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      output += String(chunk);
      return true;
    });
  });
  afterEach(() => jest.restoreAllMocks());

  test.each([
    ['throttled', throttled],
    ['failing', (): StandInAnswer => ({ status: 500, body: '{"message":"boom"}' })],
    ['hanging', () => null],
  ])('answers as usual when Lambda is %s, and audits the mail as failed', async (_, fault) => {
    // Prepare: the real Lambda queue, pointed at the stand-in
    answer = fault;
    const services = testServices(
      {},
      {
        logger: new Logger({ serviceName: 'mail-queue-test', logLevel: 'INFO' }),
        mailQueue: createLambdaMailQueue(FUNCTION, env),
      },
    );

    // Act
    const response = await invoke(requestPasswordReset.createHandler(services), {
      method: 'POST',
      path: '/password-resets',
      body: { email: 'nobody@example.com' },
    });

    // Assess
    expect(response.status).toBe(202);
    expect(lambda.requests.length).toBeGreaterThanOrEqual(1);
    expect(output).toContain('"mail_failed"');
    expect(output).toContain('"queue_failed"');
  });
});
