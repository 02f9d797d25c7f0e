// Packaging for AWS (issue 6): `serverless package`, exactly as `npm run package` runs it (the
// build/lambda-packaging.cjs hook builds the bundles and stages the Argon2 addon), once per Lambda
// architecture. Then the zips are opened: each holds its handler and bundle; the functions that
// hash hold @node-rs/argon2 with the Linux binding for that architecture, where `require` and
// `import()` look first from the handler (…/dist/functions/<fn>/node_modules); the others hold no
// native code; none holds sources, tests, source maps, lockfiles or secrets.
//
// Each package runs in a scratch tree whose entries link back to this one, except what the
// build and the packager write (dist/, .serverless/) and the two config files they resolve
// paths from (copied): rebuilding dist/ in place would pull bundles from under anything
// serving them meanwhile (the e2e suite, `npm start`).
import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { CONFIG_VARIABLE_NAMES } from '../../dev/offline';
import { readCommonPasswords } from '../../lib/common-passwords';
import { PASSWORD_MIN_LENGTH_FLOOR } from '../../lib/config';
import { SSM_VARIABLES } from '../../lib/parameters';
import { ROUTES } from '../../lib/routes';
import { REAL_STAGE_VALUES } from '../support/stage-values';

const root = join(__dirname, '../..');
const run = promisify(execFile);

/** ELF e_machine per Lambda architecture, and npm's name for the CPU. */
const ARCHITECTURES = {
  arm64: { machine: 0xb7, cpu: 'arm64', host: 'arm64' },
  x86_64: { machine: 0x3e, cpu: 'x64', host: 'x64' },
} as const;
type Architecture = keyof typeof ARCHITECTURES;

/** The functions that hash or verify passwords: their bundles load @node-rs/argon2. */
const HASHING: string[] = ROUTES.filter((route) => 'hashing' in route && route.hashing).map(
  (route) => route.fn,
);
const ARGON2_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies[
  '@node-rs/argon2'
];

/**
 * Stand-ins for what the functions read from SSM at cold start, set in the packaging shell as a
 * careless deployer might: they must reach neither the zips nor the CloudFormation template.
 */
const SECRETS = {
  UPSTASH_REDIS_REST_URL: 'https://secret-host-4d1f.upstash.example',
  UPSTASH_REDIS_REST_TOKEN: 'secret-token-8c2b61f0e5d94a7b',
  JWT_PRIVATE_KEY: '{"kty":"OKP","crv":"Ed25519","d":"secret-d-93b7c0a1","x":"public-x"}',
  HOOK_SECRET: 'whsec_c2VjcmV0LWhvb2stNGU3YTkxYzBkMmI1ZjM2OA==',
};

const functionNames = readdirSync(join(root, 'functions'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

/** Every entry of a zip (files only) with its uncompressed content. */
function readZip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const entries = new Map<string, Buffer>();
      zip.on('error', reject);
      zip.on('end', () => resolve(entries));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

interface Packaged {
  /** The scratch tree it ran in (its dist/ is what was built). */
  scratch: string;
  /** Function name → handler (`dist/functions/<fn>/index.handler`), as packaged. */
  handlers: Record<string, string>;
  zips: Record<string, Map<string, Buffer>>;
  template: string;
}

/** `serverless package` for one architecture in a scratch tree; returns what it produced. */
async function packageFor(architecture: Architecture): Promise<Packaged> {
  const scratch = mkdtempSync(join(tmpdir(), `package-${architecture}-`));
  scratches.push(scratch);
  const copied = ['esbuild.config.mjs', 'serverless.yml'];
  for (const entry of readdirSync(root)) {
    if (['dist', '.serverless', '.git', ...copied].includes(entry)) continue;
    symlinkSync(join(root, entry), join(scratch, entry));
  }
  for (const file of copied) copyFileSync(join(root, file), join(scratch, file));
  await run(process.execPath, [join(scratch, 'node_modules/serverless/bin/serverless.js'), 'package'], {
    cwd: scratch,
    // The machine's environment (npm needs its registry settings), without the test run's own
    // service configuration: only the stand-in secrets and the defaults reach the template.
    env: {
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          ([name]) => !(CONFIG_VARIABLE_NAMES as readonly string[]).includes(name),
        ),
      ),
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      LAMBDA_ARCHITECTURE: architecture,
      // A real stage's values: any stage but `local` refuses local ones (build/stage-guard.cjs).
      ...REAL_STAGE_VALUES,
      ...SECRETS,
    },
    maxBuffer: 16 * 1024 * 1024,
    // A hang guard, not a timing: on 2 busy cores one packaging has taken 111 s.
    timeout: 300_000,
  });
  const out = join(scratch, '.serverless');
  const state = JSON.parse(readFileSync(join(out, 'serverless-state.json'), 'utf8'));
  const handlers: Record<string, string> = {};
  const zips: Record<string, Map<string, Buffer>> = {};
  for (const [name, fn] of Object.entries<{ handler: string }>(state.service.functions)) {
    handlers[name] = fn.handler;
    zips[name] = await readZip(join(out, `${name}.zip`));
  }
  return {
    scratch,
    handlers,
    zips,
    template: readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
  };
}

