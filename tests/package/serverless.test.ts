// serverless.yml is the one hand-written description of the deployment. Its environment is
// generated from the configuration table (build/serverless-environment.cjs), without the variables
// the functions read from SSM at cold start (lib/parameters.ts); its functions and
// events are written out, and this test fails on any difference from the route table. Both are
// read as osls resolves them (`serverless print`), with the environment `npm start` would give.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { localEnvironment } from '../../dev/offline';
import { ADMIN_COMMANDS } from '../../lib/admin/commands';
import { CONFIG_VARIABLES, type VariableName } from '../../lib/config';
import { SSM_VARIABLES } from '../../lib/parameters';
import { CATCH_ALL, ROUTES, WORKERS } from '../../lib/routes';

const root = join(__dirname, '../..');
const run = promisify(execFile);
const NAMES = Object.keys(CONFIG_VARIABLES) as VariableName[];

interface Printed {
  custom: { argon2MemorySize: number; 'serverless-offline': { localEnvironment: boolean } };
  provider: { environment: Record<string, string>; memorySize: number };
  functions: Record<string, { handler: string; memorySize?: number; events: unknown[]; package: unknown }>;
}

/** `serverless print` of serverless.yml with exactly `env` (plus PATH/HOME) in the environment. */
async function print(env: Record<string, string>): Promise<Printed> {
  const { stdout } = await run(
    process.execPath,
    [join(root, 'node_modules/serverless/bin/serverless.js'), 'print', '--format', 'json'],
    {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? root,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        ...env,
      },
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout) as Printed;
}

/** A value for every variable that no default equals, so each one is seen to arrive. */
const distinct = Object.fromEntries(NAMES.map((name) => [name, `set-${name.toLowerCase()}`]));

describe('serverless.yml', () => {
  let printed: Printed;
  let defaults: Printed;
  beforeAll(async () => {
    // What `npm start` hands serverless offline when every variable is set in its shell.
    const started = await localEnvironment(distinct, { datastore: null, demoPort: 5173 });
    [printed, defaults] = await Promise.all([
      print(started),
      // A deploy with only the required variables set: everything else takes the table's default.
      print(
        Object.fromEntries(
          NAMES.filter((name) => CONFIG_VARIABLES[name].default === undefined).map((name) => [name, 'x']),
        ),
      ),
    ]);
  }, 90_000);

  test('every configuration variable reaches the functions through npm start, and no other', async () => {
    // The launcher's environment is the functions' own (localEnvironment), variables without a
    // default included; the others also pass serverless.yml's environment, which must keep them.
    const started = await localEnvironment(distinct, { datastore: null, demoPort: 5173 });
    expect(started).toEqual(distinct);
    expect(printed.custom['serverless-offline'].localEnvironment).toBe(true);
    expect(printed.provider.environment).toEqual(
      Object.fromEntries(
        NAMES.filter((name) => !SSM_VARIABLES.includes(name)).map((name) => [name, distinct[name]]),
      ),
    );
  });

  test("in AWS: the table's defaults, and never a variable without one (those come from SSM at cold start)", () => {
    const expected = Object.fromEntries(
      NAMES.filter((name) => !SSM_VARIABLES.includes(name)).map((name) => [
        name,
        name === 'SSM_PARAMETER_PREFIX' ? '/account-service/dev' : CONFIG_VARIABLES[name].default,
      ]),
    );
    expect(defaults.provider.environment).toEqual(expected);
  });

  test('has exactly one function per route, plus the catch-all and the workers', () => {
    expect(Object.keys(printed.functions).sort()).toEqual(
      [...ROUTES.map((route) => route.fn), CATCH_ALL.fn, ...WORKERS.map((worker) => worker.fn)].sort(),
    );
  });

  test('the mail function has no route, its own role, two retries and an on-failure queue', () => {
    expect(printed.functions['send-mail']).toMatchObject({
      handler: 'dist/functions/send-mail/index.handler',
      events: [],
      role: 'MailFunctionRole',
      maximumRetryAttempts: 2,
      destinations: { onFailure: { type: 'sqs' } },
    });
  });

  test.each(ADMIN_COMMANDS.map((command) => command.fn))('%s (an admin command) has no route', (fn) => {
    const { name: _, ...declared } = printed.functions[fn] as Printed['functions'][string] & { name: string };
    expect(declared).toEqual({
      handler: `dist/functions/${fn}/index.handler`,
      package: { patterns: [`dist/functions/${fn}/**`] },
      events: [],
    });
  });

  test.each(ROUTES.map((route) => [route.fn, route] as const))('%s: handler, event, memory', (fn, route) => {
    const { name: _, ...declared } = printed.functions[fn] as Printed['functions'][string] & { name: string };
    expect(declared).toEqual({
      handler: `dist/functions/${fn}/index.handler`,
      ...('hashing' in route && route.hashing
        ? { memorySize: printed.custom.argon2MemorySize, reservedConcurrency: null }
        : {}),
      package: { patterns: [`dist/functions/${fn}/**`] },
      events: [{ httpApi: { method: route.method, path: route.path } }],
    });
  });

  test('the catch-all takes every other method and path', () => {
    const { name: _, ...declared } = printed.functions[CATCH_ALL.fn] as Printed['functions'][string] & {
      name: string;
    };
    expect(declared).toEqual({
      handler: `dist/functions/${CATCH_ALL.fn}/index.handler`,
      package: { patterns: [`dist/functions/${CATCH_ALL.fn}/**`] },
      events: [{ httpApi: '*' }],
    });
  });
});
