// `npm run admin -- <command> <email|userId> [--reason TEXT] [--stage NAME] [--region REGION]`
// Runs one operator's command (lib/admin/commands.ts) by invoking its Lambda function — there is no
// HTTP route to them — and prints the one JSON object it answers. Exit status: 0 done, 1 refused
// (not found, invalid, conflict), 2 could not run.
//   Local (no --stage, or --stage local): the function under `npm start`, through serverless
//     offline's Lambda API on LAMBDA_PORT (default 3002; `npm start` prints it).
//   AWS (--stage NAME): the deployed function `account-service-NAME-admin-<command>` in AWS_REGION
//     (or --region), signed with the operator's credentials from the environment
//     (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; with a profile:
//     `eval "$(aws configure export-credentials --format env)"`). The operator's identity
//     (STS GetCallerIdentity) travels with the command and is audited.
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ADMIN_COMMANDS } from '../lib/admin/commands';
import { callerIdentity, credentialsFrom, invokeFunction } from './lambda-invoke';

const SERVICE = 'account-service';
/** The stage serverless offline runs under `npm start` (serverless.yml's default). */
const LOCAL_OFFLINE_STAGE = 'dev';

const usage = `Usage: npm run admin -- <command> <email|userId> [--reason TEXT] [--stage NAME] [--region REGION]
Commands:
${ADMIN_COMMANDS.map((c) => `  ${c.command.padEnd(16)}${c.summary}`).join('\n')}`;

function fail(message: string, status = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(status);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      reason: { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) fail(usage, 0);
  const [name, target, ...rest] = positionals;
  const command = ADMIN_COMMANDS.find((c) => c.command === name);
  if (!command || !target || rest.length > 0) fail(usage);
  if (values.reason !== undefined && command.command !== 'disable') fail('--reason goes with disable only.');

  const stage = values.stage ?? 'local';
  let result: unknown;
  if (stage === 'local') {
    const endpoint =
      process.env.ADMIN_LAMBDA_ENDPOINT ?? `http://127.0.0.1:${process.env.LAMBDA_PORT ?? 3002}`;
    result = await invokeFunction(
      { endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
      `${SERVICE}-${LOCAL_OFFLINE_STAGE}-${command.fn}`,
      {
        target,
        operator: `local:${userInfo().username}`,
        ...(values.reason ? { reason: values.reason } : {}),
      },
    ).catch((error: Error) =>
      fail(
        `Cannot reach the local Lambda API at ${endpoint} (is npm start running? LAMBDA_PORT): ${error.message}`,
      ),
    );
  } else {
    const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) fail('Set AWS_REGION (or --region): the region the stage is deployed in.');
    const credentials = credentialsFrom(process.env);
    if (!credentials)
      fail(
        'No AWS credentials in the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), e.g. eval "$(aws configure export-credentials --format env)".',
      );
    const operator = await callerIdentity({ region, credentials });
    result = await invokeFunction(
      { endpoint: `https://lambda.${region}.amazonaws.com`, region, credentials },
      `${SERVICE}-${stage}-${command.fn}`,
      { target, operator, ...(values.reason ? { reason: values.reason } : {}) },
    );
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit((result as { ok?: boolean } | null)?.ok === true ? 0 : 1);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
