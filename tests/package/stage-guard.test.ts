// Deploys refuse local values (build/stage-guard.cjs): `serverless package --stage prod` fails,
// naming every variable that is missing or points at localhost, before anything is built; with a
// real stage's values it packages, and its template carries the operations side of the service:
// the alarms and their SNS topic, the metric namespace, no route to an admin function, and the
// integration's request id in the access log.
//
// Each run is in a scratch tree whose entries link back to this one, except what the packager
// writes (dist/, .serverless/) and the files it resolves paths from (copied), as in zips.test.ts.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CONFIG_VARIABLE_NAMES } from '../../dev/offline';
import { ADMIN_COMMANDS } from '../../lib/admin/commands';
import { METRIC_NAMESPACE } from '../../lib/metrics';
import { REAL_STAGE_VALUES } from '../support/stage-values';

const root = join(__dirname, '../..');
const run = promisify(execFile);
const scratches: string[] = [];

afterAll(() => {
  for (const scratch of scratches) rmSync(scratch, { recursive: true, force: true });
});

/** `serverless package --stage prod` with exactly `values` of the configuration variables set. */
async function packageProd(values: Record<string, string>) {
  const scratch = mkdtempSync(join(tmpdir(), 'stage-guard-'));
  scratches.push(scratch);
  const copied = ['esbuild.config.mjs', 'serverless.yml'];
  for (const entry of readdirSync(root)) {
    if (['dist', '.serverless', '.git', ...copied].includes(entry) || entry.startsWith('.env')) continue;
    symlinkSync(join(root, entry), join(scratch, entry));
  }
  for (const file of copied) copyFileSync(join(root, file), join(scratch, file));
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          !(CONFIG_VARIABLE_NAMES as readonly string[]).includes(name) &&
          !name.startsWith('OAUTH_') &&
          name !== 'API_URL',
      ),
    ),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    ...values,
  };
  const result = await run(
    process.execPath,
    [join(scratch, 'node_modules/serverless/bin/serverless.js'), 'package', '--stage', 'prod'],
    { cwd: scratch, env, maxBuffer: 16 * 1024 * 1024, timeout: 560_000 },
  ).then(
    ({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }),
    (error: { stdout: string; stderr: string }) => ({ ok: false, output: error.stdout + error.stderr }),
  );
  return { ...result, scratch };
}

test('a stage with local values fails to package, naming every one of them', async () => {
  const { ok, output } = await packageProd({
    APP_URL: 'http://localhost:5173',
    API_URL: 'http://127.0.0.1:3000',
    EMAIL_FROM: 'Account Service <no-reply@localhost>',
    CORS_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173',
    OAUTH_REDIRECT_ORIGINS: 'http://app.localhost:5173',
  });
  expect(ok).toBe(false);
  expect(output).toContain('Stage "prod" would ship local values');
  for (const line of [
    'APP_URL points at localhost (http://localhost:5173)',
    'API_URL points at localhost (http://127.0.0.1:3000)',
    'EMAIL_FROM points at localhost (Account Service <no-reply@localhost>)',
    'CORS_ALLOWED_ORIGINS points at localhost (https://app.example.com,http://localhost:5173)',
    'WEBAUTHN_RP_ID is missing',
    'OAUTH_REDIRECT_ORIGINS points at localhost (http://app.localhost:5173)',
  ])
    expect(output).toContain(line);
  // Refused before anything was built.
  expect(readdirSync(join(scratches.at(-1) as string))).not.toContain('dist');
}, 120_000);

test('a stage with nothing set fails, naming each missing variable', async () => {
  const { ok, output } = await packageProd({});
  expect(ok).toBe(false);
  for (const name of Object.keys(REAL_STAGE_VALUES)) expect(output).toContain(`${name} is missing`);
}, 120_000);

describe('a stage with real values', () => {
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  beforeAll(async () => {
    const { ok, output, scratch } = await packageProd({
      ...REAL_STAGE_VALUES,
      ALARM_EMAIL: 'oncall@example.com',
    });
    if (!ok) throw new Error(output);
    template = JSON.parse(
      readFileSync(join(scratch, '.serverless/cloudformation-template-update-stack.json'), 'utf8'),
    );
  }, 600_000);

  const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);

  test('packages, with alarms on failed sign-ins, 5xx, mail failures and datastore errors', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map((alarm) => alarm.Properties);
    expect(alarms.map(({ Namespace, MetricName }) => `${Namespace} ${MetricName}`).sort()).toEqual(
      [
        `${METRIC_NAMESPACE} FailedSignIns`,
        `${METRIC_NAMESPACE} DatastoreErrors`,
        'AWS/ApiGateway 5xx',
        'AWS/SQS ApproximateNumberOfMessagesVisible',
      ].sort(),
    );
    expect(alarms.find((a) => a.MetricName === 'FailedSignIns')).toMatchObject({
      Threshold: 50,
      Period: 60,
      Statistic: 'Sum',
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'service', Value: 'account-service' }],
    });
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
  });

  test('the alarms notify ALARM_EMAIL through an SNS topic', () => {
    expect(template.Resources.AlarmTopic?.Type).toBe('AWS::SNS::Topic');
    expect(template.Resources.AlarmEmailSubscription).toMatchObject({
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: 'oncall@example.com' },
    });
  });

  test('no route, integration or permission lets API Gateway reach an admin function', () => {
    const apiSide = [
      ...ofType('AWS::ApiGatewayV2::Route'),
      ...ofType('AWS::ApiGatewayV2::Integration'),
      ...ofType('AWS::Lambda::Permission'),
    ];
    expect(apiSide.length).toBeGreaterThan(0);
    const text = JSON.stringify(apiSide);
    for (const { fn } of ADMIN_COMMANDS) {
      // osls's logical id: the first letter capitalised, each '-' spelled 'Dash'.
      const logicalId = `${fn[0]?.toUpperCase()}${fn.slice(1).replace(/-/g, 'Dash')}LambdaFunction`;
      expect(template.Resources[logicalId]?.Type).toBe('AWS::Lambda::Function');
      expect([fn, text.includes(logicalId)]).toEqual([fn, false]);
    }
  });

  test("the access log carries the integration's request id (a problem's requestId)", () => {
    const [stage] = ofType('AWS::ApiGatewayV2::Stage');
    const settings = stage?.Properties.AccessLogSettings as { Format: string };
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format.integrationRequestId).toBe('$context.integration.requestId');
  });
});