const packaged: Partial<Record<Architecture, Packaged>> = {};
const scratches: string[] = [];

beforeAll(async () => {
  // Both architectures at once, each in its own tree.
  const [arm64, x86_64] = await Promise.all([packageFor('arm64'), packageFor('x86_64')]);
  Object.assign(packaged, { arm64, x86_64 });
}, 320_000);

afterAll(() => {
  for (const scratch of scratches) rmSync(scratch, { recursive: true, force: true });
});

/** Writes a zip's entries into a fresh directory outside this tree, as Lambda does into /var/task. */
function unpack(zip: Map<string, Buffer>, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [entry, content] of zip) {
    mkdirSync(join(dir, dirname(entry)), { recursive: true });
    writeFileSync(join(dir, entry), content);
  }
  return dir;
}

/** The directory of a handler's file inside the zip: `dist/functions/<fn>`. */
const handlerDir = (handler: string) => dirname(handler);
const handlerFile = (handler: string) => handler.replace(/\.[^./]+$/, '.js');

describe.each(Object.keys(ARCHITECTURES) as Architecture[])('serverless package for %s', (architecture) => {
  const { machine, cpu } = ARCHITECTURES[architecture];
  const result = () => packaged[architecture] as Packaged;

  test('packages every function in functions/, one zip each, for this architecture', () => {
    expect(Object.keys(result().handlers).sort()).toEqual(functionNames);
    const template = JSON.parse(result().template);
    const architectures = Object.values<{ Type: string; Properties: { Architectures: string[] } }>(
      template.Resources,
    )
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((resource) => resource.Properties.Architectures);
    expect(architectures).toEqual(functionNames.map(() => [architecture]));
  });

  test.each(functionNames)('%s: the handler file is at the handler path, and is the built bundle', (name) => {
    const { handlers, zips, scratch } = result();
    const file = handlerFile(handlers[name] as string);
    expect(file).toBe(`dist/functions/${name}/index.js`);
    const bundle = zips[name]?.get(file);
    expect(bundle?.equals(readFileSync(join(scratch, file)))).toBe(true);
    expect(bundle?.toString('utf8')).toMatch(/\bhandler\b/);
  });

  test.each(functionNames)(
    '%s: ships exactly its bundle, plus Argon2 and the common-password list if it hashes',
    (name) => {
      const { handlers, zips } = result();
      const dir = handlerDir(handlers[name] as string);
      const own = name === 'openapi' ? '(index\\.js|openapi\\.json)' : 'index\\.js';
      const allowed = HASHING.includes(name)
        ? new RegExp(
            `^${dir}/(${own}|common-passwords\\.txt|node_modules/@node-rs/argon2/(index\\.js|browser\\.js|package\\.json|LICENSE)|` +
              `node_modules/@node-rs/argon2-linux-${cpu}-gnu/(package\\.json|argon2\\.linux-${cpu}-gnu\\.node))$`,
          )
        : new RegExp(`^${dir}/${own}$`);
      const entries = [...(zips[name]?.keys() ?? [])].sort();
      expect(entries.filter((entry) => !allowed.test(entry))).toEqual([]);
      // Nothing a deployment should never carry, whatever the allow-list above says.
      expect(
        entries.filter((entry) =>
          /(\.map|\.ts|package-lock\.json|\.md|\.env|serverless\.yml)$|(^|\/)(lib|functions|tests|dev|bench|\.git)\//.test(
            entry.replace(/^dist\/functions\//, ''),
          ),
        ),
      ).toEqual([]);
    },
  );

  test.each(HASHING)('%s: Argon2 resolves from the handler, with an ELF binding for this machine', (name) => {
    const { handlers, zips } = result();
    const dir = handlerDir(handlers[name] as string);
    const zip = zips[name] as Map<string, Buffer>;
    // Node looks in <handler dir>/node_modules first, on Lambda /var/task/dist/functions/<fn>/node_modules.
    const manifest = JSON.parse(String(zip.get(`${dir}/node_modules/@node-rs/argon2/package.json`)));
    expect(manifest.version).toBe(ARGON2_VERSION);
    const bindings = [...zip.keys()].filter((entry) => entry.endsWith('.node'));
    expect(bindings).toEqual([
      `${dir}/node_modules/@node-rs/argon2-linux-${cpu}-gnu/argon2.linux-${cpu}-gnu.node`,
    ]);
    const elf = zip.get(bindings[0] as string) as Buffer;
    expect({
      magic: elf.subarray(0, 4).toString('latin1'),
      class64: elf[4] === 2,
      littleEndian: elf[5] === 1,
      sharedObject: elf.readUInt16LE(16) === 3,
      machine: elf.readUInt16LE(18),
    }).toEqual({ magic: '\x7fELF', class64: true, littleEndian: true, sharedObject: true, machine });
  });

  test('openapi, unpacked alone, serves the generated document it ships beside its bundle', async () => {
    const { handlers, zips, scratch } = result();
    const unpacked = unpack(zips.openapi as Map<string, Buffer>, `unpacked-openapi-${architecture}-`);
    try {
      const probe = `
        require(${JSON.stringify(join(unpacked, handlerFile(handlers.openapi as string)))})
          .handler({ version: '2.0', rawPath: '/openapi.json', headers: {}, requestContext: { http: { method: 'GET', path: '/openapi.json', sourceIp: '192.0.2.1' } } },
            { awsRequestId: 'probe', getRemainingTimeInMillis: () => 1000 })
          .then((response) => process.stdout.write(JSON.stringify(response)));`;
      // The test run's configuration (tests/support/env.ts) stands in for the Lambda environment.
      const { stdout } = await run(process.execPath, ['-e', probe], {
        cwd: unpacked,
        env: { ...process.env },
      });
      const response = JSON.parse(stdout);
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toEqual(
        JSON.parse(readFileSync(join(scratch, 'dist/openapi.json'), 'utf8')),
      );
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
  });

  test.each(functionNames.filter((name) => !HASHING.includes(name)))(
    '%s: no native code, no node_modules',
    (name) => {
      const entries = [...(result().zips[name]?.keys() ?? [])];
      expect(entries.filter((entry) => entry.endsWith('.node') || entry.includes('node_modules/'))).toEqual(
        [],
      );
    },
  );

  test('no zip and not the CloudFormation template carries a secret', () => {
    const { zips, template } = result();
    for (const value of Object.values(SECRETS)) {
      const carriers = Object.entries(zips)
        .filter(([, entries]) => [...entries.values()].some((content) => content.includes(value)))
        .map(([name]) => name);
      expect([value, carriers]).toEqual([value, []]);
      expect([value, template.includes(JSON.stringify(value).slice(1, -1))]).toEqual([value, false]);
    }
  });

  test('the template: the custom domain is there, off without API_DOMAIN, and maps the real API and stage', () => {
    // biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template, walked by path
    const template: any = JSON.parse(result().template);
    expect(template.Conditions.HasApiDomain).toEqual({ 'Fn::Equals': ['false', 'true'] });
    expect(template.Resources.ApiDomain).toMatchObject({
      Type: 'AWS::ApiGatewayV2::DomainName',
      Condition: 'HasApiDomain',
    });
    expect(template.Resources.ApiDomainMapping).toMatchObject({
      Type: 'AWS::ApiGatewayV2::ApiMapping',
      Condition: 'HasApiDomain',
      Properties: { ApiId: { Ref: 'HttpApi' }, DomainName: { Ref: 'ApiDomain' }, Stage: '$default' },
    });
    // The names the mapping refers to are the API and the stage the framework generates.
    expect(template.Resources.HttpApi.Type).toBe('AWS::ApiGatewayV2::Api');
    expect(template.Resources.HttpApiStage.Properties.StageName).toBe('$default');
    expect(template.Outputs.ApiDomainTarget.Condition).toBe('HasApiDomain');
  });

  test('the template: SSM read scoped to the stage path, access logs, throttling, no versions kept', () => {
    // biome-ignore-start lint/suspicious/noExplicitAny: a CloudFormation template, walked by path
    const resources = Object.values<{ Type: string; Properties: Record<string, any> }>(
      JSON.parse(result().template).Resources,
    );
    const ofType = (type: string) => resources.filter((resource) => resource.Type === type);
    // Every function's environment names where to read, and holds nothing read from there.
    for (const fn of ofType('AWS::Lambda::Function')) {
      const environment = fn.Properties.Environment.Variables;
      expect(environment.SSM_PARAMETER_PREFIX).toBe('/account-service/dev');
      for (const name of SSM_VARIABLES) expect(environment[name]).toBeUndefined();
      expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
    }
    expect(ofType('AWS::Lambda::Version')).toEqual([]);
    const statements = ofType('AWS::IAM::Role').flatMap((role) =>
      (role.Properties.Policies ?? []).flatMap((policy: any) => policy.PolicyDocument.Statement),
    );
    const ssm = statements.filter((statement: any) => JSON.stringify(statement.Action).includes('ssm:'));
    // The functions' role and the mail function's own, each the same scoped read.
    expect(ssm).toHaveLength(2);
    const scopedRead = {
      Effect: 'Allow',
      Action: ['ssm:GetParameters'],
      Resource: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ssm:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':parameter/account-service/dev/*',
          ],
        ],
      },
    };
    expect(ssm.map(({ Action, ...rest }: any) => ({ ...rest, Action: [Action].flat() }))).toEqual([
      scopedRead,
      scopedRead,
    ]);
    const kms = statements.filter((statement: any) => JSON.stringify(statement.Action).includes('kms:'));
    expect(kms).toHaveLength(2);
    for (const statement of kms) expect(statement.Condition.StringEquals['kms:ViaService']).toBeDefined();
    // Only the mail function may send mail, and only from the configured identity.
    const ses = statements.filter((statement: any) => JSON.stringify(statement.Action).includes('ses:'));
    expect(ses).toHaveLength(1);
    expect(ses[0].Action).toBe('ses:SendEmail');
    expect(JSON.stringify(ses[0].Resource)).toContain(':identity/example.com');
    const [stage] = ofType('AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingBurstLimit: 200,
      ThrottlingRateLimit: 100,
    });
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      sourceIp: '$context.identity.sourceIp',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLatencyMs: '$context.responseLatency',
    });
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups.every((group) => group.Properties.RetentionInDays === 30)).toBe(true);
    // biome-ignore-end lint/suspicious/noExplicitAny: a CloudFormation template, walked by path
  });

  test("register, unpacked alone, refuses a common password from the list it ships; the list is the source's", async () => {
    const { handlers, zips } = result();
    const zip = zips.register as Map<string, Buffer>;
    const dir = handlerDir(handlers.register as string);
    // The shipped list: every entry of the npm source that can pass the length floor, lowercased.
    const shipped = zip.get(`${dir}/common-passwords.txt`)?.toString('utf8') ?? '';
    const expected = new Set(
      readCommonPasswords()
        .toString('utf8')
        .split('\n')
        .filter((entry) => [...entry].length >= PASSWORD_MIN_LENGTH_FLOOR),
    );
    expect(shipped.startsWith('\n') && shipped.endsWith('\n')).toBe(true);
    expect(new Set(shipped.slice(1, -1).split('\n'))).toEqual(expected);

    const unpacked = unpack(zip, `unpacked-register-list-${architecture}-`);
    try {
      const probe = `
        require(${JSON.stringify(join(unpacked, handlerFile(handlers.register as string)))})
          .handler({ version: '2.0', rawPath: '/users', headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'Probe', email: 'probe@example.com', password: 'Password1234' }),
            requestContext: { http: { method: 'POST', path: '/users', sourceIp: '192.0.2.7' } } },
            { awsRequestId: 'probe', getRemainingTimeInMillis: () => 1000 })
          .then((response) => process.stdout.write(JSON.stringify(response)));`;
      const { stdout } = await run(process.execPath, ['-e', probe], {
        cwd: unpacked,
        env: { ...process.env },
      });
      const response = JSON.parse(stdout);
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).errors).toEqual([
        { field: 'password', message: 'is too common; choose a less predictable password' },
      ]);
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
  });

  test('a hashing zip, unpacked alone, loads its own Argon2 from the handler directory and hashes', async () => {
    const { handlers, zips } = result();
    const unpacked = unpack(zips.register as Map<string, Buffer>, `unpacked-register-${architecture}-`);
    try {
      const dir = join(unpacked, handlerDir(handlers.register as string));
      // The same lookup the bundle's `require('@node-rs/argon2')` does, from the bundle's directory.
      const probe = `
        const resolved = require.resolve('@node-rs/argon2');
        const loads = ${JSON.stringify(process.arch === ARCHITECTURES[architecture].host)};
        (loads ? import('@node-rs/argon2').then(async (a) => a.verify(await a.hash('pw'), 'pw')) : Promise.resolve(null))
          .then((verified) => process.stdout.write(JSON.stringify({ resolved, verified })));`;
      const { stdout } = await run(process.execPath, ['-e', probe], { cwd: dir });
      const { resolved, verified } = JSON.parse(stdout);
      expect(resolved).toBe(join(dir, 'node_modules/@node-rs/argon2/index.js'));
      // The binding itself can only load on its own machine (x86-64 here in CI).
      expect(verified).toBe(process.arch === ARCHITECTURES[architecture].host ? true : null);
    } finally {
      rmSync(unpacked, { recursive: true, force: true });
    }
  });
});
