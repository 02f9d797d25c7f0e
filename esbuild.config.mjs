// Builds every Lambda in functions/ into its own minified CommonJS bundle
// (dist/functions/<fn>/index.js), the OpenAPI document (dist/openapi.json, generated from the
// zod schemas and shipped beside the `openapi` bundle) and the local tooling (dev/, bench/) into
// dist/tools/. Usage:
//   node esbuild.config.mjs                 functions + tools
//   node esbuild.config.mjs functions       functions only
//   node esbuild.config.mjs tools           tools only
//   node esbuild.config.mjs package [arch]  functions, then the native Argon2 addon for the Lambda
//                                           architecture (arm64 | x86_64; default
//                                           $LAMBDA_ARCHITECTURE, else arm64) staged beside each
//                                           bundle that loads it. `serverless package` and
//                                           `serverless deploy` run this first
//                                           (build/lambda-packaging.cjs).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import commonPasswords from './build/common-passwords.cjs';
import {
  configTable,
  lambdaBundleOptions,
  NATIVE_EXTERNALS,
  readsOAuthConfig,
  routeRowsOf,
} from './build/lambda-bundle.mjs';

const { COMMON_PASSWORDS_FILE, sortedCommonPasswords } = commonPasswords;

const which = process.argv[2] ?? 'all';
const root = new URL('.', import.meta.url).pathname;

// The common-password list (lib/common-passwords.ts) ships beside the bundles that import it as
// common-passwords.txt, sorted (build/common-passwords.cjs), and those bundles search it in place
// with lib/common-passwords-file.ts instead of reading it whole.
const passwordFloor = Number(
  JSON.parse(readFileSync(join(root, 'lib/config-variables.json'), 'utf8')).PASSWORD_MIN_LENGTH?.min,
);
if (!passwordFloor) throw new Error('PASSWORD_MIN_LENGTH has no min in lib/config-variables.json');
const commonPasswordSource = () =>
  /COMMON_PASSWORDS_SOURCE = '([^']+)'/.exec(
    readFileSync(join(root, 'lib/common-passwords.ts'), 'utf8'),
  )?.[1];
async function commonPasswordList() {
  const source = commonPasswordSource();
  if (!source) throw new Error('COMMON_PASSWORDS_SOURCE not found in lib/common-passwords.ts');
  return sortedCommonPasswords(await readFile(createRequire(import.meta.url).resolve(source)), passwordFloor);
}
const commonPasswordsReader = {
  name: 'common-passwords',
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/]common-passwords\.ts$/ }, () => ({
      contents: [
        "import { join } from 'node:path';",
        "import { openSortedList } from './common-passwords-file';",
        `export const isListedPassword = openSortedList(join(__dirname, ${JSON.stringify(COMMON_PASSWORDS_FILE)}));`,
      ].join('\n'),
      resolveDir: join(root, 'lib'),
      loader: 'ts',
    }));
  },
};

