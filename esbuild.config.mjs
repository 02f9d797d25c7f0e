// Builds every Lambda in functions/ into its own minified CommonJS bundle (dist/<fn>/index.js)
// and the local tooling (dev/, bench/) into dist/tools/. Usage:
//   node esbuild.config.mjs            functions + tools
//   node esbuild.config.mjs functions  functions only
//   node esbuild.config.mjs tools      tools only
import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const which = process.argv[2] ?? 'all';
const root = new URL('.', import.meta.url).pathname;

/** Functions whose bundle loads the native Argon2 addon; it stays external and ships beside them. */
export const NATIVE_EXTERNALS = ['@node-rs/argon2'];

const entries = (dir) =>
  (existsSync(join(root, dir)) ? readdirSync(join(root, dir)) : [])
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => basename(f, '.ts'));

async function buildFunctions() {
  await rm(join(root, 'dist/functions'), { recursive: true, force: true });
  const names = entries('functions');
  await Promise.all(
    names.map((name) =>
      build({
        entryPoints: [join(root, 'functions', `${name}.ts`)],
        outfile: join(root, 'dist/functions', name, 'index.js'),
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        external: NATIVE_EXTERNALS,
        legalComments: 'none',
        metafile: false,
        logLevel: 'warning',
      }),
    ),
  );
  return names;
}

async function buildTools() {
  const points = [
    ...['start', 'datastore-cli', 'keygen'].map((n) => join(root, 'dev', `${n}.ts`)),
    ...entries('bench').map((n) => join(root, 'bench', `${n}.ts`)),
  ].filter((p) => existsSync(p));
  await build({
    entryPoints: points,
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

if (which === 'all' || which === 'functions') await buildFunctions();
if (which === 'all' || which === 'tools') await buildTools();