// The OpenAPI document is generated here, at build time, from the zod schemas (build/openapi.ts):
// converting schemas inside the Lambda would cost bundle size and cold-start time for a document
// that never changes between deploys.
const openApiPath = join(root, 'dist/openapi.json');
async function generateOpenApiDocument() {
  const scratch = await mkdtemp(join(tmpdir(), 'openapi-'));
  try {
    const generator = join(scratch, 'generate.js');
    await build({
      stdin: {
        contents: `import { buildOpenApiDocument } from './build/openapi';
          process.stdout.write(JSON.stringify(buildOpenApiDocument(), null, 2) + '\\n');`,
        resolveDir: root,
        loader: 'ts',
      },
      outfile: generator,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'warning',
    });
    await mkdir(join(root, 'dist'), { recursive: true });
    await writeFile(openApiPath, execFileSync(process.execPath, [generator], { encoding: 'utf8' }));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// In function bundles, build/openapi.ts is replaced by a reader of the document generated above,
// which the build places beside the bundle (dist/functions/<fn>/openapi.json, shipped in the
// function's zip): no schema converter in the Lambda, and the bundle stays within its size
// budget (21 KiB of JSON costs far less to JSON.parse once at cold start than to parse as code).
const OPENAPI_FILE = 'openapi.json';
const prebuiltOpenApi = {
  name: 'prebuilt-openapi',
  setup(build) {
    build.onLoad({ filter: /[\\/]build[\\/]openapi\.ts$/ }, () => ({
      contents: `const document = JSON.parse(require('node:fs').readFileSync(require('node:path').join(__dirname, ${JSON.stringify(OPENAPI_FILE)}), 'utf8'));
        module.exports = { buildOpenApiDocument: () => document };`,
      loader: 'js',
    }));
  },
};

const entries = (dir) =>
  (existsSync(join(root, dir)) ? readdirSync(join(root, dir)) : [])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'));

async function buildFunctions() {
  await rm(join(root, 'dist/functions'), { recursive: true, force: true });
  await mkdir(join(root, 'dist/meta'), { recursive: true });
  await generateOpenApiDocument();
  const passwordList = commonPasswordList();
  const names = entries('functions');
  await Promise.all(
    names.map(async (name) => {
      const result = await build({
        entryPoints: [join(root, 'functions', `${name}.ts`)],
        outfile: join(root, 'dist/functions', name, 'index.js'),
        ...lambdaBundleOptions,
        // Its own route row and configuration rows first: esbuild loads a file with the first
        // plugin that answers.
        plugins: [
          routeRowsOf(name),
          configTable({ oauth: await readsOAuthConfig(join(root, 'functions', `${name}.ts`)) }),
          ...lambdaBundleOptions.plugins,
          commonPasswordsReader,
          prebuiltOpenApi,
        ],
        metafile: true,
      });
      // What went into each bundle, for the size budget test and `npm run bench`.
      await writeFile(join(root, 'dist/meta', `${name}.json`), JSON.stringify(result.metafile));
      if (Object.keys(result.metafile.inputs).some((input) => /(^|\/)build\/openapi\.ts$/.test(input)))
        await writeFile(
          join(root, 'dist/functions', name, OPENAPI_FILE),
          JSON.stringify(JSON.parse(await readFile(openApiPath, 'utf8'))),
        );
      // In the output, not just among the inputs: only where the code survived tree shaking.
      const bundled = Object.values(result.metafile.outputs).flatMap((output) => Object.keys(output.inputs));
      if (bundled.some((input) => /(^|\/)lib\/common-passwords\.ts$/.test(input)))
        await writeFile(join(root, 'dist/functions', name, COMMON_PASSWORDS_FILE), await passwordList);
    }),
  );
  return names;
}

async function buildTools() {
  const points = [
    ...['start', 'datastore-cli', 'keygen', 'verify-data-cli', 'admin'].map((n) =>
      join(root, 'dev', `${n}.ts`),
    ),
    ...entries('bench').map((n) => join(root, 'bench', `${n}.ts`)),
  ].filter((p) => existsSync(p));
  await build({
    // Named entries keep the output flat (dist/tools/<name>.js) even when dev/ and bench/ both
    // contribute; a plain list would nest them under their common ancestor (dist/tools/dev/…).
    entryPoints: points.map((p) => ({ in: p, out: basename(p, '.ts') })),
    outdir: join(root, 'dist/tools'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
  });
}

// Lambda architecture → npm `--cpu` and the name of @node-rs/argon2's binding package for it.
const ARCHITECTURES = {
  arm64: { cpu: 'arm64', binding: '@node-rs/argon2-linux-arm64-gnu' },
  x86_64: { cpu: 'x64', binding: '@node-rs/argon2-linux-x64-gnu' },
};

/** The functions whose bundle loads `pkg` (an external import in its metafile). */
async function functionsLoading(names, pkg) {
  const loading = [];
  for (const name of names) {
    const { outputs } = JSON.parse(await readFile(join(root, 'dist/meta', `${name}.json`), 'utf8'));
    if (Object.values(outputs).some((output) => output.imports.some((i) => i.path === pkg)))
      loading.push(name);
  }
  return loading;
}

/**
 * Installs @node-rs/argon2 (the version package.json pins) with the Linux glibc binding for
 * `architecture` into dist/argon2/<architecture>/ — whatever the build machine is — unless it
 * is there already.
 */
async function installArgon2(architecture) {
  const { cpu, binding } = ARCHITECTURES[architecture];
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).dependencies[
    NATIVE_EXTERNALS[0]
  ];
  const prefix = join(root, 'dist/argon2', architecture);
  const modules = join(prefix, 'node_modules');
  const installed = (pkg) => {
    const manifest = join(modules, pkg, 'package.json');
    return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === version;
  };
  if (installed(NATIVE_EXTERNALS[0]) && installed(binding)) return modules;
  await rm(prefix, { recursive: true, force: true });
  await mkdir(prefix, { recursive: true });
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--os=linux',
      `--cpu=${cpu}`,
      '--libc=glibc',
      '--no-save',
      '--no-package-lock',
      '--no-audit',
      '--no-fund',
      '--ignore-scripts',
      `${NATIVE_EXTERNALS[0]}@${version}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 },
  );
  if (!installed(binding)) throw new Error(`npm did not install ${binding}@${version} into ${prefix}`);
  return modules;
}

/** Lockfiles, docs and type declarations stay out of the Lambda packages. */
const shipped = (path) => !/(^|[\\/])(\.package-lock\.json|[^\\/]+\.md|[^\\/]+\.d\.ts)$/.test(path);

/**
 * Stages the Argon2 addon for `architecture` as dist/functions/<fn>/node_modules beside every
 * bundle that loads it, so the function's package holds it where `require` looks first on
 * Lambda (/var/task/dist/functions/<fn>/node_modules). Bundles that do not load it get nothing.
 */
async function stageNativeModules(names, architecture) {
  if (!ARCHITECTURES[architecture])
    throw new Error(
      `Unknown Lambda architecture "${architecture}": use ${Object.keys(ARCHITECTURES).join(' or ')}`,
    );
  const modules = await installArgon2(architecture);
  const hashing = await functionsLoading(names, NATIVE_EXTERNALS[0]);
  await Promise.all(
    hashing.map((name) =>
      cp(modules, join(root, 'dist/functions', name, 'node_modules'), { recursive: true, filter: shipped }),
    ),
  );
  return hashing;
}

if (which === 'all' || which === 'functions') await buildFunctions();
if (which === 'all' || which === 'tools') await buildTools();
if (which === 'package') {
  const architecture = process.argv[3] ?? process.env.LAMBDA_ARCHITECTURE ?? 'arm64';
  const hashing = await stageNativeModules(await buildFunctions(), architecture);
  console.log(`Staged ${NATIVE_EXTERNALS[0]} (linux ${architecture}) for: ${hashing.join(', ')}`);
}
